/**
 * Running the maintenance jobs together, from the loaded configuration: what `mysqlops maintain`
 * and the `serve` scheduler call.
 */
import { backupSettings, withBackupLock } from '../backup/index.js';
import type { MysqlopsConfig } from '../config/index.js';
import { DatabaseManager, primaryOnly } from '../db/index.js';
import { MysqlopsError, UsageError } from '../errors.js';
import type { ScheduledJob } from '../etl/index.js';
import { analyzeTables } from './analyze.js';
import { purgeBinlogs } from './binlog-purge.js';
import { optimizeTables } from './optimize.js';
import { rotatePartitions } from './partitions.js';
import { applyRetention } from './retention.js';
import { MAINTENANCE_JOBS, type MaintenanceJobName, type MaintenanceReport } from './types.js';

/** Options of `runMaintenance`. */
export interface MaintenanceOptions {
  /** Jobs to run, in any order (they run in MAINTENANCE_JOBS order). Default: all. */
  jobs?: readonly string[];
  /** Report the statements, run none. Default false. */
  dryRun?: boolean;
  /** `optimize`: rebuild tables above maintenance.optimizeMaxBytes too. Default false. */
  force?: boolean;
  /** Schemas for analyze and optimize. Default: the connection's database. */
  schemas?: readonly string[];
  /** Called with each job's report as it finishes. */
  onReport?: (report: MaintenanceReport) => void;
}

/** A scheduled maintenance run in which the server refused statements; `failures` names each. */
export class MaintenanceError extends MysqlopsError {
  readonly failures: string[];
  constructor(failures: string[]) {
    super({
      code: 'E_MAINTENANCE',
      message: `${failures.length} maintenance statement(s) failed: ${failures.slice(0, 3).join('; ')}`,
      hint: 'mysqlops maintain --json shows every job with its failures',
    });
    this.failures = failures;
  }
}

/** Longest wait for a running backup before binlog-purge gives up (it must not race an incremental). */
const BACKUP_LOCK_WAIT_SECONDS = 600;

/** Validate job names: E_USAGE (exit 2) names the unknown ones and the valid ones. */
export function parseJobs(names: readonly string[] | undefined): MaintenanceJobName[] {
  if (!names || names.length === 0) return [...MAINTENANCE_JOBS];
  const unknown = names.filter((n) => !(MAINTENANCE_JOBS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown maintenance job${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      `jobs: ${MAINTENANCE_JOBS.join(', ')}`,
    );
  }
  return MAINTENANCE_JOBS.filter((j) => names.includes(j));
}

/**
 * Run the chosen jobs one after another on `db` with the thresholds of `config.maintenance`.
 * Statement failures are collected in each report's `failed`; other errors (server gone) throw.
 */
export async function runMaintenance(
  db: DatabaseManager,
  config: MysqlopsConfig,
  options: MaintenanceOptions = {},
): Promise<MaintenanceReport[]> {
  const jobs = parseJobs(options.jobs);
  const m = config.maintenance;
  const dryRun = options.dryRun === true;
  const common = { dryRun, ...(options.schemas ? { schemas: options.schemas } : {}) };
  const reports: MaintenanceReport[] = [];
  for (const job of jobs) {
    let report: MaintenanceReport;
    if (job === 'retention')
      report = await applyRetention(db, { dryRun, etlRunsRetentionDays: m.etlRunsRetentionDays });
    else if (job === 'partitions')
      report = await rotatePartitions(db, {
        ...common,
        aheadMonths: m.partitionsAheadMonths,
        retentionMonths: m.partitionRetentionMonths,
      });
    else if (job === 'analyze')
      report = await analyzeTables(db, { ...common, threshold: m.analyzeThreshold });
    else if (job === 'optimize') {
      report = await optimizeTables(db, {
        ...common,
        freeRatio: m.optimizeFreeRatio,
        minFreeBytes: m.optimizeMinFreeBytes,
        maxBytes: m.optimizeMaxBytes,
        force: options.force === true,
      });
    } else {
      const purge = () =>
        purgeBinlogs(db, {
          dryRun,
          retentionDays: m.binlogRetentionDays,
          backupDir: backupSettings(config).dir,
        });
      // A dry run changes nothing, so it need not wait for a running backup.
      report = dryRun ? await purge() : await withBackupLock(config, purge, BACKUP_LOCK_WAIT_SECONDS);
    }
    options.onReport?.(report);
    reports.push(report);
  }
  return reports;
}

/**
 * The `maintenance` job for `mysqlops serve`, on `config.maintenance.schedule` (none when null):
 * every job on the configured database. Throws when a statement failed, so the scheduler logs it.
 */
export function maintenanceJobs(config: MysqlopsConfig): ScheduledJob[] {
  const cron = config.maintenance.schedule;
  if (!cron) return [];
  return [
    {
      name: 'maintenance',
      cron,
      run: async () => {
        const db = new DatabaseManager({ ...primaryOnly(config), pool: { ...config.pool, size: 2 } });
        try {
          const reports = await runMaintenance(db, config);
          const failed = reports.flatMap((r) =>
            r.failed.map((f) => `${r.job}: ${f.statement}: ${f.message}`),
          );
          if (failed.length > 0) throw new MaintenanceError(failed);
          return reports;
        } finally {
          await db.close();
        }
      },
    },
  ];
}
