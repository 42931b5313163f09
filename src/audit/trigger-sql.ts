/**
 * Generates the audit triggers of one table (pure: no I/O). Every name that reaches the SQL
 * text went through `quoteId` or `isValidIdentifier` first; column names also appear as JSON keys
 * in string literals, which is safe because a valid identifier holds no quote or backslash.
 */
import { createHash } from 'node:crypto';
import { type Flavor, isValidIdentifier, quoteId } from '../db/index.js';
import { MysqlopsError } from '../errors.js';
import { CONTENT_FIELDS, type ContentField, type ContentValue, contentHashSql } from './content-hash.js';

/** The row change an audit trigger fires on; each audited table gets one trigger per event. */
export type AuditEvent = 'INSERT' | 'UPDATE' | 'DELETE';
export const AUDIT_EVENTS: readonly AuditEvent[] = ['INSERT', 'UPDATE', 'DELETE'];

/** A column as the trigger needs it. */
export interface AuditColumn {
  name: string;
  /** information_schema DATA_TYPE (`varchar`, `decimal`...). */
  dataType: string;
}

/** What the triggers of one table are built from. */
export interface AuditTableSpec {
  table: string;
  /** Audited columns (all columns minus the excluded ones), in table order. */
  columns: readonly AuditColumn[];
  /** Primary key columns, in key order (need not be audited columns). */
  primaryKey: readonly string[];
}

/** One generated trigger: its name, the full CREATE statement and a fingerprint of it. */
export interface TriggerSql {
  table: string;
  name: string;
  event: AuditEvent;
  create: string;
  fingerprint: string;
}

/** Marker in every trigger body we generate; `audit apply` only ever touches triggers carrying it. */
export const TRIGGER_MARKER = 'mysqlops-audit';

/** Columns whose `<=>` follows a case-insensitive collation; compared as BINARY instead. */
const TEXT_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
  'json',
]);

/** Changes to these alone (maintained by ON UPDATE) write no audit row. */
const BOOKKEEPING_COLUMNS = new Set(['updated_at']);

/**
 * `audit_<table>_ai|au|ad`; names that would pass 64 characters keep a prefix of the table name
 * plus 8 hex digits of its sha256, so they stay unique and predictable.
 */
export function triggerName(table: string, event: AuditEvent): string {
  const suffix = { INSERT: '_ai', UPDATE: '_au', DELETE: '_ad' }[event];
  const plain = `audit_${table}${suffix}`;
  if (plain.length <= 64) return plain;
  const digest = createHash('sha256').update(table).digest('hex').slice(0, 8);
  return `audit_${table.slice(0, 64 - 6 - 9 - suffix.length)}_${digest}${suffix}`;
}

/** The three triggers for `spec` (validates every name; E_AUDIT for a table without primary key). */
export function buildTriggers(spec: AuditTableSpec, flavor: Flavor): TriggerSql[] {
  for (const n of [spec.table, ...spec.columns.map((c) => c.name), ...spec.primaryKey]) quoteId(n);
  if (spec.primaryKey.length === 0) {
    throw new MysqlopsError({
      code: 'E_AUDIT',
      message: `table ${spec.table} has no primary key, so its audit rows could not name the row`,
      hint: 'add a primary key to the table, or disable it in audit_config',
    });
  }
  return AUDIT_EVENTS.map((event) => {
    const name = triggerName(spec.table, event);
    const body = triggerBody(spec, event, flavor);
    const fingerprint = createHash('sha256').update(body).digest('hex').slice(0, 16);
    const head = flavor.isMariaDB ? 'CREATE OR REPLACE TRIGGER' : 'CREATE TRIGGER';
    const create = `${head} ${quoteId(name)} AFTER ${event} ON ${quoteId(spec.table)} FOR EACH ROW\nBEGIN\n  /* ${TRIGGER_MARKER} ${fingerprint} */\n${body}\nEND`;
    return { table: spec.table, name, event, create, fingerprint };
  });
}

/** The fingerprint in a trigger body we generated, or null when it is not one of ours. */
export function fingerprintOf(actionStatement: string): string | null {
  const m = new RegExp(`/\\* ${TRIGGER_MARKER} ([0-9a-f]{16}) \\*/`).exec(actionStatement);
  return m?.[1] ?? null;
}

function lit(name: string): string {
  // Only ever called with validated identifiers (no quote, backslash or NUL possible).
  if (!isValidIdentifier(name)) throw new Error(`unvalidated identifier ${JSON.stringify(name)}`);
  return `'${name}'`;
}

function jsonObject(columns: readonly AuditColumn[], row: 'NEW' | 'OLD'): string {
  if (columns.length === 0) return 'JSON_OBJECT()';
  return `JSON_OBJECT(${columns.map((c) => `${lit(c.name)}, ${row}.${quoteId(c.name)}`).join(', ')})`;
}

function pkExpr(pk: readonly string[], row: 'NEW' | 'OLD'): string {
  if (pk.length === 1) return `LEFT(${row}.${quoteId(pk[0] as string)}, 255)`;
  return `LEFT(JSON_ARRAY(${pk.map((p) => `${row}.${quoteId(p)}`).join(', ')}), 255)`;
}

/** audit_log's columns in the order of the trigger's INSERT (the content fields, then row_hash). */
const INSERT_COLUMNS = [...CONTENT_FIELDS, 'row_hash'] as const;

function triggerBody(spec: AuditTableSpec, event: AuditEvent, flavor: Flavor): string {
  const json = flavor.isMariaDB ? 'LONGTEXT' : 'JSON';
  const row = event === 'DELETE' ? 'OLD' : 'NEW';
  // Everything but the two JSON documents is constant for the statement (NOW(6) is the triggering
  // statement's start time), so it is written inline; the table name and the action are constants
  // of the trigger, which the hash takes pre-encoded.
  const values: Record<ContentField, ContentValue & { insert: string }> = {
    table_name: { literal: spec.table, insert: lit(spec.table) },
    action: { literal: event, insert: `'${event}'` },
    row_pk: sql(pkExpr(spec.primaryKey, row)),
    old_values: event === 'INSERT' ? { literal: null, insert: 'NULL' } : sql('v_old'),
    new_values: event === 'DELETE' ? { literal: null, insert: 'NULL' } : sql('v_new'),
    app_user: sql('LEFT(@app_user, 255)'),
    request_id: sql('LEFT(@app_request_id, 255)'),
    db_user: sql('USER()'),
    connection_id: sql('CONNECTION_ID()'),
    changed_at: sql('NOW(6)'),
  };
  const hash = contentHashSql((f) => values[f], flavor);
  const insert = `INSERT INTO audit_log (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map((c) => (c === 'row_hash' ? hash : values[c].insert)).join(', ')});`;
  const lines: string[] = [];
  if (event !== 'INSERT') {
    lines.push(
      `  DECLARE v_old ${json} DEFAULT ${event === 'DELETE' ? jsonObject(spec.columns, 'OLD') : "'{}'"};`,
    );
  }
  if (event !== 'DELETE') {
    lines.push(
      `  DECLARE v_new ${json} DEFAULT ${event === 'INSERT' ? jsonObject(spec.columns, 'NEW') : "'{}'"};`,
    );
  }
  if (event !== 'UPDATE') return `${lines.join('\n')}\n  ${insert}`;
  lines.push('  DECLARE v_changed TINYINT DEFAULT 0;');
  for (const c of spec.columns) {
    const col = quoteId(c.name);
    const same = TEXT_TYPES.has(c.dataType.toLowerCase())
      ? `BINARY OLD.${col} <=> BINARY NEW.${col}`
      : `OLD.${col} <=> NEW.${col}`;
    const path = `'$."${c.name}"'`;
    const flag = BOOKKEEPING_COLUMNS.has(c.name) ? '' : ', v_changed = 1';
    lines.push(
      `  IF NOT (${same}) THEN SET v_old = JSON_SET(v_old, ${path}, OLD.${col}), v_new = JSON_SET(v_new, ${path}, NEW.${col})${flag}; END IF;`,
    );
  }
  return `${lines.join('\n')}\n  IF v_changed = 1 THEN\n    ${insert}\n  END IF;`;
}

function sql(expr: string): { sql: string; insert: string } {
  return { sql: expr, insert: expr };
}
