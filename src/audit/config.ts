/**
 * Reading audit_config and the catalogue (columns, primary keys, existing triggers). Everything
 * read back from the database is validated before it may reach SQL text: a table or column name
 * in audit_config is data someone typed, not trusted code.
 */
import { type DatabaseManager, isValidIdentifier } from '../db/index.js';
import { MysqlopsError } from '../errors.js';
import type { AuditColumn, AuditEvent } from './trigger-sql.js';

/** One row of audit_config, validated. */
export interface AuditConfigRow {
  table: string;
  enabled: boolean;
  excludedColumns: string[];
  retentionDays: number;
}

/** An existing trigger of the current database. */
export interface ExistingTrigger {
  name: string;
  table: string;
  event: AuditEvent;
  body: string;
}

/** Tables whose writes must never be audited (the audit tables themselves, the migration history). */
export function isReservedTable(table: string): boolean {
  return table.startsWith('audit_') || table === 'mysqlops_schema_history';
}

function badConfig(message: string, cause?: unknown): MysqlopsError {
  return new MysqlopsError({
    code: 'E_AUDIT',
    message,
    hint: 'fix or delete that audit_config row, then run mysqlops audit apply',
    exitCode: 2,
    cause,
  });
}

/** Every audit_config row; E_AUDIT (exit 2) naming the first row with a name mysqlops will not quote. */
export async function readAuditConfig(db: DatabaseManager): Promise<AuditConfigRow[]> {
  const rows = await db.query<{
    table_name: string;
    enabled: number;
    excluded_columns: unknown;
    retention_days: number;
  }>('SELECT table_name, enabled, excluded_columns, retention_days FROM audit_config ORDER BY table_name');
  return rows.map((r) => {
    if (!isValidIdentifier(r.table_name) || isReservedTable(r.table_name)) {
      throw badConfig(
        `audit_config names table ${JSON.stringify(r.table_name)}, which is not a valid (or auditable) table name`,
      );
    }
    let excluded: unknown = r.excluded_columns;
    if (typeof excluded === 'string') {
      try {
        excluded = JSON.parse(excluded);
      } catch (err) {
        throw badConfig(`audit_config.excluded_columns of ${r.table_name} is not JSON`, err);
      }
    }
    if (!Array.isArray(excluded) || !excluded.every((c) => typeof c === 'string' && isValidIdentifier(c))) {
      throw badConfig(
        `audit_config.excluded_columns of ${r.table_name} must be a JSON array of column names, got ${JSON.stringify(excluded).slice(0, 200)}`,
      );
    }
    return {
      table: r.table_name,
      enabled: Number(r.enabled) === 1,
      excludedColumns: excluded as string[],
      retentionDays: Number(r.retention_days),
    };
  });
}

/** Columns of `table` in the current database, in table order (empty when the table does not exist). */
export async function tableColumns(db: DatabaseManager, table: string): Promise<AuditColumn[]> {
  const rows = await db.query<{ name: string; dataType: string }>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return rows.map((r) => ({ name: String(r.name), dataType: String(r.dataType) }));
}

/** Primary key columns of `table`, in key order. */
export async function primaryKey(db: DatabaseManager, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
    [table],
  );
  return rows.map((r) => String(r.name));
}

/** Every trigger of the current database. */
export async function existingTriggers(db: DatabaseManager): Promise<ExistingTrigger[]> {
  const rows = await db.query<{ name: string; tbl: string; event: string; body: string }>(
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl, EVENT_MANIPULATION AS event,
            ACTION_STATEMENT AS body
     FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()`,
  );
  return rows.map((r) => ({
    name: String(r.name),
    table: String(r.tbl),
    event: String(r.event) as AuditEvent,
    body: String(r.body),
  }));
}
