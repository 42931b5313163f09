/**
 * `mysqlops health [--json]`: every health check in one table (or one JSON document). Exit 1 when
 * any check is critical, including an unreachable server: the report is printed either way.
 */
import type { Command } from 'commander';
import { DatabaseManager } from '../../db/index.js';
import { type HealthReport, runHealthChecks } from '../../monitor/index.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

export function registerHealth(program: Command, context: () => CliContext): void {
  program
    .command('health')
    .description(
      'run the health checks: connections, buffer pool, locks, replication, disk, backups, ETL, audit',
    )
    .addHelpText(
      'after',
      `
Thresholds come from the health section of the config file (docs/monitoring.md).
Exit codes: 0 no check critical, 1 a check is critical (or the server is unreachable), 2 bad configuration.`,
    )
    .action(async () => {
      const ctx = context();
      const config = ctx.config;
      // Not opened through openDatabase: an unreachable server must still produce a report.
      const db = new DatabaseManager({
        ...config,
        connection: { ...config.connection, database: undefined, replicas: [] },
        pool: { ...config.pool, size: Math.min(config.pool.size, 2) },
      });
      let report: HealthReport;
      try {
        report = await runHealthChecks(db, config);
      } finally {
        await db.close();
      }
      ctx.out.result({ ok: report.status !== 'critical', ...report }, () => renderHealth(report));
      if (report.status === 'critical') process.exitCode = 1;
    });
}

const MARK: Record<string, string> = { ok: 'ok', warning: 'WARN', critical: 'CRIT', unknown: '?' };

export function renderHealth(r: HealthReport): string {
  const rows = r.checks.map((c) => [
    MARK[c.status] ?? c.status,
    c.name,
    c.value === null ? '-' : `${c.value}${c.unit ? ` ${c.unit}` : ''}`,
    c.threshold ?? '',
    c.hint,
  ]);
  return `${table(['status', 'check', 'value', 'threshold', 'hint'], rows)}\n\noverall: ${r.status} (${r.at})`;
}
