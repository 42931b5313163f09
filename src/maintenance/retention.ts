/**
 * `retention`: drop operational history past its retention in the connection's database: audit
 * rows of sealed blocks (through the audit module's own purge, so the hash chain still verifies)
 * and old ETL run records, in small batches so no transaction holds many locks.
 */
import { purgeAudit } from '../audit/index.js';
import type { DatabaseManager } from '../db/index.js';
import { failureOf, type MaintenanceReport } from './types.js';

/** Options of `applyRetention`. */
export interface RetentionOptions {
  dryRun?: boolean;
  /** Keep ETL run records of the last N days. Default 90. The newest run of each pipeline always stays. */
  etlRunsRetentionDays?: number;
  /** Rows per delete transaction. Default 1000. */
  batchSize?: number;
}

// The newest run of each pipeline stays whatever its age: `etl status` and the health checks read it.
// Running rows stay too: the ETL itself finishes or fails them.
const OLD_RUNS = `FROM etl_runs
 WHERE started_at < UTC_TIMESTAMP(3) - INTERVAL ? DAY AND status <> 'running'
   AND run_id NOT IN (SELECT run_id FROM (SELECT MAX(run_id) AS run_id FROM etl_runs GROUP BY pipeline) AS newest)`;

async function presentTables(db: DatabaseManager): Promise<Set<string>> {
  const rows = await db.query<{ t: string }>(
    `SELECT TABLE_NAME AS t FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('audit_config', 'audit_seal', 'audit_log', 'etl_runs')`,
  );
  return new Set(rows.map((r) => r.t));
}

/** Purge audit rows by audit_config's retention and ETL run records older than `etlRunsRetentionDays`. */
export async function applyRetention(
  db: DatabaseManager,
  options: RetentionOptions = {},
): Promise<MaintenanceReport> {
  const dryRun = options.dryRun === true;
  const days = options.etlRunsRetentionDays ?? 90;
  const batch = options.batchSize ?? 1000;
  await db.initialize();
  const report: MaintenanceReport = { job: 'retention', dryRun, actions: [], skipped: [], failed: [] };
  const [selected] = await db.query<{ d: string | null }>('SELECT DATABASE() AS d');
  if (!selected?.d) {
    report.skipped.push({ reason: 'no database selected (DB_NAME)' });
    return report;
  }
  const tables = await presentTables(db);

  if (tables.has('audit_config') && tables.has('audit_seal') && tables.has('audit_log')) {
    const started = performance.now();
    try {
      const result = await purgeAudit(db, { dryRun, batchSize: batch });
      const purged = result.tables.filter((t) => t.purged > 0);
      if (purged.length === 0) report.skipped.push({ reason: 'audit: no sealed block past its retention' });
      else {
        report.actions.push({
          statement: `audit purge: ${purged.map((t) => `${t.table} ${t.purged} rows`).join(', ')}`,
          table: 'audit_log',
          ms: dryRun ? 0 : Math.round(performance.now() - started),
          reason: `${result.purged} rows in ${result.blocks} sealed blocks past retention`,
        });
      }
    } catch (err) {
      report.failed.push(failureOf('audit purge', 'audit_log', err));
    }
  } else report.skipped.push({ reason: 'audit: no audit tables in this database' });

  if (!tables.has('etl_runs')) {
    report.skipped.push({ reason: 'etl_runs: no such table in this database' });
    return report;
  }
  const statement = `DELETE ${OLD_RUNS.replace('?', String(days))} ORDER BY run_id LIMIT ${batch}`;
  const [count] = await db.query<{ n: unknown }>(`SELECT COUNT(*) AS n ${OLD_RUNS}`, [days]);
  const old = Number(count?.n ?? 0);
  if (old === 0) {
    report.skipped.push({ table: 'etl_runs', reason: `no run older than ${days} days` });
    return report;
  }
  let deleted = 0;
  let batches = 0;
  const started = performance.now();
  if (!dryRun) {
    try {
      for (;;) {
        const r = await db.execute(`DELETE ${OLD_RUNS} ORDER BY run_id LIMIT ?`, [days, batch]);
        deleted += r.affectedRows;
        batches++;
        if (r.affectedRows < batch) break;
      }
    } catch (err) {
      report.failed.push(failureOf(statement, 'etl_runs', err));
      return report;
    }
  }
  report.actions.push({
    statement,
    table: 'etl_runs',
    ms: dryRun ? 0 : Math.round(performance.now() - started),
    reason: dryRun
      ? `${old} runs older than ${days} days`
      : `${deleted} runs older than ${days} days, in ${batches} batch(es)`,
  });
  return report;
}
