/** ETL state for the dashboard: each pipeline's freshness and the last runs (from `etlStatus`). */
import type { DatabaseManager } from '../../db/index.js';
import { etlStatus } from '../../etl/index.js';
import type { EtlState } from '../types.js';
import { isMissingTable } from './missing-table.js';

const RUNS = 10;

export async function etlState(db: DatabaseManager): Promise<EtlState> {
  let status: Awaited<ReturnType<typeof etlStatus>>;
  try {
    status = await etlStatus(db, { limit: RUNS });
  } catch (err) {
    if (isMissingTable(err))
      return { available: false, reason: 'the ETL tables do not exist here (run mysqlops migrate)' };
    throw err;
  }
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    available: true,
    changeLogRows: status.changeLogRows,
    pipelines: status.pipelines.map((p) => ({
      pipeline: p.pipeline,
      built: p.built,
      pendingKeys: p.pendingKeys,
      lastRunAt: iso(p.lastRunAt),
      lastFullAt: iso(p.lastFullAt),
    })),
    runs: status.runs.map((r) => ({
      runId: r.runId,
      pipeline: r.pipeline,
      mode: r.mode,
      status: r.status,
      startedAt: r.startedAt.toISOString(),
      finishedAt: iso(r.finishedAt),
      rowsWritten: r.rowsWritten,
      error: r.error,
    })),
  };
}
