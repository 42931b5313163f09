/**
 * `mysqlops audit apply|status|verify|log|purge`: parses flags, calls the audit library
 * (src/audit) on DB_NAME, renders tables or one JSON document.
 */
import type { Command } from 'commander';
import {
  type ApplyAuditResult,
  AUDIT_LOG_MAX_LIMIT,
  type AuditLogEntry,
  type AuditLogQuery,
  applyAudit,
  purgeAudit,
  queryAuditLog,
  verifyAudit,
} from '../../audit/index.js';
import { quoteId } from '../../db/index.js';
import { MysqlopsError, UsageError } from '../../errors.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

interface LogFlags {
  table?: string;
  since?: string;
  user?: string;
  row?: string;
  limit?: string;
}

export function registerAudit(program: Command, context: () => CliContext): void {
  const audit = program
    .command('audit')
    .description('the audit trail: triggers from audit_config, hash-chain verification, queries, retention')
    .addHelpText(
      'after',
      `
Auditing a table: INSERT INTO audit_config (table_name, excluded_columns) VALUES ('t', '["secret"]');
then mysqlops audit apply. migrate up and up run apply for you. See docs/audit.md.
Exit codes: 0 ok, 1 operational failure or a broken chain (verify), 2 bad flags or audit_config rows.`,
    );

  audit
    .command('apply')
    .description('create, replace or drop the audit triggers to match audit_config (idempotent)')
    .action(async () => {
      const ctx = context();
      const result = await withDatabase(ctx.config, {}, (db) => applyAudit(db));
      ctx.out.result({ ok: true, ...result }, () => renderApply(result));
    });

  audit
    .command('status')
    .description('audited tables and whether their triggers match audit_config (changes nothing)')
    .action(async () => {
      const ctx = context();
      const result = await withDatabase(ctx.config, {}, (db) => applyAudit(db, { dryRun: true }));
      ctx.out.result({ ok: true, ...result }, () => renderApply(result, true));
    });

  audit
    .command('verify')
    .description('recompute every hash chain; exit 1 naming the first broken link')
    .action(async () => {
      const ctx = context();
      const r = await withDatabase(ctx.config, {}, (db) => verifyAudit(db));
      const b = r.broken;
      if (b) {
        throw new MysqlopsError({
          code: 'E_AUDIT_CHAIN',
          message: `audit chain of ${b.table} is broken at ${b.auditId === null ? `chain_seq ${b.chainSeq}` : `audit_id ${b.auditId} (chain_seq ${b.chainSeq})`}: ${b.problem}; expected ${b.expected}, found ${b.found}`,
          hint: 'the audit trail was altered outside the triggers: investigate before trusting it; compare with a backup',
        });
      }
      ctx.out.result(r, () =>
        r.rows === 0
          ? `audit log is empty: nothing to verify (${r.tables.length} chain head(s) consistent)`
          : `${table(
              ['table', 'rows', 'ok'],
              r.tables.map((x) => [x.table, x.rows, x.ok ? 'yes' : 'NO']),
            )}\n\n${r.rows} audit rows verified, every chain intact`,
      );
    });

  audit
    .command('log')
    .description('query the audit trail, newest first')
    .option('--table <name>', 'only this table')
    .option(
      '--since <ISO-8601>',
      'only changes at or after this instant (e.g. 2026-11-01 or 2026-11-01T10:00:00Z)',
    )
    .option('--user <name>', 'only changes by this application user (@app_user)')
    .option('--row <pk>', 'only this row: its primary key value (a JSON array for composite keys)')
    .option('--limit <n>', `at most this many rows (default 100, max ${AUDIT_LOG_MAX_LIMIT})`)
    .action(async (flags: LogFlags) => {
      const ctx = context();
      const q = logQuery(flags);
      const rows = await withDatabase(ctx.config, {}, (db) => queryAuditLog(db, q));
      ctx.out.result({ ok: true, rows }, () => renderLog(rows));
    });

  audit
    .command('purge')
    .description(
      'delete audit rows older than their table retention_days, oldest first, 1,000 per transaction',
    )
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .action(async (flags: { dryRun?: boolean }) => {
      const ctx = context();
      const r = await withDatabase(ctx.config, {}, (db) =>
        purgeAudit(db, {
          dryRun: flags.dryRun === true,
          onBatch: (t, n) => ctx.out.progress(`${t}: ${flags.dryRun ? 'would purge' : 'purged'} ${n} rows`),
        }),
      );
      ctx.out.result({ ok: true, ...r }, () =>
        [
          table(
            ['table', 'retention (days)', r.dryRun ? 'would purge' : 'purged'],
            r.tables.map((x) => [x.table, x.retentionDays, x.purged]),
          ),
          '',
          `${r.dryRun ? 'dry run: would purge' : 'purged'} ${r.purged} audit rows`,
        ].join('\n'),
      );
    });
}

/** Validate the `audit log` flags (UsageError / E_IDENTIFIER, exit 2) into a query. */
export function logQuery(flags: LogFlags): AuditLogQuery {
  const q: AuditLogQuery = {};
  if (flags.table !== undefined) {
    quoteId(flags.table);
    if (flags.table.includes('.')) throw new UsageError('--table takes a table name without a database');
    q.table = flags.table;
  }
  if (flags.since !== undefined) q.since = parseSince(flags.since);
  if (flags.user !== undefined) q.user = flags.user;
  if (flags.row !== undefined) q.row = flags.row;
  if (flags.limit !== undefined) {
    const n = Number(flags.limit);
    if (!/^\d+$/.test(flags.limit) || n < 1 || n > AUDIT_LOG_MAX_LIMIT) {
      throw new UsageError(`--limit expects 1 to ${AUDIT_LOG_MAX_LIMIT}, got ${JSON.stringify(flags.limit)}`);
    }
    q.limit = n;
  }
  return q;
}

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})?)?$/;

/** An ISO 8601 date or date-time; without a zone it is UTC. */
export function parseSince(value: string): Date {
  const v = value.trim();
  let ms = Number.NaN;
  if (ISO.test(v)) {
    const dateOnly = v.length === 10;
    const zoned = /(?:Z|[+-]\d{2}:\d{2})$/.test(v) && !dateOnly;
    ms = Date.parse(dateOnly ? `${v}T00:00:00Z` : zoned ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`);
  }
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--since expects an ISO 8601 date or date-time, got ${JSON.stringify(value)}`,
      'e.g. --since 2026-11-01 or --since 2026-11-01T10:00:00Z (UTC when no zone is given)',
    );
  }
  return new Date(ms);
}

function renderApply(r: ApplyAuditResult, status = false): string {
  const changed = r.changes.filter((c) => c.action !== 'unchanged');
  const lines = [`audited tables (${r.audited.length}): ${r.audited.join(', ') || 'none'}`];
  if (changed.length > 0) {
    lines.push(
      '',
      table(
        ['table', 'trigger', status ? 'would be' : 'action'],
        changed.map((c) => [c.table, c.trigger, c.action]),
      ),
    );
  }
  lines.push(
    '',
    r.inSync
      ? 'triggers in sync with audit_config'
      : status
        ? `${changed.length} trigger(s) out of sync: run mysqlops audit apply`
        : `${changed.length} trigger(s) changed`,
  );
  return lines.join('\n');
}

function renderLog(rows: AuditLogEntry[]): string {
  if (rows.length === 0) return 'no audit rows match';
  const changes = (r: AuditLogEntry) => {
    const v = r.action === 'DELETE' ? r.oldValues : r.newValues;
    const s = JSON.stringify(v ?? {});
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  };
  return table(
    ['id', 'changed at (UTC)', 'table', 'row', 'action', 'user', 'request', 'values'],
    rows.map((r) => [r.auditId, r.changedAt, r.table, r.rowPk, r.action, r.appUser, r.requestId, changes(r)]),
  );
}
