/**
 * The `maintenance` configuration section: when `mysqlops serve` runs the maintenance jobs and
 * their thresholds. A leaf module (zod, the config field builders and the cron parser only), so the
 * config loader can import it without the jobs.
 */
import { z } from 'zod';
import { intIn, show, strictObject } from '../config/fields.js';
import { cronProblem } from '../etl/cron.js';

/** A share from 0 to 1. */
const ratio = z
  .number({ error: (iss) => `expected a number from 0 to 1, got ${show(iss.input)}` })
  .min(0)
  .max(1);

/** The `maintenance` section; every field is required after loading (defaults from maintenanceDefaults). */
export const maintenanceSchema = strictObject({
  /** When `mysqlops serve` runs every job (cron, UTC; null: never). Default 30 3 * * * (nightly). */
  schedule: z
    .string({ error: (iss) => `expected a cron expression or null, got ${typeof iss.input}` })
    .superRefine((value, ctx) => {
      const problem = cronProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${problem}` });
    })
    .nullable(),
  /** `analyze`: changed rows / rows at which a table is analyzed. Default 0.1 (10%). */
  analyzeThreshold: ratio,
  /** `optimize`: free bytes / table bytes at which a table is rebuilt. Default 0.2. */
  optimizeFreeRatio: ratio,
  /** `optimize`: free bytes a table must also have to be rebuilt. Default 67108864 (64 MiB). */
  optimizeMinFreeBytes: intIn(0, Number.MAX_SAFE_INTEGER),
  /** `optimize`: tables bigger than this are skipped unless --force. Default 10737418240 (10 GiB). */
  optimizeMaxBytes: intIn(0, Number.MAX_SAFE_INTEGER),
  /** `binlog-purge`: keep binary logs of the last N days. Default 7; 0 keeps only what backups and replicas need. */
  binlogRetentionDays: intIn(0, 3650),
  /** `partitions`: months after the current one that must have their monthly partition. Default 3. */
  partitionsAheadMonths: intIn(0, 120),
  /**
   * `partitions`: drop monthly partitions wholly older than this many months. Default null: never.
   * WARNING: dropping a partition deletes its rows at once; back them up first if they matter.
   */
  partitionRetentionMonths: intIn(1, 1200).nullable(),
  /** `retention`: keep ETL run records of the last N days (the newest run of each pipeline always stays). Default 90. */
  etlRunsRetentionDays: intIn(1, 36500),
});

/** `mysqlops maintain` and its schedule. See `maintenanceSchema` for each field. */
export type MaintenanceConfig = z.output<typeof maintenanceSchema>;

/** The built-in values, the same in every environment. */
export function maintenanceDefaults(): MaintenanceConfig {
  return {
    schedule: '30 3 * * *',
    analyzeThreshold: 0.1,
    optimizeFreeRatio: 0.2,
    optimizeMinFreeBytes: 64 * 1024 * 1024,
    optimizeMaxBytes: 10 * 1024 ** 3,
    binlogRetentionDays: 7,
    partitionsAheadMonths: 3,
    partitionRetentionMonths: null,
    etlRunsRetentionDays: 90,
  };
}
