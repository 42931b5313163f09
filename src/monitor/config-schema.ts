/**
 * The `health` configuration section: thresholds of `mysqlops health` (docs/monitoring.md), their
 * defaults, how file layers merge into them, and the cross-setting checks. A leaf module (zod and
 * the config field builders only), so the config loader can import it without the checks.
 */
import type { z } from 'zod';
import { intIn, millis, oneOf, strictObject } from '../config/fields.js';

/** A warning and a critical level; which side is worse depends on the check (see HEALTH_LEVELS). */
const level = (min: number, max: number) =>
  strictObject({ warning: intIn(min, max), critical: intIn(min, max) });

const BIG = 1_000_000_000;

/**
 * Every level-type threshold, and whether a higher value is worse (`up`) or a lower one (`down`).
 * The direction decides the ordering rule: for `up`, critical >= warning; for `down`, critical <= warning.
 */
export const HEALTH_LEVELS = {
  /** Connected threads as a share of max_connections, %. Default 80 / 95. */
  connectionsPct: 'up',
  /** Failed connection attempts (Aborted_connects) per minute, over the sample interval. Default 10 / 60. */
  abortedConnectsPerMinute: 'up',
  /** Threads executing a statement right now (Threads_running). Default 32 / 64. */
  threadsRunning: 'up',
  /** InnoDB buffer pool reads served from memory since start-up, %. Default 99 / 95. */
  bufferPoolHitPct: 'down',
  /** Row lock waits (Innodb_row_lock_waits) per minute, over the sample interval. Default 60 / 600. */
  rowLockWaitsPerMinute: 'up',
  /** Deadlocks per minute, over the sample interval. Default 1 / 10. */
  deadlocksPerMinute: 'up',
  /** Age of the oldest open InnoDB transaction, seconds. Default 60 / 300. */
  longTransactionSeconds: 'up',
  /** Internal temporary tables created on disk, % of all internal temporary tables. Default 25 / 50. */
  tmpDiskTablesPct: 'up',
  /** Table opens that missed the table open cache, %. Default 20 / 50. */
  tableOpenCacheMissPct: 'up',
  /** Replica lag (Seconds_Behind_Master/Source), seconds. Default 30 / 300. */
  replicationLagSeconds: 'up',
  /** Binary log files on the server, MiB. Default 10240 / 51200 (10 and 50 GiB). */
  binlogMegabytes: 'up',
  /** Free space on the data directory's file system, %. Default 20 / 10. */
  diskFreePct: 'down',
  /** Age of the newest verified full backup, hours. Default 26 / 50 (a daily backup, plus slack). */
  backupAgeHours: 'up',
  /**
   * Minutes since each scheduled ETL pipeline's last successful run (the stalest counts). Default
   * 120 / 360: the default schedule runs cohorts hourly, so an hour is normal.
   */
  etlAgeMinutes: 'up',
  /** Hours the oldest unsealed audit row has waited for `audit seal`. Default 24 / 168. */
  auditUnsealedHours: 'up',
  /**
   * Galera only: share of time replication was paused by flow control (wsrep_flow_control_paused,
   * since the last FLUSH STATUS), %. Default 10 / 50.
   */
  galeraFlowControlPausedPct: 'up',
  /**
   * Galera only: average length of the receive queue (wsrep_local_recv_queue_avg): writesets
   * waiting to be applied on this node. Default 10 / 100.
   */
  galeraRecvQueueAvg: 'up',
} as const;
/** The name of a level-type threshold (a key of HEALTH_LEVELS), e.g. `connectionsPct`. */
export type HealthLevelName = keyof typeof HEALTH_LEVELS;

const thresholdShape = Object.fromEntries(
  Object.keys(HEALTH_LEVELS).map((k) => [k, level(0, k.endsWith('Pct') ? 100 : BIG)]),
) as Record<HealthLevelName, ReturnType<typeof level>>;

/** `mysqlops health` (docs/monitoring.md, "Health checks"). */
export const healthSchema = strictObject({
  /**
   * Rate checks (aborted connects, row lock waits, deadlocks) compare two samples of the server's
   * counters this far apart. Default 1000 ms: the first health run on a DatabaseManager waits that
   * long; later runs on the same manager compare with the previous run's sample instead of waiting.
   */
  sampleIntervalMs: millis(0),
  /** An uptime below this many seconds means the server restarted recently: warning. Default 300. */
  restartUptimeSeconds: intIn(0, BIG),
  /**
   * Free buffer pool pages below this % are reported as a warning, but only while the hit ratio is
   * also below its warning level (a warm buffer pool is normally full). Default 5.
   */
  bufferPoolFreePct: intIn(0, 100),
  /** Status of the backup check when no verified full backup exists. Default warning (development,
   * test), critical (staging, production). */
  missingBackup: oneOf(['warning', 'critical'] as const),
  thresholds: strictObject(thresholdShape),
});
/** The `health` section of the configuration after validation: the check levels and sampling settings. */
export type HealthConfig = z.output<typeof healthSchema>;
/** The warning and critical level of every threshold, by HealthLevelName. */
export type HealthThresholds = HealthConfig['thresholds'];

const partialLevel = (s: ReturnType<typeof level>) => s.partial().optional();

/** What the config file may set: every key optional, also each half of a level. */
export const healthFileSchema = strictObject({
  sampleIntervalMs: healthSchema.shape.sampleIntervalMs.optional(),
  restartUptimeSeconds: healthSchema.shape.restartUptimeSeconds.optional(),
  bufferPoolFreePct: healthSchema.shape.bufferPoolFreePct.optional(),
  missingBackup: healthSchema.shape.missingBackup.optional(),
  thresholds: strictObject(
    Object.fromEntries(Object.entries(thresholdShape).map(([k, s]) => [k, partialLevel(s)])) as Record<
      HealthLevelName,
      ReturnType<typeof partialLevel>
    >,
  ).optional(),
});
export type HealthFileSection = z.output<typeof healthFileSchema>;

/** The section's built-in defaults. */
export function healthDefaults(deployed: boolean): HealthConfig {
  return {
    sampleIntervalMs: 1000,
    restartUptimeSeconds: 300,
    bufferPoolFreePct: 5,
    missingBackup: deployed ? 'critical' : 'warning',
    thresholds: {
      connectionsPct: { warning: 80, critical: 95 },
      abortedConnectsPerMinute: { warning: 10, critical: 60 },
      threadsRunning: { warning: 32, critical: 64 },
      bufferPoolHitPct: { warning: 99, critical: 95 },
      rowLockWaitsPerMinute: { warning: 60, critical: 600 },
      deadlocksPerMinute: { warning: 1, critical: 10 },
      longTransactionSeconds: { warning: 60, critical: 300 },
      tmpDiskTablesPct: { warning: 25, critical: 50 },
      tableOpenCacheMissPct: { warning: 20, critical: 50 },
      replicationLagSeconds: { warning: 30, critical: 300 },
      binlogMegabytes: { warning: 10_240, critical: 51_200 },
      diskFreePct: { warning: 20, critical: 10 },
      backupAgeHours: { warning: 26, critical: 50 },
      etlAgeMinutes: { warning: 120, critical: 360 },
      auditUnsealedHours: { warning: 24, critical: 168 },
      galeraFlowControlPausedPct: { warning: 10, critical: 50 },
      galeraRecvQueueAvg: { warning: 10, critical: 100 },
    },
  };
}

/** `target` with a file layer applied: levels merge half by half, so `critical: 90` alone works. */
export function mergeHealth(target: HealthConfig, layer: HealthFileSection | undefined): HealthConfig {
  if (!layer) return target;
  const { thresholds, ...plain } = layer;
  const out: HealthConfig = { ...target, thresholds: { ...target.thresholds } };
  for (const [k, v] of Object.entries(plain)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  for (const [k, v] of Object.entries(thresholds ?? {})) {
    if (!v) continue;
    const name = k as HealthLevelName;
    out.thresholds[name] = {
      warning: v.warning ?? out.thresholds[name].warning,
      critical: v.critical ?? out.thresholds[name].critical,
    };
  }
  return out;
}

/** Levels in the wrong order (a critical level that would be reached before the warning one). */
export function healthConfigIssues(health: HealthConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  for (const [name, direction] of Object.entries(HEALTH_LEVELS)) {
    const { warning, critical } = health.thresholds[name as HealthLevelName];
    const wrong = direction === 'up' ? critical < warning : critical > warning;
    if (wrong) {
      issues.push({
        path: `health.thresholds.${name}.critical`,
        message: `must be ${direction === 'up' ? 'at least' : 'at most'} the warning level (${critical} vs ${warning}): ${direction === 'up' ? 'higher' : 'lower'} values are worse`,
      });
    }
  }
  return issues;
}
