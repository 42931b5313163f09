/**
 * The shape of a loaded configuration: one zod schema per section, the public types derived from
 * them, and the built-in defaults for each environment. Everything else in `src/config` produces
 * layers that are merged over these defaults and then checked against `configSchema`.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { type AlertsConfig, alertDefaults, alertsSchema } from '../alert/config-schema.js';
import { cronProblem } from '../etl/cron.js';
import {
  type MaintenanceConfig,
  maintenanceDefaults,
  maintenanceSchema,
} from '../maintenance/config-schema.js';
import { type HealthConfig, healthDefaults, healthSchema } from '../monitor/config-schema.js';
import { MAX_PORT, NAME_PATTERN, NAME_RULE } from '../sandbox/index.js';
import { Secret } from '../secret.js';
import { flag, intIn, kindOf, millis, oneOf, strictObject, text } from './fields.js';

/** The environments mysqlops knows; `development` and `test` may use the local sandbox. */
export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
/**
 * One of the four environments (development, test, staging, production); each has its own defaults and
 * checks.
 */
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/**
 * How the client uses TLS, with MySQL client `--ssl-mode` meanings: `disabled` (plain TCP),
 * `required` (encrypted, server certificate not checked), `verify-ca` (certificate signed by the
 * configured CA), `verify-identity` (and issued for the host name).
 */
export const SSL_MODES = ['disabled', 'required', 'verify-ca', 'verify-identity'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/**
 * Server-wide ceiling on prepared statements (`max_prepared_stmt_count`, default 16382 on MySQL and
 * MariaDB). No single pool may be configured to hold more than this by itself.
 */
export const SERVER_MAX_PREPARED_STATEMENTS = 16_382;

/** A sandbox name becomes a directory name: the sandbox's own rule (NAME_PATTERN) applies. */
const sandboxName = text(64).regex(NAME_PATTERN, { error: `expected ${NAME_RULE}` });

const secret = z.instanceof(Secret, { error: 'expected a secret' });

export const sslSchema = strictObject({
  /** Default: `disabled` in development and test, `required` in staging and production. */
  mode: oneOf(SSL_MODES),
  /** PEM contents of the CA certificate (from `DB_SSL_CA` / `ssl.caFile`); needed by verify-ca/verify-identity. */
  ca: text(1_000_000).optional(),
  /** PEM contents of the client certificate (from `DB_SSL_CERT` / `ssl.certFile`); goes with `key`. */
  cert: text(1_000_000).optional(),
  /** PEM contents of the client private key (from `DB_SSL_KEY` / `ssl.keyFile`), kept as a Secret. */
  key: secret.optional(),
});

/**
 * One more server next to the primary: a replica (routing mode `replication`) or another cluster
 * node (`galera`). User, password and TLS settings are the primary's unless given here.
 */
export const replicaSchema = strictObject({
  /** Host name or IP; this or `socket` is required. */
  host: text(255).optional(),
  /** TCP port. Default: the primary's port. */
  port: intIn(1, MAX_PORT).optional(),
  /** Unix socket path; wins over host/port. */
  socket: text().optional(),
  /** Login user. Default: the primary's. */
  user: text(80).optional(),
  /** Login password. Default: the primary's. A Secret, never printed. */
  password: secret.optional(),
}).refine((node) => node.host !== undefined || node.socket !== undefined, {
  error: 'needs a host or a socket',
});

export const connectionSchema = strictObject({
  /** Server host name or IP. With `socket` also unset, the local sandbox is used (development/test only). */
  host: text(255).optional(),
  /** TCP port. Default 3306. Ignored when `socket` is set. */
  port: intIn(1, MAX_PORT),
  /** Unix socket path; when set it wins over host/port. */
  socket: text().optional(),
  /** Login user. Default `app_user` (blueprint); with the sandbox the caller logs in as root instead. */
  user: text(80),
  /** Login password; a Secret, never printed. */
  password: secret.optional(),
  /** Default schema. Default `app_db` (blueprint). MySQL limits names to 64 characters. */
  database: text(64).optional(),
  ssl: sslSchema,
  /** How long to wait for the TCP connect and handshake. Default 10000 ms. */
  connectTimeoutMs: millis(1),
  /**
   * Replicas of this server (or the other Galera nodes), for read routing and failover; see
   * `routing`. Default none: every statement goes to this server, exactly as without routing.
   */
  replicas: z
    .array(replicaSchema, { error: (iss) => `expected a list of servers, got ${kindOf(iss.input)}` })
    .max(32, { error: 'at most 32 replicas' })
    .optional(),
});

/** Routing modes: a primary with asynchronous replicas, or a Galera cluster of equal nodes. */
export const ROUTING_MODES = ['replication', 'galera'] as const;
/** What a read after a write sees: see `routingSchema.readYourWrites`. */
export const READ_YOUR_WRITES = ['primary', 'wait', 'off'] as const;

/** How reads and writes are spread over the primary and `connection.replicas` (docs/operations/scale-out.md). */
export const routingSchema = strictObject({
  /**
   * `replication` (default): writes go to the one writable server, reads to healthy replicas.
   * `galera`: every synced node takes reads; writes go to one synced node at a time (fewer
   * certification conflicts) and move when it leaves the cluster.
   */
  mode: oneOf(ROUTING_MODES),
  /** A replica further behind than this (Seconds_Behind_Master) is taken out of rotation. Default 5 s. */
  maxLagSeconds: intIn(0, 86_400),
  /** How often each server's health and lag are checked. Default 1000 ms. */
  checkIntervalMs: intIn(100, 600_000),
  /**
   * What a read sees after a write through the same manager or `withContext` view: `wait` (default)
   * lets the replica wait for the write's GTID (MASTER_GTID_WAIT / WAIT_FOR_EXECUTED_GTID_SET) and
   * falls back to the primary after `waitTimeoutMs`; `primary` reads from the primary until a
   * replica is known to have the write; `off` reads whatever the replica has (may be stale).
   */
  readYourWrites: oneOf(READ_YOUR_WRITES),
  /** The longest a read waits for a replica to catch up with an earlier write (`wait`). Default 1000 ms. */
  waitTimeoutMs: intIn(0, 60_000),
});

export const poolSchema = strictObject({
  /**
   * Connections kept open. Default 10 (development), 5 (test), 20 (staging, production). Each one is
   * a server thread and counts against `max_connections`, shared by every client of the server.
   */
  size: intIn(1, 1000),
  /** How long a caller waits for a free connection before PoolTimeoutError. Default 10000 ms. */
  acquireTimeoutMs: millis(1),
  /**
   * A connection idle for longer than this is pinged on checkout, so a connection the server or a
   * firewall dropped is replaced instead of failing the caller's first statement. Default 30000 ms;
   * 0 pings on every checkout.
   */
  idleCheckMs: millis(0),
  /**
   * Prepared statements cached per connection (LRU). Default 128. WARNING: the server's limit,
   * `max_prepared_stmt_count` (default 16382), is server-wide and shared by every client, so
   * `size × maxPreparedStatements` must stay well under it; statements beyond it fail with
   * ER_MAX_PREPARED_STMT_COUNT_REACHED.
   */
  maxPreparedStatements: intIn(1, SERVER_MAX_PREPARED_STATEMENTS),
});

export const monitoringSchema = strictObject({
  /**
   * Statements slower than this are recorded as slow. Default 200 ms (development: catch regressions
   * early on small data), 500 ms (test: shared CI machines are noisy), 1000 ms (staging, production:
   * the common `long_query_time = 1` choice, quiet under normal load). 0 records every statement.
   */
  slowQueryMs: millis(0),
  /** Record statement timings and slow queries. Default true. */
  enabled: flag(),
});

export const transactionsSchema = strictObject({
  /** Retries of a transaction that hit a deadlock or lock wait timeout. Default 5; 0 never retries. */
  maxRetries: intIn(0, 100),
  /** First backoff before a retry; doubles each attempt, with jitter. Default 20 ms. */
  baseBackoffMs: millis(0),
  /** Ceiling for the backoff. Default 1000 ms; must be at least `baseBackoffMs`. */
  maxBackoffMs: millis(0),
});

export const sandboxSchema = strictObject({
  /** Which local sandbox to use (`.mysqlops/sandbox/NAME`). Default `default`. */
  name: sandboxName,
  /** Where sandboxes, their data and generated secrets live. Default `<cwd>/.mysqlops`; absolute. */
  home: text(),
});

/** A five-field cron expression (UTC), or null for "not scheduled". */
const cron = z
  .string({ error: (iss) => `expected a cron expression or null, got ${typeof iss.input}` })
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${problem}` });
  })
  .nullable();

/** Backups (BACKUP_DIR, BACKUP_RETENTION_DAYS, ENCRYPT_BACKUPS, BACKUP_KEY_FILE). */
export const backupSchema = strictObject({
  /** Where backups go, one folder each. Default `<sandbox.home>/backups` (absolute). */
  dir: text().optional(),
  /** Days a backup is kept by `backup prune`. Default 7. */
  retentionDays: intIn(1, 36_500),
  /** Encrypt every backup file (AES-256-GCM). Default false; needs `keyFile`. */
  encrypt: flag(),
  /**
   * File holding the backup key: 32 raw bytes, 64 hex characters or base64 of 32 bytes, else a
   * passphrase (stretched with scrypt). Read only when a backup is written or read; never printed.
   * WARNING: a lost key makes every backup made with it unreadable.
   */
  keyFile: text().optional(),
  /** Compression of backup files: zstd (default; needs the `zstd` program), gzip or none. */
  compression: oneOf(['zstd', 'gzip', 'none'] as const),
  /** Worker connections of backup and restore. Default 4. */
  threads: intIn(1, 64),
  /**
   * When `mysqlops serve` takes backups (cron, UTC; null: never). `full` (default 0 2 * * *,
   * nightly) is verified by a restore test, then old backups are pruned; `incremental` (default
   * 0 * * * *, hourly) copies the binary logs since the newest backup (a full one when none).
   */
  schedule: strictObject({ full: cron, incremental: cron }),
});

/** The reporting ETL (docs/etl.md). */
export const etlSchema = strictObject({
  /** Keys recomputed per transaction in incremental runs. Default 5000. */
  batchSize: intIn(1, 1_000_000),
  /**
   * When `mysqlops serve` runs each pipeline (cron, UTC; null: never). Defaults: customers,
   * products and days every 15 minutes (star-slash-15), cohorts hourly at minute 5.
   */
  schedule: strictObject({
    customer_order_summary: cron,
    product_performance_summary: cron,
    daily_sales_summary: cron,
    customer_cohort_analysis: cron,
  }),
});

/** `mysqlops serve`: the dashboard, /metrics and the scheduler (docs/serve.md). */
export const serveSchema = strictObject({
  /** Address the HTTP server binds. Default 127.0.0.1; anything but loopback needs `tokenFile`. */
  host: text(255),
  /** HTTP port. Default 8080; 0 picks a free port. */
  port: intIn(0, MAX_PORT),
  /** File holding the access token for the dashboard and /metrics (Bearer token); read when serve starts. */
  tokenFile: text().optional(),
  /** When serve seals new audit rows into blocks (cron, UTC; null: never). Default every 10 minutes. */
  auditSeal: cron,
});

export const configSchema = strictObject({
  env: oneOf(ENVIRONMENTS),
  configFile: text().optional(),
  usesSandbox: flag(),
  connection: connectionSchema,
  pool: poolSchema,
  monitoring: monitoringSchema,
  transactions: transactionsSchema,
  routing: routingSchema,
  sandbox: sandboxSchema,
  backup: backupSchema,
  etl: etlSchema,
  serve: serveSchema,
  alerts: alertsSchema,
  health: healthSchema,
  maintenance: maintenanceSchema,
});

// biome-ignore-start lint/suspicious/noEmptyInterface: named types for the derived shapes
/** How to reach the server. See `connectionSchema` for each field's default. */
export interface ConnectionConfig extends z.output<typeof connectionSchema> {}
/** The connection pool. See `poolSchema`. */
export interface PoolConfig extends z.output<typeof poolSchema> {}
/** Statement timing and slow-query recording. See `monitoringSchema`. */
export interface MonitoringConfig extends z.output<typeof monitoringSchema> {}
/** Deadlock/lock-timeout retries. See `transactionsSchema`. */
export interface TransactionConfig extends z.output<typeof transactionsSchema> {}
/** One replica or cluster node. See `replicaSchema`. */
export interface ReplicaConfig extends z.output<typeof replicaSchema> {}
/** Read/write routing over replicas or Galera nodes. See `routingSchema`. */
export interface RoutingConfig extends z.output<typeof routingSchema> {}
/** The local sandbox used when no server is configured. See `sandboxSchema`. */
export interface SandboxConfig extends z.output<typeof sandboxSchema> {}
/** The reporting ETL. See `etlSchema`. */
export interface EtlConfig extends z.output<typeof etlSchema> {}
/** Backups. See `backupSchema`. */
export interface BackupConfig extends z.output<typeof backupSchema> {}
/** `mysqlops serve`. See `serveSchema`. */
export interface ServeConfig extends z.output<typeof serveSchema> {}
// biome-ignore-end lint/suspicious/noEmptyInterface: named types for the derived shapes

/** A validated, deep-frozen configuration, as `loadConfig()` returns it. */
export interface MysqlopsConfig {
  /** The environment whose defaults and config-file section were used. */
  env: EnvironmentName;
  /** Absolute path of the config file used, if any. */
  configFile?: string;
  /** True when neither `connection.host` nor `connection.socket` is set: use the local sandbox. */
  usesSandbox: boolean;
  connection: ConnectionConfig;
  pool: PoolConfig;
  monitoring: MonitoringConfig;
  transactions: TransactionConfig;
  /** Read/write routing over `connection.replicas` (docs/operations/scale-out.md). */
  routing: RoutingConfig;
  sandbox: SandboxConfig;
  backup: BackupConfig;
  etl: EtlConfig;
  serve: ServeConfig;
  /** Alert rules and channels (docs/alerts.md). */
  alerts: AlertsConfig;
  /** Health check thresholds (docs/monitoring.md). */
  health: HealthConfig;
  /** Maintenance jobs: schedule and thresholds (docs/operations/maintenance.md). */
  maintenance: MaintenanceConfig;
}

// Compile-time proof that the hand-written top-level interface and the schema agree both ways.
type Output = z.output<typeof configSchema>;
const _schemaFitsInterface = (o: Output): MysqlopsConfig => o;
const _interfaceFitsSchema = (c: MysqlopsConfig): Output => c;
void _schemaFitsInterface;
void _interfaceFitsSchema;

/** The sections of a config that layers can set (everything but the derived `env`, `configFile`, `usesSandbox`). */
export type ConfigSections = Pick<
  MysqlopsConfig,
  | 'connection'
  | 'pool'
  | 'monitoring'
  | 'transactions'
  | 'routing'
  | 'sandbox'
  | 'backup'
  | 'etl'
  | 'serve'
  | 'alerts'
  | 'health'
  | 'maintenance'
>;

/** Routing defaults (every environment); they only matter once `connection.replicas` is set. */
export const ROUTING_DEFAULTS: Readonly<RoutingConfig> = Object.freeze({
  mode: 'replication',
  maxLagSeconds: 5,
  checkIntervalMs: 1000,
  readYourWrites: 'wait',
  waitTimeoutMs: 1000,
});

/**
 * The built-in defaults for `env`, the lowest layer. `cwd` anchors `sandbox.home`.
 *
 * | setting              | development | test     | staging  | production |
 * |----------------------|-------------|----------|----------|------------|
 * | pool.size            | 10          | 5        | 20       | 20         |
 * | monitoring.slowQueryMs | 200       | 500      | 1000     | 1000       |
 * | connection.ssl.mode  | disabled    | disabled | required | required   |
 * | health.missingBackup | warning   | warning  | critical | critical   |
 *
 * Everywhere: port 3306, user `app_user`, database `app_db`, connectTimeoutMs 10000,
 * acquireTimeoutMs 10000, idleCheckMs 30000, maxPreparedStatements 128, monitoring on,
 * transactions { maxRetries 5, baseBackoffMs 20, maxBackoffMs 1000 }, routing { mode replication,
 * maxLagSeconds 5, checkIntervalMs 1000, readYourWrites wait, waitTimeoutMs 1000 }, sandbox `default` in
 * `<cwd>/.mysqlops`. No host or socket: development and test fall back to the sandbox, staging and
 * production must name a server.
 */
export function defaultsFor(env: EnvironmentName, cwd: string): ConfigSections {
  const deployed = env === 'staging' || env === 'production';
  return {
    connection: {
      port: 3306,
      user: 'app_user',
      database: 'app_db',
      ssl: { mode: deployed ? 'required' : 'disabled' },
      connectTimeoutMs: 10_000,
    },
    pool: {
      size: env === 'test' ? 5 : deployed ? 20 : 10,
      acquireTimeoutMs: 10_000,
      idleCheckMs: 30_000,
      maxPreparedStatements: 128,
    },
    monitoring: { slowQueryMs: env === 'development' ? 200 : env === 'test' ? 500 : 1000, enabled: true },
    transactions: { maxRetries: 5, baseBackoffMs: 20, maxBackoffMs: 1000 },
    routing: { ...ROUTING_DEFAULTS },
    sandbox: { name: 'default', home: path.resolve(cwd, '.mysqlops') },
    backup: {
      retentionDays: 7,
      encrypt: false,
      compression: 'zstd',
      threads: 4,
      schedule: { full: '0 2 * * *', incremental: '0 * * * *' },
    },
    etl: {
      batchSize: 5000,
      schedule: {
        customer_order_summary: '*/15 * * * *',
        product_performance_summary: '*/15 * * * *',
        daily_sales_summary: '*/15 * * * *',
        customer_cohort_analysis: '5 * * * *',
      },
    },
    serve: { host: '127.0.0.1', port: 8080, auditSeal: '*/10 * * * *' },
    alerts: alertDefaults(),
    health: healthDefaults(deployed),
    maintenance: maintenanceDefaults(),
  };
}
