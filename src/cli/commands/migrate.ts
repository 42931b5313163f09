/**
 * `mysqlops migrate [up|status|validate|plan|repair]`: parses flags, calls the migration engine
 * (src/migrate), renders tables or one JSON document. `migrate` alone means `migrate up`.
 */
import type { Command } from 'commander';
import { applyAuditIfInstalled } from '../../audit/index.js';
import { UsageError } from '../../errors.js';
import {
  inspectMigrations,
  type MigrateOptions,
  type MigrateProgress,
  type MigrateResult,
  type MigrationReport,
  migrate,
  type RepairResult,
  repairMigrations,
} from '../../migrate/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

interface MigrateFlags {
  dir?: string;
  lockTimeout?: string;
  waitLock?: string;
}

/** Longest accepted --lock-timeout: a day. */
const MAX_LOCK_TIMEOUT_S = 86_400;

export function registerMigrate(program: Command, context: () => CliContext): void {
  const migrateCmd = program
    .command('migrate')
    .description('apply and inspect schema migrations (default: up)')
    .addHelpText(
      'after',
      `
Files: <dir>/migrations/V<digits>__<description>.sql (applied once, in version order) and
<dir>/repeatable/R__<description>.sql (re-applied when changed); .mariadb.sql / .mysql.sql apply on
that flavor only. Default dir: the schemas/ folder shipped with mysqlops. History: table
mysqlops_schema_history in DB_NAME. See docs/migrations.md.
Exit codes: 0 ok, 1 a migration failed, is blocked, or validate found problems, 2 bad flags or files.`,
    );

  const withDir = (cmd: Command) =>
    cmd.option('--dir <path>', 'folder holding migrations/ and repeatable/ (default: the bundled schemas/)');
  const withLock = (cmd: Command) =>
    cmd
      .option(
        '--lock-timeout <seconds>',
        'how long to wait for another running migration before giving up (default 60)',
      )
      .option('--wait-lock <duration>', 'the same as --lock-timeout, as a duration: 60s, 2m, 90 (seconds)');

  withLock(withDir(migrateCmd.command('up', { isDefault: true })))
    .description('create the database if needed and apply every pending migration (the default)')
    .action(async (flags: MigrateFlags) => {
      const ctx = context();
      const options = libraryOptions(ctx, flags);
      const result = await migrate(ctx.config, options);
      // The triggers follow audit_config and the tables' current columns, so re-check them after every run.
      const audit = await withDatabase(ctx.config, {}, (db) => applyAuditIfInstalled(db));
      if (audit && !audit.inSync)
        ctx.out.progress(
          `audit: ${audit.changes.filter((c) => c.action !== 'unchanged').length} trigger(s) changed`,
        );
      ctx.out.result({ ok: true, ...result, audit }, () => renderUp(result));
    });

  withDir(migrateCmd.command('plan'))
    .description('list what `migrate up` would run, in order, with statement counts; changes nothing')
    .action(async (flags: MigrateFlags) => {
      const ctx = context();
      const report = await inspectMigrations(ctx.config, libraryOptions(ctx, flags));
      ctx.out.result(inspectionDocument(report, { plan: report.plan }), () => renderPlan(report));
    });

  withDir(migrateCmd.command('status'))
    .description('every known migration with its state (applied, pending, failed, changed, drifted, missing)')
    .action(async (flags: MigrateFlags) => {
      const ctx = context();
      const report = await inspectMigrations(ctx.config, libraryOptions(ctx, flags));
      ctx.out.result(inspectionDocument(report, { migrations: report.status }), () => renderStatus(report));
    });

  withDir(migrateCmd.command('validate'))
    .description('check applied files against the history (exit 1 when there are problems)')
    .action(async (flags: MigrateFlags) => {
      const ctx = context();
      const report = await inspectMigrations(ctx.config, libraryOptions(ctx, flags));
      const ok = report.problems.length === 0;
      ctx.out.result({ ok, database: report.database, problems: report.problems }, () =>
        ok
          ? `${report.database}: no problems (${report.status.length} migrations checked)`
          : `${report.database}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}\n${report.problems.map((p) => `  - ${p.message}`).join('\n')}`,
      );
      if (!ok) process.exitCode = 1;
    });

  withLock(migrateCmd.command('repair'))
    .description('remove the history entries of failed runs so `migrate up` can run those files again')
    .action(async (flags: MigrateFlags) => {
      const ctx = context();
      const result = await repairMigrations(ctx.config, libraryOptions(ctx, flags));
      ctx.out.result({ ok: true, ...result }, () => renderRepair(result));
    });
}

function libraryOptions(ctx: CliContext, flags: MigrateFlags): MigrateOptions {
  const options: MigrateOptions = {
    onProgress: (e: MigrateProgress) => {
      if (e.step !== 'statement') ctx.out.progress(e.message);
    },
  };
  if (flags.dir !== undefined) {
    if (flags.dir.trim() === '') throw new UsageError('--dir needs a folder', 'pass --dir <path>');
    options.dir = flags.dir;
  }
  if (flags.lockTimeout !== undefined && flags.waitLock !== undefined) {
    throw new UsageError(
      '--lock-timeout and --wait-lock set the same thing; pass one',
      'e.g. --wait-lock 60s',
    );
  }
  if (flags.lockTimeout !== undefined) options.lockTimeoutMs = parseLockTimeout(flags.lockTimeout) * 1000;
  if (flags.waitLock !== undefined) options.lockTimeoutMs = parseWaitLock(flags.waitLock) * 1000;
  return options;
}

/** `--wait-lock`: seconds (`90`, `90s`) or minutes (`2m`), 0 to a day; the deploy-pipeline spelling. */
export function parseWaitLock(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(value.trim());
  const seconds = m ? Number(m[1]) * (m[2] === 'm' ? 60 : 1) : Number.NaN;
  if (!Number.isFinite(seconds) || seconds > MAX_LOCK_TIMEOUT_S) {
    throw new UsageError(
      `--wait-lock expects a duration from 0 to ${MAX_LOCK_TIMEOUT_S}s (e.g. 60s, 2m, 90), got ${JSON.stringify(value)}`,
      'pass seconds or minutes, e.g. --wait-lock 60s',
    );
  }
  return seconds;
}

/** Seconds, decimals allowed, 0 to a day. */
export function parseLockTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || n > MAX_LOCK_TIMEOUT_S) {
    throw new UsageError(
      `--lock-timeout expects seconds from 0 to ${MAX_LOCK_TIMEOUT_S}, got ${JSON.stringify(value)}`,
      'pass a number of seconds, e.g. --lock-timeout 120',
    );
  }
  return n;
}

function renderUp(r: MigrateResult): string {
  const head = r.created ? `created database ${r.database}\n` : '';
  if (r.applied.length === 0) return `${head}${r.database} is up to date: nothing to apply`;
  const rows = r.applied.map((s) => [s.version ?? '-', s.script, s.type, s.statements, s.ms]);
  return `${head}${table(['version', 'script', 'type', 'statements', 'ms'], rows)}\n\n${r.applied.length} migration${r.applied.length === 1 ? '' : 's'} applied to ${r.database}`;
}

function renderPlan(r: MigrationReport): string {
  const lines: string[] = [];
  if (!r.databaseExists) lines.push(`database ${r.database} does not exist yet; \`migrate up\` creates it`);
  if (r.plan.length === 0) lines.push(`${r.database} is up to date: nothing to apply`);
  else {
    lines.push(
      table(
        ['#', 'version', 'script', 'type', 'reason', 'statements'],
        r.plan.map((p, i) => [i + 1, p.version ?? '-', p.script, p.type, p.reason, p.statements]),
      ),
    );
  }
  if (r.problems.length > 0) lines.push('', ...problemLines(r));
  return lines.join('\n');
}

function renderStatus(r: MigrationReport): string {
  const lines: string[] = [];
  if (!r.databaseExists) lines.push(`database ${r.database} does not exist yet; everything is pending`);
  if (r.status.length === 0) lines.push('no migrations found');
  else {
    lines.push(
      table(
        ['version', 'script', 'type', 'state', 'installed at (UTC)', 'ms'],
        r.status.map((s) => [
          s.version ?? '-',
          s.script,
          s.type,
          s.state,
          s.installedAt?.replace('T', ' ').replace('Z', ''),
          s.executionMs,
        ]),
      ),
    );
  }
  if (r.problems.length > 0) lines.push('', ...problemLines(r));
  return lines.join('\n');
}

function problemLines(r: MigrationReport): string[] {
  return [
    `\`migrate up\` would refuse: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`,
    ...r.problems.map((p) => `  - ${p.message}`),
  ];
}

function renderRepair(r: RepairResult): string {
  if (r.removed.length === 0) return `${r.database}: no failed entries; nothing to repair`;
  return `${r.database}: removed ${r.removed.length} failed entr${r.removed.length === 1 ? 'y' : 'ies'}\n${table(
    ['version', 'script', 'type', 'failed at (UTC)', 'statements applied', 'error'],
    r.removed.map((e) => [
      e.version ?? '-',
      e.script,
      e.type,
      e.installedAt.replace('T', ' ').replace('Z', ''),
      e.statementsApplied,
      e.error,
    ]),
  )}`;
}

/** The JSON document of `plan` and `status`: where, and the problems, around the part asked for. */
function inspectionDocument(
  report: Awaited<ReturnType<typeof inspectMigrations>>,
  part: Record<string, unknown>,
): Record<string, unknown> {
  return {
    ok: true,
    database: report.database,
    databaseExists: report.databaseExists,
    flavor: report.flavor,
    ...part,
    problems: report.problems,
  };
}
