/**
 * `analyze`: ANALYZE TABLE where enough rows changed since the statistics were last computed.
 *
 * InnoDB counts row changes per table since its last statistics update (MODIFIED_COUNTER, reset by
 * ANALYZE TABLE and by automatic recalculation). Tables with STATS_AUTO_RECALC=0, or whose changes
 * stay below the server's own 10% trigger between restarts, drift until someone analyzes them.
 */
import type { DatabaseManager } from '../db/index.js';
import { qualifiedName, tableLabel, targetSchemas } from './tables.js';
import {
  failureOf,
  type MaintenanceAction,
  type MaintenanceReport,
  type MaintenanceRunOptions,
} from './types.js';

/** Options of `analyzeTables`. */
export interface AnalyzeOptions extends MaintenanceRunOptions {
  /** Changed rows / rows at which a table is analyzed (0.1 = 10%, the default). */
  threshold?: number;
}

/** An InnoDB table's row count and changes since its statistics were computed (both estimates). */
export interface TableChangeStats {
  schema: string;
  table: string;
  rows: number;
  modified: number;
}

/**
 * The statistics views differ only in name: MariaDB kept the `SYS_` prefix, MySQL 8 dropped it.
 * Partitions appear as `db/t#P#p0` (`#p#` on some platforms): their counters are summed per table.
 */
function tableStatsSql(kind: 'mariadb' | 'mysql'): string {
  const view = kind === 'mariadb' ? 'INNODB_SYS_TABLESTATS' : 'INNODB_TABLESTATS';
  return `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t,
       SUM(st.NUM_ROWS) AS num_rows, SUM(st.MODIFIED_COUNTER) AS modified
  FROM information_schema.TABLES t
  JOIN information_schema.${view} st
    ON SUBSTRING_INDEX(SUBSTRING_INDEX(st.NAME, '#P#', 1), '#p#', 1) = CONCAT(t.TABLE_SCHEMA, '/', t.TABLE_NAME)
 WHERE t.TABLE_SCHEMA IN (?) AND t.ENGINE = 'InnoDB' AND t.TABLE_TYPE = 'BASE TABLE'
 GROUP BY t.TABLE_SCHEMA, t.TABLE_NAME
 ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME`;
}

/** Row counts and changes since the last statistics update of every InnoDB table in `schemas`. */
export async function tableChangeStats(
  db: DatabaseManager,
  schemas: readonly string[],
): Promise<TableChangeStats[]> {
  if (schemas.length === 0) return [];
  const rows = await db.query<{ s: string; t: string; num_rows: unknown; modified: unknown }>(
    tableStatsSql(db.flavor.kind),
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.s,
    table: r.t,
    rows: Number(r.num_rows),
    modified: Number(r.modified),
  }));
}

/** The skip reason of a table without changes (the CLI folds these into one line). */
export const UNCHANGED_REASON = 'no rows changed since the last statistics';

/** Whether `modified` changes on a table of `rows` rows pass `threshold`. */
export function needsAnalyze(rows: number, modified: number, threshold: number): boolean {
  if (modified <= 0) return false;
  // An empty (or never counted) table that has changes has no statistics worth keeping.
  if (rows <= 0) return true;
  return modified / rows >= threshold;
}

/**
 * Analyze every InnoDB table in the target schemas whose changed-row ratio reaches `threshold`.
 * Untouched tables are never analyzed. A failure on one table is reported in `failed` and the job
 * goes on with the next.
 */
export async function analyzeTables(
  db: DatabaseManager,
  options: AnalyzeOptions = {},
): Promise<MaintenanceReport> {
  const threshold = options.threshold ?? 0.1;
  const dryRun = options.dryRun === true;
  await db.initialize();
  const report: MaintenanceReport = { job: 'analyze', dryRun, actions: [], skipped: [], failed: [] };
  const stats = await tableChangeStats(db, await targetSchemas(db, options.schemas));
  for (const s of stats) {
    const label = tableLabel(s.schema, s.table);
    const pct = s.rows > 0 ? Math.round((s.modified / s.rows) * 100) : 100;
    if (!needsAnalyze(s.rows, s.modified, threshold)) {
      report.skipped.push({
        table: label,
        reason:
          s.modified === 0
            ? UNCHANGED_REASON
            : `${s.modified} of ${s.rows} rows changed (${pct}%), below ${Math.round(threshold * 100)}%`,
      });
      continue;
    }
    const name = qualifiedName(s.schema, s.table);
    if (!name) {
      report.skipped.push({
        table: label,
        reason: 'name needs quoting mysqlops does not do; analyze it by hand',
      });
      continue;
    }
    const statement = `ANALYZE TABLE ${name}`;
    const action: MaintenanceAction = {
      statement,
      table: label,
      ms: 0,
      reason: `${s.modified} of ${s.rows} rows changed (${pct}%)`,
    };
    if (!dryRun) {
      const started = performance.now();
      try {
        const result = await db.query<{ Msg_type: string; Msg_text: string }>(statement);
        const problem = result.find((r) => r.Msg_type === 'error');
        if (problem) throw new Error(problem.Msg_text);
      } catch (err) {
        report.failed.push(failureOf(statement, label, err));
        continue;
      }
      action.ms = Math.round(performance.now() - started);
    }
    report.actions.push(action);
  }
  return report;
}
