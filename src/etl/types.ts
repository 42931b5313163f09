/**
 * The ETL's public types: pipeline names, run options and results, progress events.
 */
import type { ExecuteResult, Params } from '../db/index.js';

/** The four reporting pipelines, in the order `etl run` runs them. */
export const PIPELINES = [
  'customer_order_summary',
  'product_performance_summary',
  'daily_sales_summary',
  'customer_cohort_analysis',
] as const;
/** The name of a reporting pipeline, which is also the name of the report table it fills. */
export type PipelineName = (typeof PIPELINES)[number];

/** What pipeline SQL runs through: a transaction handle or a context view of the manager. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  execute(sql: string, params?: Params): Promise<ExecuteResult>;
}

/**
 * Where a run is: `lock` (the pipelines' locks are held), `dispatch` (draining the change log),
 * `full` (building and swapping in a shadow report), `batch` (an incremental batch committed),
 * `finish` (a pipeline's closing step), `done` (one pipeline's run is over, failed or not).
 */
export type EtlPhase = 'lock' | 'dispatch' | 'full' | 'batch' | 'finish' | 'done';

/**
 * A progress event of `runEtl` (`RunEtlOptions.onProgress`). `pipeline` is null for events of the
 * whole run (`lock`, the shared `dispatch`); `message` is a human-readable line for logs.
 */
export interface EtlProgress {
  pipeline: PipelineName | null;
  phase: EtlPhase;
  message: string;
  /** Keys (incremental) or steps (full) done so far and in total, for a progress bar. */
  done: number;
  total: number;
}

/** Options of `runEtl`; every field is optional and the defaults give an incremental run of all pipelines. */
export interface RunEtlOptions {
  /** Pipelines to run; default all, in PIPELINES order. Unknown names are a usage error (exit 2). */
  pipelines?: readonly string[];
  /** Rebuild each report from scratch into a shadow table and swap it in. Default false (incremental). */
  full?: boolean;
  /** Keys recomputed per transaction in incremental runs. Default 5,000. */
  batchSize?: number;
  /**
   * Connections working through the keys of one pipeline at once in incremental runs, for the
   * pipelines whose batches touch disjoint rows (customers); the others use one. Default 2.
   */
  workers?: number;
  /** Retries of a batch after a transient error (deadlock, lock wait, lost connection). Default 5. */
  maxRetries?: number;
  /** Progress events (never printed by the library). */
  onProgress?: (event: EtlProgress) => void;
  /**
   * Aborting stops the run after the batch in flight: committed batches stay, the rest stays
   * pending, the run is logged as failed, and runEtl rejects with E_ETL ("interrupted").
   */
  signal?: AbortSignal;
}

/**
 * How one pipeline's run went, as logged in etl_runs under `runId`. `rowsRead` is keys processed in
 * incremental runs and an estimate of the source tables' rows (InnoDB statistics) in full ones;
 * `ms` is wall time, and `error` is set only when `status` is `failed`.
 */
export interface PipelineRunResult {
  pipeline: PipelineName;
  runId: number;
  mode: 'full' | 'incremental';
  status: 'success' | 'failed';
  batches: number;
  rowsRead: number;
  rowsWritten: number;
  /** etl_state.last_change_id before and after (decimal strings: ids exceed 2^53). */
  watermarkBefore: string;
  watermarkAfter: string;
  ms: number;
  error?: string;
}

/**
 * What `runEtl` resolves with: the database it ran on, one result per pipeline in PIPELINES order,
 * and the total wall time in ms. A failed pipeline makes `runEtl` reject instead (E_ETL).
 */
export interface RunEtlResult {
  database: string;
  pipelines: PipelineRunResult[];
  ms: number;
}
