/**
 * `mysqlops serve`: one long-lived process that hosts the dashboard, /metrics, the scheduler
 * (ETL, backups, audit sealing) and the alert loop, all on one DatabaseManager. The health checks
 * are shared: the dashboard, the metrics and the alerts read one cached report, so three readers
 * cost one set of round trips. Nothing here prints; events go to `onEvent`.
 */
import {
  AlertEngine,
  type AlertRunResult,
  alertStateFile,
  FileAlertStore,
  sampleFromHealth,
} from '../alert/index.js';
import { backupJobs } from '../backup/index.js';
import type { MysqlopsConfig } from '../config/index.js';
import { readSecretFile } from '../config/read-files.js';
import { type Dashboard, startDashboard } from '../dashboard/index.js';
import { DatabaseManager, primaryOnly } from '../db/index.js';
import { MysqlopsError } from '../errors.js';
import { Scheduler, type SchedulerEvent } from '../etl/index.js';
import { maintenanceJobs } from '../maintenance/index.js';
import { type HealthReport, runHealthChecks } from '../monitor/index.js';
import { createMetrics } from '../monitor/metrics/index.js';
import type { Secret } from '../secret.js';
import { coreJobs } from './jobs.js';

/**
 * What `startServe` reports through `onEvent`: the address once listening, every job event, each alert
 * evaluation, and errors it survived.
 */
export type ServeEvent =
  | { type: 'listening'; url: string }
  | { type: 'job'; event: SchedulerEvent }
  | { type: 'alerts'; result: AlertRunResult }
  | { type: 'error'; where: string; error: unknown };

/** Options of `startServe`; everything else comes from the config. */
export interface ServeOptions {
  /** Override `config.serve.host` / `config.serve.port` (command-line flags). */
  host?: string;
  port?: number;
  /** Leave the scheduler out (dashboard and metrics only). */
  schedule?: boolean;
  onEvent?: (e: ServeEvent) => void;
}

/** A running `startServe`: its address and jobs, and `close()` to stop it cleanly. */
export interface ServeHandle {
  /** The dashboard's address, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  /** Scheduled jobs and their next run. */
  jobs: Array<{ job: string; at: Date | null }>;
  /** Run a scheduled job now, as its schedule would (skipped when it is already running). */
  runJob(name: string): Promise<void>;
  /** Stop the alert loop and the scheduler (waiting for running jobs), the HTTP server, the pool. */
  close(): Promise<void>;
}

/** A health report younger than this is reused by every reader. */
const HEALTH_MAX_AGE_MS = 10_000;

/**
 * Start serving. Fails (and leaves nothing running) when the database cannot be reached, the token
 * file cannot be read, or the port is taken.
 */
export async function startServe(config: MysqlopsConfig, options: ServeOptions = {}): Promise<ServeHandle> {
  const emit = options.onEvent ?? (() => {});
  const token = readToken(config);
  const db = new DatabaseManager(primaryOnly(config));
  let dashboard: Dashboard | undefined;
  let scheduler: Scheduler | undefined;
  let alertTimer: NodeJS.Timeout | undefined;
  let alertRun: Promise<unknown> = Promise.resolve();
  try {
    await db.initialize();
    const health = sharedHealth(() => runHealthChecks(db, config));
    const onError = (error: unknown, where: string) => emit({ type: 'error', where, error });
    const metrics = createMetrics(
      db,
      config,
      { health },
      { onError: (source, error) => onError(error, `metrics:${source}`) },
    );
    dashboard = await startDashboard({
      db,
      config,
      host: options.host ?? config.serve.host,
      port: options.port ?? config.serve.port,
      ...(token ? { auth: { token } } : {}),
      metrics,
      sources: { health },
      onError,
    });
    emit({ type: 'listening', url: dashboard.url });

    if (options.schedule !== false) {
      scheduler = new Scheduler(
        [...coreJobs(config, db), ...backupJobs(config), ...maintenanceJobs(config)],
        {
          onEvent: (event) => emit({ type: 'job', event }),
        },
      );
      scheduler.start();
    }

    if (config.alerts.enabled) {
      const engine = AlertEngine.fromConfig(config, { store: new FileAlertStore(alertStateFile(config)) });
      const evaluate = () => {
        alertRun = health()
          .then((report) => engine.evaluate(sampleFromHealth(report, { at: new Date() })))
          .then(
            (result) => emit({ type: 'alerts', result }),
            (error: unknown) => onError(error, 'alerts'),
          );
      };
      alertTimer = setInterval(evaluate, config.alerts.intervalMs);
      alertTimer.unref();
      evaluate();
    }
  } catch (err) {
    clearInterval(alertTimer);
    await scheduler?.stop();
    await dashboard?.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }

  const served = dashboard;
  const jobs = scheduler?.nextRuns() ?? [];
  let closing: Promise<void> | undefined;
  return {
    url: served.url,
    jobs,
    runJob: (name) => {
      if (!scheduler) return Promise.reject(new Error('serve was started without the scheduler'));
      return scheduler.trigger(name);
    },
    close: () => {
      closing ??= (async () => {
        clearInterval(alertTimer);
        await alertRun;
        await scheduler?.stop();
        await served.close();
        await db.close();
      })();
      return closing;
    },
  };
}

/**
 * One health report shared by its readers: a call within HEALTH_MAX_AGE_MS of the last report gets
 * it again, concurrent calls share one run.
 */
function sharedHealth(run: () => Promise<HealthReport>): () => Promise<HealthReport> {
  let last: { at: number; report: HealthReport } | undefined;
  let running: Promise<HealthReport> | undefined;
  return () => {
    if (last && Date.now() - last.at < HEALTH_MAX_AGE_MS) return Promise.resolve(last.report);
    running ??= run()
      .then((report) => {
        last = { at: Date.now(), report };
        return report;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}

function readToken(config: MysqlopsConfig): Secret | undefined {
  const file = config.serve.tokenFile;
  if (!file) return undefined;
  const read = readSecretFile(file);
  if (!read.ok) {
    throw new MysqlopsError({
      code: 'E_CONFIG',
      message: `SERVE_TOKEN_FILE: ${read.problem}`,
      hint: 'point SERVE_TOKEN_FILE (serve.tokenFile) at a readable file holding the dashboard token',
      exitCode: 2,
    });
  }
  if (read.value.reveal().length < 16) {
    throw new MysqlopsError({
      code: 'E_CONFIG',
      message: `SERVE_TOKEN_FILE: the token in ${file} is shorter than 16 characters`,
      hint: 'use a long random token, e.g. openssl rand -hex 32 > token && chmod 600 token',
      exitCode: 2,
    });
  }
  return read.value;
}
