/**
 * The top statements by total time, for the dashboard's table: src/monitor's digest report
 * (server-wide, literals replaced by the server) when performance_schema is on, else this
 * process's own statement stats (DatabaseManager's shapes), which `source` and `note` then say.
 */
import type { DatabaseManager } from '../../db/index.js';
import { MysqlopsError } from '../../errors.js';
import { topQueries as digestReport } from '../../monitor/index.js';
import type { TopQueries } from '../types.js';

export async function topQueries(db: DatabaseManager, limit: number): Promise<TopQueries> {
  try {
    const digests = await digestReport(db, { limit });
    return {
      source: 'performance_schema',
      rows: digests.map((d) => ({
        query: d.query,
        calls: d.calls,
        totalMs: d.totalMs,
        avgMs: d.avgMs,
        p95Ms: d.p95Ms,
        rowsExamined: d.rowsExamined,
        rowsSent: d.rowsSent,
        fullScans: d.fullScans,
      })),
    };
  } catch (err) {
    if (!(err instanceof MysqlopsError && err.code === 'E_PERFORMANCE_SCHEMA_OFF')) throw err;
    return {
      source: 'this process',
      note: `${err.message}: only statements this process ran are listed`,
      rows: db.queryStats(limit).map((s) => ({
        query: s.shape,
        calls: s.calls,
        totalMs: Math.round(s.totalMs * 1000) / 1000,
        avgMs: Math.round(s.avgMs * 1000) / 1000,
        p95Ms: s.p95Ms,
      })),
    };
  }
}
