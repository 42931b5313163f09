/**
 * The reporting ETL (docs/etl.md): four pipelines filling the reporting tables from the OLTP
 * tables, incremental by default (change capture by triggers, pending keys, bounded set-based
 * batches), `full` rebuilds swapped in atomically, a run log, per-pipeline locks, verification
 * against a fresh rebuild, a cron scheduler, and typed report readers.
 */
import type { DatabaseManagerConfig } from '../db/index.js';
import { runEtl } from './run.js';
import { type ScheduledJob, Scheduler, type SchedulerOptions } from './schedule.js';
import { PIPELINES, type PipelineName, type RunEtlOptions } from './types.js';

export { etlLockName } from './lock.js';
export { VIP_ORDERS, VIP_SPEND } from './pipelines/index.js';
export * from './readers.js';
export { DEFAULT_BATCH_SIZE, resolvePipelines, retryTransient, runEtl } from './run.js';
export {
  type CronSchedule,
  cronMatches,
  cronProblem,
  nextCronTime,
  parseCron,
  type ScheduledJob,
  Scheduler,
  type SchedulerEvent,
  type SchedulerOptions,
} from './schedule.js';
export { type EtlPipelineState, type EtlRunRow, type EtlStatus, etlStatus } from './status.js';
export * from './types.js';
export {
  type VerifyDifference,
  type VerifyEtlResult,
  type VerifyPipelineResult,
  verifyEtl,
} from './verify.js';

/** The default schedule: customers, products and days every 15 minutes, cohorts hourly. */
export const DEFAULT_ETL_SCHEDULE: Readonly<Record<PipelineName, string>> = Object.freeze({
  customer_order_summary: '*/15 * * * *',
  product_performance_summary: '*/15 * * * *',
  daily_sales_summary: '*/15 * * * *',
  customer_cohort_analysis: '5 * * * *',
});

/** What `etlJobs` reads from a configuration (a loaded `MysqlopsConfig` has it). */
export interface EtlJobsConfig extends DatabaseManagerConfig {
  etl: {
    /** Keys per batch; default DEFAULT_BATCH_SIZE. */
    batchSize?: number;
    /** Cron expression (UTC) per pipeline; null or absent: not scheduled. */
    schedule: Readonly<Partial<Record<PipelineName, string | null>>>;
  };
}

/**
 * One scheduled job per pipeline with a cron expression in `config.etl.schedule` (null or absent
 * leaves it out), named `etl:<pipeline>`, each an incremental `runEtl` of that pipeline alone with
 * `config.etl.batchSize`. For `mysqlops serve` (or any Scheduler). A run that finds its pipeline
 * locked (E_ETL_LOCKED) rejects; the scheduler reports that tick as failed and tries again at the
 * next one. Expressions are not checked here: the config schema (or `Scheduler`) does that.
 */
export function etlJobs(
  config: EtlJobsConfig,
  run: Omit<RunEtlOptions, 'pipelines' | 'full' | 'batchSize'> = {},
): ScheduledJob[] {
  const jobs: ScheduledJob[] = [];
  for (const p of PIPELINES) {
    const cron = config.etl.schedule[p];
    if (!cron) continue;
    jobs.push({
      name: `etl:${p}`,
      cron,
      run: () =>
        runEtl(config, {
          ...run,
          pipelines: [p],
          ...(config.etl.batchSize === undefined ? {} : { batchSize: config.etl.batchSize }),
        }),
    });
  }
  return jobs;
}

/**
 * A Scheduler with one job per scheduled pipeline (a null expression leaves it unscheduled), each
 * an incremental `runEtl` of that pipeline. A run that finds the pipeline locked fails that tick
 * only (reported as a `failed` event); the next tick tries again.
 */
export function etlScheduler(
  config: DatabaseManagerConfig,
  schedule: Readonly<Partial<Record<PipelineName, string | null>>>,
  options: SchedulerOptions & { run?: Omit<RunEtlOptions, 'pipelines' | 'full'> } = {},
): Scheduler {
  const { batchSize, ...run } = options.run ?? {};
  return new Scheduler(
    etlJobs({ ...config, etl: { schedule, ...(batchSize === undefined ? {} : { batchSize }) } }, run),
    options,
  );
}
