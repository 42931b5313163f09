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
export type PipelineName = (typeof PIPELINES)[number];

/** What pipeline SQL runs through: a transaction handle or a context view of the manager. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  execute(sql: string, params?: Params): Promise<ExecuteResult>;
}

export type EtlPhase = 'lock' | 'dispatch' | 'full' | 'batch' | 'finish' | 'done';

export interface EtlProgress {
  pipeline: PipelineName | null;
  phase: EtlPhase;
  message: string;
  /** Keys (incremental) or steps (full) done so far and in total, for a progress bar. */
  done: number;
  total: number;
}

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

export interface RunEtlResult {
  database: string;
  pipelines: PipelineRunResult[];
  ms: number;
}
