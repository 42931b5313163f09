/**
 * `runHealthChecks()`: every health check of `mysqlops health`, one report. Never throws for a
 * sick server: an unreachable server is a critical `server` check, a check that cannot be measured
 * (missing privilege, missing table) is `unknown` with the reason as its hint.
 *
 * Rate checks (aborted connects, row lock waits, deadlocks) need two samples of the counters. The
 * first run on a DatabaseManager takes them `sampleIntervalMs` apart (the other checks run in
 * between, so the wait is mostly hidden); later runs on the same manager compare with the sample
 * the previous run left, so a periodic caller (serve, alerts) never waits.
 */
import type { MysqlopsConfig } from '../config/index.js';
import type { DatabaseManager } from '../db/index.js';
import { GALERA_VARIABLES, galeraChecks } from './checks-galera.js';
import { auditCheck, backupCheck, diskCheck, etlCheck } from './checks-operations.js';
import {
  binlogCheck,
  bufferPoolChecks,
  connectionsCheck,
  longTransactionCheck,
  type RateSample,
  rateChecks,
  replicationChecks,
  serverCheck,
  tableOpenCacheCheck,
  threadsRunningCheck,
  tmpDiskTablesCheck,
} from './checks-server.js';
import type { HealthConfig } from './config-schema.js';
import { worst } from './levels.js';
import { num, readGlobalStatus, readGlobalVariables, type ServerValues } from './server-state.js';
import type { CheckStatus, HealthCheck, HealthOptions, HealthReport } from './types.js';

interface CounterSample {
  at: number;
  abortedConnects: number | undefined;
  rowLockWaits: number | undefined;
  deadlocks: number | undefined;
}

/** The last sample each manager's health run took; a later run may use it as its baseline. */
const lastSamples = new WeakMap<DatabaseManager, CounterSample>();

/** A previous sample older than this is too stale to stand for "now" and is not used. */
const MAX_BASELINE_AGE_MS = 10 * 60_000;

/**
 * Run every health check against `db` with the levels of `config.health` (overridable per call).
 * The ETL and audit checks read `<schema>.etl_runs` and `<schema>.audit_*` (schema: the configured
 * database); `db` need not have it selected.
 */
export async function runHealthChecks(
  db: DatabaseManager,
  config: MysqlopsConfig,
  options: HealthOptions = {},
): Promise<HealthReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const health: HealthConfig = {
    ...config.health,
    thresholds: { ...config.health.thresholds, ...options.thresholds },
  };
  const t = health.thresholds;
  const checks: HealthCheck[] = [];

  let status: ServerValues;
  try {
    await db.initialize();
    status = await readGlobalStatus(db);
  } catch (err) {
    checks.push({
      name: 'server',
      title: 'Server reachable',
      status: 'critical',
      value: null,
      threshold: 'unreachable: critical',
      hint: `${db.target}: ${(err as Error).message}`,
    });
    checks.push(
      await guard({ name: 'backup_freshness', title: 'Last verified full backup' }, () =>
        backupCheck(config, health, started),
      ),
    );
    return report(started, checks);
  }
  const first = counterSample(status, now());
  first.deadlocks = await readDeadlocks(db, status);
  const vars = await readGlobalVariables(db, ['max_connections', ...GALERA_VARIABLES]).catch(
    () => new Map<string, string>(),
  );

  checks.push(serverCheck(status, db.flavor.label, health));
  checks.push(connectionsCheck(status, vars, t));
  checks.push(threadsRunningCheck(status, t));
  checks.push(...bufferPoolChecks(status, health));
  checks.push(
    await guard({ name: 'long_transactions', title: 'Longest open transaction' }, () =>
      longTransactionCheck(db, t),
    ),
  );
  checks.push(tmpDiskTablesCheck(status, t));
  checks.push(tableOpenCacheCheck(status, t));
  const replication = await replicationChecks(db, t).catch((err: unknown) => [
    failed({ name: 'replication_threads', title: 'Replication threads' }, err),
  ]);
  checks.push(...replication);
  checks.push(...galeraChecks(status, vars, t, options.galeraExpectedNodes));
  checks.push(await guard({ name: 'binlog_space', title: 'Binary log space' }, () => binlogCheck(db, t)));
  checks.push(
    await guard({ name: 'disk_space', title: 'Data directory free space' }, () => diskCheck(db, config, t)),
  );
  checks.push(
    await guard({ name: 'backup_freshness', title: 'Last verified full backup' }, () =>
      backupCheck(config, health, started),
    ),
  );
  const schema = options.schema ?? config.connection.database;
  if (schema !== undefined) {
    checks.push(
      await guard({ name: 'etl_freshness', title: 'ETL freshness' }, () =>
        etlCheck(db, schema, config.etl.schedule, t),
      ),
    );
    checks.push(
      await guard({ name: 'audit_chain', title: 'Audit chain sealing' }, () => auditCheck(db, schema, t)),
    );
  }

  const rates = await rateSample(db, first, options.sampleIntervalMs ?? health.sampleIntervalMs, now).catch(
    () => undefined,
  );
  // Rate checks go right after the counters they belong with, so the table reads naturally.
  const at = checks.findIndex((c) => c.name === 'threads_running') + 1;
  checks.splice(at, 0, ...rateChecks(rates, t));
  return report(started, checks);
}

function report(started: number, checks: HealthCheck[]): HealthReport {
  // One key order for every check, so the JSON reads the same from check to check.
  const ordered = checks.map(({ name, title, status, value, unit, threshold, hint }) => ({
    name,
    title,
    status,
    value,
    ...(unit === undefined ? {} : { unit }),
    threshold,
    hint,
  }));
  return {
    at: new Date(started).toISOString(),
    status: worst(ordered.map((c) => c.status)),
    checks: ordered,
  };
}

/** Run one check; a failure (privilege, missing object) makes it `unknown` with the reason. */
async function guard(
  base: { name: string; title: string },
  run: () => Promise<HealthCheck>,
): Promise<HealthCheck> {
  try {
    return await run();
  } catch (err) {
    return failed(base, err);
  }
}

function failed(base: { name: string; title: string }, err: unknown): HealthCheck {
  return {
    ...base,
    status: 'unknown' satisfies CheckStatus,
    value: null,
    threshold: null,
    hint: `not measured: ${(err as Error).message}`,
  };
}

function counterSample(status: ServerValues, at: number): CounterSample {
  return {
    at,
    abortedConnects: num(status, 'Aborted_connects'),
    rowLockWaits: num(status, 'Innodb_row_lock_waits'),
    deadlocks: undefined,
  };
}

/** MariaDB counts deadlocks in Innodb_deadlocks; MySQL only in INNODB_METRICS (lock_deadlocks). */
async function readDeadlocks(db: DatabaseManager, status: ServerValues): Promise<number | undefined> {
  const fromStatus = num(status, 'Innodb_deadlocks');
  if (fromStatus !== undefined || db.flavor.isMariaDB) return fromStatus;
  const [row] = await db
    .query<{ n: unknown }>(
      "SELECT `COUNT` AS n FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_deadlocks'",
    )
    .catch(() => []);
  return row ? Number(row.n) : undefined;
}

/**
 * The counter deltas between a baseline and now: the previous run's sample when it is recent and
 * the counters did not go backwards (a restart resets them), else `first`, waiting out the interval.
 */
async function rateSample(
  db: DatabaseManager,
  first: CounterSample,
  intervalMs: number,
  now: () => number,
): Promise<RateSample> {
  const previous = lastSamples.get(db);
  const usable =
    previous !== undefined &&
    first.at - previous.at >= Math.min(intervalMs, 1000) &&
    first.at - previous.at <= MAX_BASELINE_AGE_MS &&
    !wentBack(previous, first);
  let baseline: CounterSample;
  let latest: CounterSample;
  if (usable) {
    baseline = previous;
    latest = first;
  } else {
    const wait = intervalMs - (now() - first.at);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const status = await readGlobalStatus(db);
    latest = counterSample(status, now());
    latest.deadlocks = await readDeadlocks(db, status);
    baseline = first;
  }
  lastSamples.set(db, latest);
  const delta = (k: 'abortedConnects' | 'rowLockWaits' | 'deadlocks') => {
    const a = baseline[k];
    const b = latest[k];
    return a === undefined || b === undefined ? undefined : Math.max(0, b - a);
  };
  return {
    abortedConnects: delta('abortedConnects'),
    rowLockWaits: delta('rowLockWaits'),
    deadlocks: delta('deadlocks'),
    seconds: Math.max(latest.at - baseline.at, 1) / 1000,
  };
}

function wentBack(a: CounterSample, b: CounterSample): boolean {
  return (['abortedConnects', 'rowLockWaits', 'deadlocks'] as const).some(
    (k) => a[k] !== undefined && b[k] !== undefined && (b[k] as number) < (a[k] as number),
  );
}
