/**
 * The shapes the monitor module hands out: health checks and reports, and the analysis reports
 * (`monitor queries|indexes|tables|connections|replication`). Metrics, alerts and the dashboard
 * build on these; field names are part of the `--json` contract.
 */
import type { HealthThresholds } from './config-schema.js';

/**
 * A health check's verdict. `unknown` means the value could not be measured (no privilege, feature off),
 * which is not the same as healthy.
 */
export type CheckStatus = 'ok' | 'warning' | 'critical' | 'unknown';

/** One check of a health report: its status, the measured value and the levels it was judged by. */
export interface HealthCheck {
  /** Stable id, e.g. `connections`; alert rules and metrics refer to it. */
  name: string;
  /** Human title, e.g. `Connections used`. */
  title: string;
  status: CheckStatus;
  /** The measured value (null when it could not be measured). */
  value: number | string | null;
  unit?: string;
  /** The levels in words, e.g. `>= 80% warning, >= 95% critical`; null for checks without levels. */
  threshold: string | null;
  /** One line: what the value means, or what to do about it. */
  hint: string;
}

/**
 * The result of `runHealthChecks` (exported as HealthCheckReport, since DatabaseManager has its own
 * HealthReport).
 */
export interface HealthReport {
  /** When the checks ran (ISO 8601, UTC). */
  at: string;
  /** The worst status of all checks (critical > warning > unknown > ok). */
  status: CheckStatus;
  checks: HealthCheck[];
}

/** Options of `runHealthChecks`. */
export interface HealthOptions {
  /** Levels overriding the configured ones, check by check (tests, one-off runs). */
  thresholds?: Partial<HealthThresholds>;
  /**
   * Wait between the two samples of the rate counters (aborted connects, lock waits, deadlocks).
   * Default: the configured `health.sampleIntervalMs`. Ignored when a previous run on the same
   * DatabaseManager left a usable sample (see docs/monitoring.md).
   */
  sampleIntervalMs?: number;
  /** The schema holding etl_runs and audit_log. Default: the configured `connection.database`. */
  schema?: string;
  /** Time source, for tests of ages. Default `Date.now`. */
  now?: () => number;
  /**
   * Galera only: how many nodes the cluster should have. Default: the number of addresses in the
   * node's wsrep_cluster_address (gcomm://a,b,c is 3); set it when that lists only some nodes.
   */
  galeraExpectedNodes?: number;
}

/** One statement digest, pt-query-digest style (timings in milliseconds). */
export interface QueryDigest {
  rank: number;
  /** Schema the statement ran in (null: none selected). */
  schema: string | null;
  digest: string | null;
  /** The normalized statement text (literals replaced by `?`). */
  query: string;
  calls: number;
  totalMs: number;
  /** Share of the total latency of all digests, %. */
  totalPct: number;
  avgMs: number;
  maxMs: number;
  /** 95th percentile latency: MySQL 8 only (QUANTILE_95); null on MariaDB, which has no quantiles. */
  p95Ms: number | null;
  lockMs: number;
  rowsExamined: number;
  rowsSent: number;
  rowsAffected: number;
  /** Rows examined per row sent (null when nothing was sent). */
  examinedPerSent: number | null;
  /** Executions that used no index (full scans). */
  fullScans: number;
  /** Executions where no good index was found. */
  noGoodIndex: number;
  tmpTables: number;
  tmpDiskTables: number;
  errors: number;
  warnings: number;
  firstSeen: string | null;
  lastSeen: string | null;
}

/** Options of `topQueries`. */
export interface QueryReportOptions {
  /** Digests to return. Default 10. */
  limit?: number;
  /** Only statements that ran in these schemas. Default all but the server's own. */
  schemas?: readonly string[];
}

/** An index, by schema, table, name and columns in index order. */
export interface IndexRef {
  schema: string;
  table: string;
  index: string;
  columns: string[];
  unique: boolean;
}

/** An index with no reads since the server started; the longer the uptime, the more that means. */
export interface UnusedIndex extends IndexRef {
  /** Suggested statement; null for unique indexes (they enforce a rule even when never read). */
  drop: string | null;
}

/**
 * An index another one makes unnecessary: the same columns (`duplicate`) or a left prefix of them
 * (`redundant`).
 */
export interface RedundantIndex extends IndexRef {
  kind: 'duplicate' | 'redundant';
  /** The index that makes this one unnecessary. */
  coveredBy: IndexRef;
  drop: string | null;
}

/**
 * A table without a primary key. InnoDB then clusters on a hidden row id, and row-based replication has to
 * scan the table for each changed row.
 */
export interface TableWithoutPrimaryKey {
  schema: string;
  table: string;
  engine: string | null;
  rows: number;
  /** A unique index over NOT NULL columns, which InnoDB then uses as the clustered key. */
  uniqueNotNullIndex: string | null;
}

/**
 * Indexes worth a look (`indexReport`): unused since the server started, made redundant by another index, and
 * tables without a primary key. Suggestions only; nothing is dropped.
 */
export interface IndexReport {
  /**
   * False when performance_schema is off. `unused` is null when it is off or does not count table
   * I/O (it cannot be known then); `notes` says which.
   */
  performanceSchema: boolean;
  /** Seconds since the server started: usage counters cover only that long. */
  uptimeSeconds: number;
  unused: UnusedIndex[] | null;
  redundant: RedundantIndex[];
  withoutPrimaryKey: TableWithoutPrimaryKey[];
  notes: string[];
}

/** Size and shape of one table, from information_schema (whose row counts are InnoDB estimates). */
export interface TableInfo {
  schema: string;
  table: string;
  engine: string | null;
  rows: number;
  dataBytes: number;
  indexBytes: number;
  totalBytes: number;
  freeBytes: number;
  /** freeBytes as a share of data + index + free, %. */
  fragmentationPct: number;
  /** Worth an `OPTIMIZE TABLE`: at least 10% and 64 MiB free. */
  fragmented: boolean;
  hasPrimaryKey: boolean;
}

/** The biggest tables and the totals (`tableReport`). */
export interface TableReport {
  tables: TableInfo[];
  totals: { tables: number; dataBytes: number; indexBytes: number; freeBytes: number };
  notes: string[];
}

/** Options of `tableReport`; `schemas` defaults to every schema but the server's own. */
export interface TableReportOptions {
  /** Tables to return, biggest first. Default 20. */
  limit?: number;
  schemas?: readonly string[];
}

/**
 * Sessions that share user, host, database, command and state, counted together so a thousand idle pool
 * connections read as one line.
 */
export interface ConnectionGroup {
  user: string;
  host: string;
  db: string | null;
  command: string;
  state: string | null;
  count: number;
  /** The longest time in this command/state, seconds. */
  maxSeconds: number;
}

/**
 * Who is connected and what they are doing (`connectionReport`), from the processlist and the open InnoDB
 * transactions.
 */
export interface ConnectionReport {
  connected: number;
  running: number;
  maxConnections: number;
  maxUsedConnections: number;
  usedPct: number;
  byUser: Array<{ user: string; count: number }>;
  byHost: Array<{ host: string; count: number }>;
  byState: Array<{ command: string; state: string | null; count: number }>;
  groups: ConnectionGroup[];
  /** Open InnoDB transactions, oldest first (at most 100). */
  transactions: OpenTransaction[];
}

/** An open InnoDB transaction; a long one holds locks and keeps purge from cleaning up old row versions. */
export interface OpenTransaction {
  threadId: number;
  user: string | null;
  host: string | null;
  seconds: number;
  state: string;
  rowsLocked: number;
  rowsModified: number;
  /** The statement running now (null while the session idles with the transaction open). */
  query: string | null;
}

/** One replication channel of this server as a replica: thread states, lag and last errors. */
export interface ReplicaChannel {
  /** Connection/channel name ('' for the default one). */
  channel: string;
  sourceHost: string | null;
  sourcePort: number | null;
  ioRunning: boolean;
  sqlRunning: boolean;
  /** Seconds behind the source; null when the SQL thread is not running (unknown). */
  lagSeconds: number | null;
  lastIoError: string | null;
  lastSqlError: string | null;
  /** Transactions received but not yet applied (GTID); null when not measurable. */
  gtidGap: number | null;
  gtidReceived: string | null;
  gtidExecuted: string | null;
}

/**
 * This server's place in replication (`replicationReport`): its binary logs, its replicas, and its channels
 * when it is a replica itself.
 */
export interface ReplicationReport {
  role: 'replica' | 'source' | 'standalone';
  binlog: { enabled: boolean; files: number; bytes: number; format: string | null };
  /** GTID position of this server (gtid_executed on MySQL, gtid_current_pos on MariaDB). */
  gtidPosition: string | null;
  /** Replicas connected to this server (as a source). */
  replicas: Array<{ serverId: number; host: string | null; port: number | null }>;
  channels: ReplicaChannel[];
}
