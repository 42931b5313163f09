/**
 * Prometheus metrics for `/metrics`: the server under mysqld_exporter's metric names (so existing
 * dashboards and alert rules work), and mysqlops' own under `mysqlops_`: DatabaseManager statement
 * latency, backup, ETL and audit freshness, health check states. See docs/monitoring.md.
 *
 * A scrape is a handful of round trips run side by side on pooled connections (SHOW GLOBAL STATUS,
 * SHOW GLOBAL VARIABLES, replica status, one statement for the ETL and audit tables), and scrapes
 * that arrive while one is running share its result. A failing part leaves its metrics out and
 * sets `mysqlops_scrape_source_up{source}` to 0; render() itself does not fail.
 */
import { performance } from 'node:perf_hooks';
import { type BackupListEntry, backupSettings } from '../../backup/index.js';
import type { MysqlopsConfig } from '../../config/index.js';
import type { DatabaseManager } from '../../db/index.js';
import { runHealthChecks } from '../health.js';
import { AppStateReader, writeAppState } from './app-state.js';
import { BackupListing, writeBackups } from './backups.js';
import { CONTENT_TYPE, Exposition, labelSet } from './exposition.js';
import { type HealthSnapshot, writeHealth } from './health.js';
import { type NameValueRow, writeGlobalStatus, writeGlobalVariables, writeReplicaStatus } from './server.js';

export { CONTENT_TYPE as METRICS_CONTENT_TYPE } from './exposition.js';
export { HEALTH_STATUS_VALUE, type HealthSnapshot } from './health.js';

/** Where the parts of a scrape come from, when not from the defaults. */
export interface MetricsSources {
  /**
   * The health checks to report as `mysqlops_health_check_status{check}`. Default:
   * `runHealthChecks(db, config)`; null: no health metrics. See `healthMaxAgeMs`.
   */
  health?: (() => Promise<HealthSnapshot>) | null;
  /** The backups to report on. Default: `listBackups` of the configured backup directory. */
  backups?: () => Promise<BackupListEntry[]>;
}

/** Options of `createMetrics`: time limits and caching that keep a scrape cheap and bounded. */
export interface MetricsOptions {
  /** Server-side limit for the ETL/audit statement. Default 5000 ms. */
  timeoutMs?: number;
  /** While some ETL/audit tables are missing, look for them again after this long. Default 60000 ms. */
  tableRecheckMs?: number;
  /**
   * A health report older than this is refreshed in the background while scrapes keep serving it.
   * Default 15000 ms; 0 runs the checks in every scrape (slow: many round trips).
   */
  healthMaxAgeMs?: number;
  /** Told why a part of a scrape failed (the scrape still succeeds without it). */
  onError?: (source: MetricsSource, error: unknown) => void;
}

/** A part of a scrape that can fail on its own (reported to `onError`) without failing the others. */
export type MetricsSource = 'server' | 'replica' | 'app' | 'backups' | 'health';

/** What `mysqlops serve` mounts at /metrics. */
export interface MetricsEndpoint {
  /** The Content-Type of `render()`'s text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** The exposition text of a scrape; concurrent calls share one scrape. Never rejects. */
  render(): Promise<string>;
}

// ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR,
// ER_TABLEACCESS_DENIED_ERROR: replica status needs REPLICATION CLIENT / SLAVE MONITOR.
const ACCESS_DENIED = new Set([1227, 1044, 1045, 1142]);

/**
 * Metrics for `db`'s server and mysqlops' state. `config` supplies the backup directory.
 *
 * ```ts
 * const metrics = createMetrics(db, config);
 * const body = await metrics.render(); // an HTTP handler sends it with Content-Type metrics.contentType
 * ```
 */
export function createMetrics(
  db: DatabaseManager,
  config: MysqlopsConfig,
  sources: MetricsSources = {},
  options: MetricsOptions = {},
): MetricsEndpoint {
  const report = (source: MetricsSource, error: unknown) => {
    try {
      options.onError?.(source, error);
    } catch {
      // A throwing listener must not cost the scrape.
    }
  };
  const app = new AppStateReader(db, {
    recheckMs: options.tableRecheckMs ?? 60_000,
    timeoutMs: options.timeoutMs ?? 5000,
  });
  const listing = sources.backups ? undefined : new BackupListing(backupSettings(config).dir);
  const backups = sources.backups ?? (() => (listing as BackupListing).read());
  const healthMaxAgeMs = options.healthMaxAgeMs ?? 15_000;
  const healthSource = sources.health === undefined ? () => runHealthChecks(db, config) : sources.health;
  let lastHealth: { at: number; report: HealthSnapshot } | undefined;
  let refreshing: Promise<HealthSnapshot> | undefined;
  let replicaDenied = false;

  const refreshHealth = (source: () => Promise<HealthSnapshot>): Promise<HealthSnapshot> => {
    refreshing ??= Promise.resolve()
      .then(source)
      .then((report) => {
        lastHealth = { at: Date.now(), report };
        return report;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  // The checks take many round trips (and a sampling pause on their first run), so a scrape
  // serves the last report and refreshes it in the background once it is older than
  // healthMaxAgeMs; only a scrape with no report yet waits for one.
  const healthReport = async (): Promise<HealthSnapshot | undefined> => {
    if (!healthSource) return undefined;
    if (!lastHealth || healthMaxAgeMs === 0) return refreshHealth(healthSource);
    if (Date.now() - lastHealth.at >= healthMaxAgeMs) {
      refreshHealth(healthSource).catch((err: unknown) => report('health', err));
    }
    return lastHealth.report;
  };

  const replicaRows = async (): Promise<Array<Record<string, unknown>> | null> => {
    if (replicaDenied) return null;
    try {
      return await db.query<Record<string, unknown>>(db.flavor.replicaStatusSql);
    } catch (err) {
      // Without the privilege this would fail on every scrape: stop asking.
      if (ACCESS_DENIED.has((err as { errno?: number }).errno ?? 0)) replicaDenied = true;
      throw err;
    }
  };

  const scrape = async (): Promise<string> => {
    const started = performance.now();
    const ready = db.initialize();
    const parts = await Promise.allSettled([
      ready.then(() =>
        Promise.all([
          db.query<NameValueRow>('SHOW GLOBAL STATUS'),
          db.query<NameValueRow>('SHOW GLOBAL VARIABLES'),
        ]),
      ),
      ready.then(replicaRows),
      ready.then(() => app.read()),
      Promise.resolve().then(backups),
      healthReport(),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const [server, replica, appState, backupList, healthResult] = parts;
    const failed = (source: MetricsSource, r: PromiseSettledResult<unknown>) => {
      if (r.status === 'fulfilled') return false;
      report(source, r.reason);
      return true;
    };
    const up: Array<[MetricsSource, boolean]> = [];
    const out = new Exposition();

    out.single('mysql_up', 'gauge', 'Whether the MySQL server is up.', server.status === 'fulfilled' ? 1 : 0);
    up.push(['server', !failed('server', server)]);
    if (server.status === 'fulfilled') {
      writeGlobalStatus(out, server.value[0]);
      writeGlobalVariables(out, server.value[1]);
    }
    // Without the privilege the replica part stays at 0: its metrics are missing, for good.
    up.push([
      'replica',
      !failed('replica', replica) && replica.status === 'fulfilled' && replica.value !== null,
    ]);
    if (replica.status === 'fulfilled' && replica.value) writeReplicaStatus(out, replica.value);
    up.push(['app', !failed('app', appState)]);
    if (appState.status === 'fulfilled') writeAppState(out, appState.value);
    up.push(['backups', !failed('backups', backupList)]);
    if (backupList.status === 'fulfilled') writeBackups(out, backupList.value, Date.now() / 1000);
    if (healthSource) {
      up.push(['health', !failed('health', healthResult)]);
      if (healthResult.status === 'fulfilled' && healthResult.value) {
        writeHealth(out, healthResult.value);
        // A background refresh that keeps failing leaves an old report in place: show how old.
        const age = lastHealth ? (Date.now() - lastHealth.at) / 1000 : 0;
        out.single('mysqlops_health_report_age_seconds', 'gauge', 'Age of the health report served.', age);
      }
    }
    out.raw(db.metrics('mysqlops_db'));
    out.family(
      'mysqlops_scrape_source_up',
      'gauge',
      '1 when the part of the scrape read without error (0: its metrics are missing).',
      up.map(([source, ok]) => [labelSet([['source', source]]), ok ? 1 : 0] as const),
    );
    out.single(
      'mysqlops_scrape_duration_seconds',
      'gauge',
      'How long this scrape took to read its sources.',
      seconds,
    );
    return out.toString();
  };

  let running: Promise<string> | undefined;
  return {
    contentType: CONTENT_TYPE,
    render() {
      running ??= scrape().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
