/**
 * `mysqlops audit apply|status|seal|verify|log|purge`: parses flags, calls the audit library
 * (src/audit) on DB_NAME, renders tables or one JSON document.
 */
import type { Command } from 'commander';
import {
  type ApplyAuditResult,
  AUDIT_LOG_MAX_LIMIT,
  type AuditLogEntry,
  type AuditLogQuery,
  applyAudit,
  auditSealStatus,
  DEFAULT_SEAL_LOCK_TIMEOUT_MS,
  describeProblem,
  parseAnchor,
  purgeAudit,
  queryAuditLog,
  sealAudit,
  type VerifyAuditOptions,
  type VerifyAuditResult,
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
    .description('the audit trail: triggers from audit_config, sealing, verification, queries, retention')
    .addHelpText(
      'after',
      `
Auditing a table: INSERT INTO audit_config (table_name, excluded_columns) VALUES ('t', '["secret"]');
then mysqlops audit apply. migrate up and up run apply for you. See docs/audit.md.
Seal often (every minute): a row deleted before it is sealed cannot be detected. Keep the
latest seal (SEAL_ID:HASH, printed by seal and verify) outside the database; verify --anchor checks it.
Exit codes: 0 ok, 1 operational failure or a broken trail (verify, seal), 2 bad flags or audit_config rows.`,
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
      const [result, seal] = await withDatabase(
        ctx.config,
        {},
        async (db) => [await applyAudit(db, { dryRun: true }), await auditSealStatus(db)] as const,
      );
      ctx.out.result({ ok: true, ...result, seal }, () =>
        [
          renderApply(result, true),
          seal.latest
            ? `latest seal: ${seal.latest.sealId}:${seal.latest.sealHash} (sealed ${seal.latest.sealedAt})`
            : 'no seals yet',
          `unsealed rows: ${seal.unsealed}${seal.oldestUnsealedAt ? ` (oldest changed ${seal.oldestUnsealedAt})` : ''}`,
        ].join('\n'),
      );
    });

  audit
    .command('seal')
    .description('chain the unsealed audit rows into sealed blocks (one transaction per block)')
    .option('--table <name>', 'only this table')
    .option(
      '--lock-timeout <seconds>',
      `wait this long for another running seal (default ${DEFAULT_SEAL_LOCK_TIMEOUT_MS / 1000})`,
    )
    .action(async (flags: { table?: string; lockTimeout?: string }) => {
      const ctx = context();
      const only = tableFlag(flags.table);
      const lockTimeoutMs = secondsFlag('--lock-timeout', flags.lockTimeout);
      const r = await withDatabase(ctx.config, {}, (db) =>
        sealAudit(db, {
          ...(only === undefined ? {} : { table: only }),
          ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
          onBlock: (b) =>
            ctx.out.progress(
              `sealed ${b.table}: block ${b.sealId}, ${b.rows} rows (audit_id ${b.firstAuditId}..${b.lastAuditId})`,
            ),
        }),
      );
      ctx.out.result({ ok: true, ...r }, () =>
        [
          r.tables.length > 0
            ? table(
                ['table', 'blocks', 'rows'],
                r.tables.map((x) => [x.table, x.blocks, x.rows]),
              )
            : 'nothing to seal',
          '',
          `sealed ${r.rows} audit rows in ${r.blocks} block(s)`,
          r.latest
            ? `latest seal (keep it outside the database as an anchor): ${r.latest.sealId}:${r.latest.sealHash}`
            : 'no seals yet',
        ].join('\n'),
      );
    });

  audit
    .command('verify')
    .description('check every content hash, sealed block and the seal chain; exit 1 naming the first problem')
    .option('--table <name>', "only this table's rows (the seal chain is always checked whole)")
    .option('--anchor <SEAL_ID:HASH>', 'a seal printed earlier by seal or verify, kept outside the database')
    .action(async (flags: { table?: string; anchor?: string }) => {
      const ctx = context();
      const options: VerifyAuditOptions = {};
      const t = tableFlag(flags.table);
      if (t !== undefined) options.table = t;
      if (flags.anchor !== undefined) {
        const anchor = parseAnchor(flags.anchor);
        if (!anchor) {
          throw new UsageError(
            `--anchor expects SEAL_ID:HASH (a seal id and 64 hex digits), got ${JSON.stringify(flags.anchor)}`,
          );
        }
        options.anchor = anchor;
      }
      const r = await withDatabase(ctx.config, {}, (db) => verifyAudit(db, options));
      if (r.problem) {
        throw new MysqlopsError({
          code: 'E_AUDIT_CHAIN',
          message: `audit trail broken: ${describeProblem(r.problem)}`,
          hint: 'the audit trail was altered outside the triggers: investigate before trusting it; compare with a backup',
        });
      }
      ctx.out.result(r, () => renderVerify(r));
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
      'delete the rows of sealed blocks past their table retention_days, oldest block first, 1,000 per transaction',
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
            ['table', 'retention (days)', 'blocks', r.dryRun ? 'would purge' : 'purged'],
            r.tables.map((x) => [x.table, x.retentionDays, x.blocks, x.purged]),
          ),
          '',
          `${r.dryRun ? 'dry run: would purge' : 'purged'} ${r.purged} audit rows of ${r.blocks} sealed block(s); unsealed rows are never purged`,
        ].join('\n'),
      );
    });
}

/** Validate the `audit log` flags (UsageError / E_IDENTIFIER, exit 2) into a query. */
export function logQuery(flags: LogFlags): AuditLogQuery {
  const q: AuditLogQuery = {};
  const t = tableFlag(flags.table);
  if (t !== undefined) q.table = t;
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

/** A --table flag: a plain table name (E_IDENTIFIER / E_USAGE, exit 2, before any SQL). */
function tableFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  quoteId(value);
  if (value.includes('.')) throw new UsageError('--table takes a table name without a database');
  return value;
}

function secondsFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 86_400) {
    throw new UsageError(`${flag} expects seconds (0 to 86400), got ${JSON.stringify(value)}`);
  }
  return Number(value) * 1000;
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

function renderVerify(r: VerifyAuditResult): string {
  const lines: string[] = [];
  if (r.tables.length > 0) {
    lines.push(
      table(
        ['table', 'blocks', 'sealed rows', 'unsealed'],
        r.tables.map((x) => [x.table, x.blocks, x.rows, x.unsealed]),
      ),
      '',
    );
  }
  lines.push(
    r.rows === 0 && r.blocks === 0
      ? 'audit log is empty: nothing to verify'
      : `${r.rows} audit rows verified in ${r.blocks} sealed block(s); ${r.unsealed} unsealed (content checked, not yet chained)`,
  );
  if (r.purged.blocks > 0)
    lines.push(`purged: ${r.purged.blocks} block(s), ${r.purged.rows} rows (seals kept)`);
  lines.push(
    r.latestSeal
      ? `latest seal (keep it outside the database as an anchor): ${r.latestSeal.sealId}:${r.latestSeal.sealHash}`
      : 'no seals yet: run mysqlops audit seal',
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
    ['id', 'changed at (UTC)', 'table', 'row', 'action', 'user', 'request', 'seal', 'values'],
    rows.map((r) => [
      r.auditId,
      r.changedAt,
      r.table,
      r.rowPk,
      r.action,
      r.appUser,
      r.requestId,
      r.sealId ?? '-',
      changes(r),
    ]),
  );
}
