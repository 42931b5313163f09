/**
 * `audit apply`: make the database's audit triggers match audit_config. Per enabled table, three
 * AFTER triggers built from the table's current columns minus the excluded ones; triggers of
 * disabled (or removed) tables are dropped. Idempotent: a trigger whose fingerprint matches what
 * would be generated is left alone, so a second run changes nothing.
 */
import { type DatabaseManager, quoteId } from '../db/index.js';
import { MysqlopsError, QueryError } from '../errors.js';
import { existingTriggers, primaryKey, readAuditConfig, tableColumns } from './config.js';
import { buildTriggers, fingerprintOf, type TriggerSql } from './trigger-sql.js';

/** What `applyAudit` did (or would do) to one trigger. */
export type TriggerAction = 'created' | 'replaced' | 'unchanged' | 'dropped';

/** One audit trigger and what `applyAudit` did to it. */
export interface TriggerChange {
  table: string;
  trigger: string;
  action: TriggerAction;
}

/** Options of `applyAudit`. */
export interface ApplyAuditOptions {
  /** Only report what would change (`audit status`); default false. */
  dryRun?: boolean;
}

/** The audit triggers after `applyAudit` (or, with `dryRun`, what it would change). */
export interface ApplyAuditResult {
  /** Tables audited after the run. */
  audited: string[];
  changes: TriggerChange[];
  /** True when every trigger already matched (nothing was, or would be, changed). */
  inSync: boolean;
}

/** Errno of "you need SUPER or log_bin_trust_function_creators" (binary logging on). */
const ER_BINLOG_CREATE_ROUTINE_NEED_SUPER = 1419;

/**
 * Bring the triggers in line with audit_config. Refuses (E_AUDIT) before changing anything when an
 * enabled table does not exist, has no primary key, or excludes a column it does not have.
 * WARNING: on MySQL a replaced trigger is dropped and re-created (no CREATE OR REPLACE TRIGGER):
 * writes in between are not audited; run apply in a quiet moment there.
 */
export async function applyAudit(
  db: DatabaseManager,
  options: ApplyAuditOptions = {},
): Promise<ApplyAuditResult> {
  const flavor = db.flavor;
  const config = await readAuditConfig(db);
  const wanted = new Map<string, TriggerSql>();
  const audited: string[] = [];
  for (const row of config.filter((r) => r.enabled)) {
    const columns = await tableColumns(db, row.table);
    if (columns.length === 0) {
      throw new MysqlopsError({
        code: 'E_AUDIT',
        message: `audit_config enables table ${row.table}, which does not exist in this database`,
        hint: `create the table first, or disable it: UPDATE audit_config SET enabled = 0 WHERE table_name = '${row.table}'`,
        exitCode: 2,
      });
    }
    const missing = row.excludedColumns.filter((c) => !columns.some((col) => col.name === c));
    if (missing.length > 0) {
      throw new MysqlopsError({
        code: 'E_AUDIT',
        message: `audit_config excludes ${missing.join(', ')} from ${row.table}, which has no such column`,
        hint: 'correct excluded_columns in audit_config',
        exitCode: 2,
      });
    }
    const spec = {
      table: row.table,
      columns: columns.filter((c) => !row.excludedColumns.includes(c.name)),
      primaryKey: await primaryKey(db, row.table),
    };
    for (const t of buildTriggers(spec, flavor)) wanted.set(t.name, t);
    audited.push(row.table);
  }

  const existing = new Map((await existingTriggers(db)).map((t) => [t.name, t]));
  const changes: TriggerChange[] = [];
  const work: Array<() => Promise<unknown>> = [];
  for (const t of wanted.values()) {
    const table = t.table;
    const current = existing.get(t.name);
    const fp = current ? fingerprintOf(current.body) : null;
    if (current && fp === t.fingerprint) {
      changes.push({ table, trigger: t.name, action: 'unchanged' });
      continue;
    }
    changes.push({ table, trigger: t.name, action: current ? 'replaced' : 'created' });
    if (current && !flavor.isMariaDB)
      work.push(() => db.execute(`DROP TRIGGER IF EXISTS ${quoteId(t.name)}`));
    work.push(() => db.execute(t.create));
  }
  for (const t of existing.values()) {
    if (wanted.has(t.name) || fingerprintOf(t.body) === null) continue;
    changes.push({ table: t.table, trigger: t.name, action: 'dropped' });
    work.push(() => db.execute(`DROP TRIGGER IF EXISTS ${quoteId(t.name)}`));
  }
  if (!options.dryRun) {
    try {
      for (const step of work) await step();
    } catch (err) {
      throw explainDdlError(err);
    }
  }
  return { audited, changes, inSync: changes.every((c) => c.action === 'unchanged') };
}

/** True when the current database holds the audit tables (the schema migration ran). */
export async function auditInstalled(db: DatabaseManager): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
     AND TABLE_NAME IN ('audit_config', 'audit_log', 'audit_seal')`,
  );
  return rows.length === 3;
}

/**
 * `applyAudit` when the audit tables exist, else null: what `migrate up` and `up` run after
 * migrating, so a schema folder without the audit migration (`--dir`) still migrates.
 */
export async function applyAuditIfInstalled(db: DatabaseManager): Promise<ApplyAuditResult | null> {
  return (await auditInstalled(db)) ? applyAudit(db) : null;
}

/** Turn the server refusals `apply` can meet into an E_AUDIT error that names the fix. */
export function explainDdlError(err: unknown): unknown {
  if (err instanceof QueryError && err.errno === ER_BINLOG_CREATE_ROUTINE_NEED_SUPER) {
    return new MysqlopsError({
      code: 'E_AUDIT',
      message: 'cannot create audit triggers: binary logging is on and this account has no SUPER privilege',
      hint: 'SET GLOBAL log_bin_trust_function_creators = 1 (and in the server config), or run audit apply as an account with SUPER',
      cause: err,
    });
  }
  if (err instanceof QueryError && (err.errno === 1142 || err.errno === 1227)) {
    return new MysqlopsError({
      code: 'E_AUDIT',
      message: `cannot create or drop audit triggers: ${err.message}`,
      hint: 'run audit apply as an account with the TRIGGER privilege on the audited tables',
      cause: err,
    });
  }
  return err;
}
