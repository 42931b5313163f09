/**
 * `mysqlops maintain [JOB...] [--dry-run] [--force]`: table statistics, defragmentation and binary
 * log purging, one report per job. Exit 1 when the server refused a statement.
 */
import type { Command } from 'commander';
import {
  MAINTENANCE_JOBS,
  type MaintenanceReport,
  parseJobs,
  runMaintenance,
  UNCHANGED_REASON,
} from '../../maintenance/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

export function registerMaintain(program: Command, context: () => CliContext): void {
  program
    .command('maintain')
    .description(
      'maintenance jobs: purge old audit rows and ETL runs, analyze stale statistics, rebuild fragmented tables, purge binary logs',
    )
    .argument('[jobs...]', `jobs to run (${MAINTENANCE_JOBS.join(', ')}); default all`)
    .option('--dry-run', 'print the statements each job would run; run none')
    .option('--force', 'optimize: rebuild tables above maintenance.optimizeMaxBytes too')
    .addHelpText(
      'after',
      `
Thresholds come from the maintenance section of the config file (docs/operations/maintenance.md).
binlog-purge keeps every log a kept backup chain (BACKUP_DIR) still needs, and every log while a
replica is connected.
Exit codes: 0 done, 1 the server refused a statement (see failed), 2 unknown job or bad configuration.`,
    )
    .action(async (names: string[], flags: { dryRun?: boolean; force?: boolean }) => {
      const ctx = context();
      const jobs = parseJobs(names);
      const dryRun = flags.dryRun === true;
      const reports = await withDatabase(ctx.config, {}, (db) =>
        runMaintenance(db, ctx.config, {
          jobs,
          dryRun,
          force: flags.force === true,
          onReport: (r) => ctx.out.progress(`${r.job}: ${r.actions.length} statement(s)`),
        }),
      );
      const failed = reports.some((r) => r.failed.length > 0);
      ctx.out.result({ ok: !failed, dryRun, jobs: reports }, () => renderMaintenance(reports, dryRun));
      if (failed) process.exitCode = 1;
    });
}

export function renderMaintenance(reports: readonly MaintenanceReport[], dryRun: boolean): string {
  const rows: unknown[][] = [];
  for (const r of reports) {
    for (const a of r.actions) {
      rows.push([
        r.job,
        dryRun ? 'would run' : 'ran',
        a.statement,
        dryRun ? '' : `${a.ms} ms`,
        a.reason ?? '',
      ]);
    }
    for (const f of r.failed) rows.push([r.job, 'FAILED', f.statement, '', f.message]);
    // Untouched tables are the common case: one line for all of them, not one each.
    const untouched = r.skipped.filter((s) => s.reason === UNCHANGED_REASON);
    if (untouched.length > 0)
      rows.push([r.job, 'skipped', `${untouched.length} table(s)`, '', UNCHANGED_REASON]);
    for (const s of r.skipped) {
      if (s.reason !== UNCHANGED_REASON) rows.push([r.job, 'skipped', s.table ?? '', '', s.reason]);
    }
  }
  if (rows.length === 0) return 'nothing to do';
  return table(['job', 'outcome', 'statement / table', 'time', 'why'], rows);
}
