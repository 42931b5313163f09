/** `etlStatus()`: the run log and each pipeline's state, for `mysqlops etl status`. */
import type { DatabaseManager } from '../db/index.js';
import type { PipelineName } from './types.js';

/**
 * One run from the etl_runs log. A run still going (or one whose process died) has status `running`
 * and a null `finishedAt`; `error` is set for failed runs.
 */
export interface EtlRunRow {
  runId: number;
  pipeline: PipelineName;
  mode: 'full' | 'incremental';
  status: 'running' | 'success' | 'failed';
  startedAt: Date;
  finishedAt: Date | null;
  batches: number;
  rowsRead: number;
  rowsWritten: number;
  /** Decimal strings: change ids exceed what a JavaScript number holds exactly. */
  watermarkBefore: string | null;
  watermarkAfter: string | null;
  error: string | null;
}

/**
 * One pipeline's state from etl_state. `built` false means the next run rebuilds it in full;
 * `lastChangeId` (a decimal string) is the change log position it has been fed up to; `pendingKeys`
 * are keys queued for its next incremental run; `asOf` is the segment clock (the newest order's time;
 * null before a build and for pipelines without segments).
 */
export interface EtlPipelineState {
  pipeline: PipelineName;
  built: boolean;
  lastChangeId: string;
  pendingKeys: number;
  asOf: Date | null;
  lastFullAt: Date | null;
  lastRunAt: Date | null;
}

/** What `etlStatus` returns for `mysqlops etl status`: the change log backlog, each pipeline's state, recent runs. */
export interface EtlStatus {
  /** Captured changes not yet moved to the pipelines' pending keys. */
  changeLogRows: number;
  pipelines: EtlPipelineState[];
  /** The newest runs first. */
  runs: EtlRunRow[];
}

/** Pipeline states and the last `limit` runs (default 20), newest first. Read-only. */
export async function etlStatus(db: DatabaseManager, options: { limit?: number } = {}): Promise<EtlStatus> {
  const limit = Math.max(1, Math.min(options.limit ?? 20, 1000));
  const [log] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_change_log');
  const states = await db.query<Record<string, unknown>>(
    `SELECT s.pipeline, s.built, CAST(s.last_change_id AS CHAR) AS last_change_id, s.as_of, s.last_full_at, s.last_run_at,
            (SELECT COUNT(*) FROM etl_pending p WHERE p.pipeline = s.pipeline) AS pending
     FROM etl_state s ORDER BY FIELD(s.pipeline, 'customer_order_summary', 'product_performance_summary',
       'daily_sales_summary', 'customer_cohort_analysis')`,
  );
  const runs = await db.query<Record<string, unknown>>(
    `SELECT run_id, pipeline, mode, status, started_at, finished_at, batches, rows_read, rows_written,
            CAST(watermark_before AS CHAR) AS watermark_before, CAST(watermark_after AS CHAR) AS watermark_after, error
     FROM etl_runs ORDER BY run_id DESC LIMIT ${limit}`,
  );
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    changeLogRows: Number(log?.n ?? 0),
    pipelines: states.map((s) => ({
      pipeline: s.pipeline as PipelineName,
      built: Number(s.built) === 1,
      lastChangeId: String(s.last_change_id),
      pendingKeys: Number(s.pending),
      asOf: (s.as_of as Date | null) ?? null,
      lastFullAt: (s.last_full_at as Date | null) ?? null,
      lastRunAt: (s.last_run_at as Date | null) ?? null,
    })),
    runs: runs.map((r) => ({
      runId: Number(r.run_id),
      pipeline: r.pipeline as PipelineName,
      mode: r.mode as 'full' | 'incremental',
      status: r.status as EtlRunRow['status'],
      startedAt: r.started_at as Date,
      finishedAt: (r.finished_at as Date | null) ?? null,
      batches: Number(r.batches),
      rowsRead: Number(r.rows_read),
      rowsWritten: Number(r.rows_written),
      watermarkBefore: text(r.watermark_before),
      watermarkAfter: text(r.watermark_after),
      error: (r.error as string | null) ?? null,
    })),
  };
}
