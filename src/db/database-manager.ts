/**
 * DatabaseManager: the connection manager applications import. Pooling, query monitoring,
 * transactions with deadlock retry, streaming, session context for the audit trail, flavor
 * detection and recovery after a server restart. It never prints or exits: logs go to the
 * optional logger, events to listeners, failures to typed errors.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { PoolConnection } from 'mysql2';
import {
  type MonitoringConfig,
  type PoolConfig,
  ROUTING_DEFAULTS,
  type RoutingConfig,
  type SandboxConfig,
  type TransactionConfig,
} from '../config/index.js';
import { isClientTimeout, MysqlopsError } from '../errors.js';
import {
  type CohortCell,
  type CustomerOrderSummary,
  type CustomerSegment,
  type DailySales,
  getCohortAnalysis,
  getCustomerOrderSummary,
  getCustomersBySegment,
  getDailySales,
  getTopProducts,
  type ProductPerformance,
} from '../etl/readers.js';
import {
  type ConnectionInput,
  type ResolvedTarget,
  replicaConnection,
  resolveTarget,
} from './connection-target.js';
import { type ContextRunner, ContextualDatabase } from './contextual-database.js';
import { Flavor } from './flavor.js';
import { formatGtidPosition, mergeGtidPosition, WriteFence } from './gtid.js';
import { ConnectionPool, closedError, type PoolStats } from './pool.js';
import type { ShapeSummary } from './query-stats.js';
import { type ExecuteResult, headerOf, rowCount, rowsOf } from './results.js';
import { backoffDelay, delay, isRetryableTransactionError, serverErrno } from './retry.js';
import { type RouteNode, Router, type RoutingStats } from './router.js';
import { isWriterRefusal, PrimaryUnavailableError } from './routing-errors.js';
import {
  isFatal,
  mayResend,
  openStream,
  type Params,
  runStatement,
  type StatementOptions,
  sendStatement,
  toQueryError,
  wasRefused,
} from './run-statement.js';
import { createSessionHandle, type Session } from './session.js';
import {
  type BoundContext,
  NO_CONTEXT_VALUES,
  SET_CONTEXT_SQL,
  type SessionContext,
} from './session-context.js';
import { isReadOnlyStatement, isReplicaSafeRead } from './sql-shape.js';
import { type Logger, type SlowQuery, StatementMonitor } from './statement-monitor.js';
import {
  beginStatements,
  commitError,
  createTransactionHandle,
  type Transaction,
  type TransactionOptions,
} from './transaction.js';

export type { Logger } from './statement-monitor.js';

/** What DatabaseManager needs; a full `MysqlopsConfig` from `loadConfig()` fits as it is. */
export interface DatabaseManagerConfig {
  connection: ConnectionInput;
  /** True when no server is configured and the local sandbox should be used. */
  usesSandbox?: boolean;
  sandbox?: Partial<SandboxConfig>;
  pool?: Partial<PoolConfig>;
  monitoring?: Partial<MonitoringConfig>;
  transactions?: Partial<TransactionConfig>;
  /** Read/write routing; only used when `connection.replicas` lists servers. */
  routing?: Partial<RoutingConfig>;
}

/**
 * `config` without its replicas: mysqlops's own jobs (migrations, ETL, audit, backups,
 * maintenance, monitoring, the CLI) read state they or another run just wrote, so they work on the
 * primary only; routing reads to replicas is for applications.
 */
export function primaryOnly<C extends DatabaseManagerConfig>(config: C): C {
  if (!config.connection.replicas?.length) return config;
  return { ...config, connection: { ...config.connection, replicas: [] } };
}

/** What a DatabaseManager needs besides its config. `logger` (pino-compatible) receives warnings such as slow queries; without one nothing is logged. */
export interface DatabaseManagerOptions {
  logger?: Logger;
}

/**
 * The result of `db.health()`, a liveness probe that never throws: `ok` is false and `error` set when
 * `SELECT 1` failed. `latencyMs` is the probe's round trip; `flavor` and `version` appear once the
 * manager has connected; `queries` counts since the manager was created (zeros with monitoring
 * disabled).
 */
export interface HealthReport {
  ok: boolean;
  latencyMs: number;
  target: string;
  flavor?: string;
  version?: string;
  pool: PoolStats;
  queries: { calls: number; errors: number; slow: number; transactionRetries: number; reconnects: number };
  error?: { code: string; message: string };
}

/**
 * What `db.serverInfo()` reads from the server (what `mysqlops status` prints). `uptimeSeconds` is
 * in seconds; `database` is null when no default database is selected, `tlsCipher` null when the
 * connection is not encrypted.
 */
export interface ServerInfo {
  flavor: 'mariadb' | 'mysql';
  label: string;
  version: string;
  uptimeSeconds: number;
  hostname: string;
  port: number;
  socket: string;
  currentUser: string;
  database: string | null;
  tlsCipher: string | null;
  target: string;
}

/**
 * The events a DatabaseManager emits, with their arguments. `retry` fires before a transaction is
 * re-run after a deadlock or lock wait timeout (`delayMs` is the wait before it); `reconnect` when a
 * dead idle connection was replaced on checkout. A listener that throws does not fail the statement.
 */
export interface DatabaseManagerEvents {
  slowQuery: [SlowQuery];
  retry: [{ attempt: number; errno: number | undefined; delayMs: number }];
  reconnect: [];
  /** A replica (or Galera node) left the read rotation: down, replication stopped, lagging, not synced. */
  replicaOut: [{ node: string; reason: string }];
  /** A replica came back into the read rotation after `outForMs`. */
  replicaIn: [{ node: string; outForMs: number }];
  /** Writes now go to `to` (null: no writable server for now). */
  primaryChange: [{ from: string | null; to: string | null }];
}

/** Where the hooks of one statement run (see #runOn). */
interface RunHooks {
  /** Runs on the connection before the statement (after the session context). Never fails the statement. */
  prepare?: (conn: PoolConnection, next: () => void) => void;
  /** Sees the raw result of a successful statement. */
  done?: (result: unknown) => void;
  /** Maps a failure before the caller sees it. */
  failed?: (err: Error) => Error;
}

const DEFAULT_POOL = { size: 10, acquireTimeoutMs: 10_000, idleCheckMs: 30_000, maxPreparedStatements: 128 };
const DEFAULT_TX = { maxRetries: 5, baseBackoffMs: 20, maxBackoffMs: 1000 };

/**
 * Usage:
 * ```ts
 * const db = new DatabaseManager(DatabaseConfig.getConfig('production'));
 * await db.initialize();
 * const vips = await db.query('SELECT * FROM customers WHERE segment = ?', ['vip']);
 * await db.transaction(async (tx) => { await tx.execute('UPDATE ...', [id]); });
 * await db.close();
 * ```
 */
export class DatabaseManager extends EventEmitter<DatabaseManagerEvents> implements ContextRunner {
  readonly #config: DatabaseManagerConfig;
  readonly #monitor: StatementMonitor;
  readonly #tx: typeof DEFAULT_TX;
  readonly #contextOf = new WeakMap<PoolConnection, string | null>();
  #target: ResolvedTarget | undefined;
  #pool: ConnectionPool | undefined;
  #flavor: Flavor | undefined;
  #initializing: Promise<void> | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Set when `connection.replicas` lists servers: where each statement goes. */
  #router: Router | undefined;
  readonly #routing: RoutingConfig;
  /** What statements issued on the manager itself wrote (withContext views keep their own). */
  readonly #fence = new WriteFence();
  /** Connections whose session reports the GTID of each write. */
  readonly #tracked = new WeakSet<PoolConnection>();

  constructor(config: DatabaseManagerConfig, options: DatabaseManagerOptions = {}) {
    super();
    if (!config || typeof config !== 'object' || !config.connection) {
      throw new MysqlopsError({
        code: 'E_CONFIG',
        message: 'DatabaseManager needs a config with a `connection` section',
        hint: 'pass DatabaseConfig.getConfig(env) or loadConfig()',
        exitCode: 2,
      });
    }
    this.#config = config;
    this.#monitor = new StatementMonitor({
      enabled: config.monitoring?.enabled ?? true,
      slowQueryMs: config.monitoring?.slowQueryMs ?? 200,
      logger: options.logger,
      onSlow: (event) => this.#notify('slowQuery', event),
    });
    this.#tx = { ...DEFAULT_TX, ...definedOnly(config.transactions) };
    this.#routing = { ...ROUTING_DEFAULTS, ...definedOnly(config.routing) };
    for (const [i, r] of (config.connection.replicas ?? []).entries()) {
      if (!r?.host && !r?.socket) {
        throw new MysqlopsError({
          code: 'E_CONFIG',
          message: `connection.replicas.${i}: needs a host or a socket`,
          hint: 'list each replica as { host, port } or { socket }',
          exitCode: 2,
        });
      }
    }
  }

  /**
   * Open the pool, connect once and detect the server flavor. Idempotent; the first statement
   * calls it implicitly, but calling it at start-up surfaces a bad configuration early.
   */
  initialize(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    this.#initializing ??= this.#open().catch((err: unknown) => {
      this.#initializing = undefined;
      const pool = this.#pool;
      const router = this.#router;
      this.#pool = undefined;
      this.#router = undefined;
      const ended = router ? router.close(0) : pool ? pool.end() : Promise.resolve();
      return ended.then(() => {
        throw err;
      });
    });
    return this.#initializing;
  }

  /** The detected server flavor. Throws before initialize() has finished. */
  get flavor(): Flavor {
    if (!this.#flavor)
      throw new MysqlopsError({ code: 'E_CONNECT', message: 'DatabaseManager is not initialized' });
    return this.#flavor;
  }

  /** Where this manager connects, for humans (never includes the password). */
  get target(): string {
    const primary = this.#target?.description ?? '(not connected)';
    const replicas = this.#router ? this.#router.nodes.length - 1 : 0;
    return replicas > 0
      ? `${primary} (+${replicas} ${this.#routing.mode === 'galera' ? 'nodes' : 'replicas'})`
      : primary;
  }

  /**
   * Where statements went: reads per server, writes, replicas in and out of rotation, GTID waits
   * and fallbacks to the primary. `mode: 'single'` (and zeros) without replicas.
   */
  routingStats(): RoutingStats {
    if (this.#router) return this.#router.stats();
    return {
      mode: 'single',
      primary: this.#target?.description ?? null,
      nodes: [],
      reads: { replicas: 0, primary: 0 },
      writes: 0,
      gtidWaits: { count: 0, timeouts: 0 },
      fallbacks: { noReplica: 0, readYourWrites: 0, waitTimeout: 0, replicaError: 0 },
      changes: { out: 0, in: 0, primary: 0 },
    };
  }

  /** Run a statement and return its rows (an empty array for statements that return none). */
  query<T = Record<string, unknown>>(sql: string, params?: Params, options?: StatementOptions): Promise<T[]> {
    return this.#run(null, sql, params, options, rowsOf<T>);
  }

  /** Run a data-changing statement and return affected rows / insert id. */
  execute(sql: string, params?: Params, options?: StatementOptions): Promise<ExecuteResult> {
    return this.#run(null, sql, params, options, headerOf);
  }

  /**
   * Stream the rows of a large result with constant memory; the connection is paused while the
   * consumer is busy. Breaking out of the loop early discards the connection and stops the query on
   * the server (KILL QUERY from a side connection); the loop exits once that is done.
   */
  stream<T = Record<string, unknown>>(sql: string, params?: Params): AsyncGenerator<T, void, undefined> {
    return this.#stream<T>(null, sql, params);
  }

  /**
   * Run `fn` in a transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws.
   * A deadlock (1213) or lock wait timeout (1205) anywhere in it re-runs the whole callback after
   * a jittered backoff, up to maxRetries. WARNING: the callback may therefore run more than once;
   * keep side effects outside the database (HTTP calls, emails) out of it.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.#transaction(null, fn, options);
  }

  /**
   * Run `fn` with one connection to the writable server held for its whole duration: temporary
   * tables, session variables and named locks last from one of its statements or transactions to
   * the next. Statements run one at a time; `s.transaction()` re-runs its callback after a deadlock
   * or lock wait timeout like `db.transaction()`, on the same connection (`fn` itself runs once).
   * When a failed transaction cannot be rolled back (the connection is gone), every later call on
   * the session fails with E_CONNECTION_LOST. Open transactions with `s.transaction()`, not with
   * START TRANSACTION by hand. Statements on `db` inside `fn` take another pool connection.
   * Afterwards the connection is closed, not pooled, so nothing the session left behind reaches
   * another caller.
   *
   * ```ts
   * const total = await db.session(async (s) => {
   *   await s.execute('CREATE TEMPORARY TABLE picked (id INT PRIMARY KEY)');
   *   await s.transaction((tx) => tx.execute('INSERT INTO picked VALUES (1), (2)'));
   *   const [row] = await s.query<{ n: number }>('SELECT COUNT(*) AS n FROM picked');
   *   return Number(row?.n);
   * });
   * ```
   */
  session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.#session(null, fn);
  }

  /**
   * A view of this manager whose statements carry `ctx` (application user, request id) as session
   * variables for the audit trail. Cheap: shares the pool. Statements issued without a context
   * clear any context a pooled connection carried from an earlier caller.
   */
  withContext(ctx: SessionContext): ContextualDatabase {
    return new ContextualDatabase(this, ctx);
  }

  /** Statement stats by shape, costliest first (for reports and `--json`). */
  queryStats(limit?: number): ShapeSummary[] {
    return this.#monitor.stats.summary(limit);
  }

  /** Query monitoring and pool metrics in the Prometheus text format. */
  metrics(prefix = 'mysqlops_db'): string {
    const p = this.poolStats();
    const lines = [
      `# HELP ${prefix}_pool_connections Pooled connections by state.`,
      `# TYPE ${prefix}_pool_connections gauge`,
      `${prefix}_pool_connections{state="in_use"} ${p.inUse}`,
      `${prefix}_pool_connections{state="idle"} ${p.idle}`,
      `${prefix}_pool_connections{state="waiting"} ${p.waiting}`,
      `${prefix}_pool_connections{state="limit"} ${p.limit}`,
    ];
    if (this.#router) {
      const stats = this.#router.stats();
      const label = (name: string) => name.replace(/["\\\n]/g, '_');
      lines.push(
        `# HELP ${prefix}_routed_statements_total Statements routed to each server, by kind.`,
        `# TYPE ${prefix}_routed_statements_total counter`,
        ...stats.nodes.flatMap((n) => [
          `${prefix}_routed_statements_total{node="${label(n.name)}",kind="read"} ${n.reads}`,
          `${prefix}_routed_statements_total{node="${label(n.name)}",kind="write"} ${n.writes}`,
        ]),
        `# HELP ${prefix}_node_in_rotation 1 when the server takes reads.`,
        `# TYPE ${prefix}_node_in_rotation gauge`,
        ...stats.nodes.map(
          (n) => `${prefix}_node_in_rotation{node="${label(n.name)}"} ${n.inRotation ? 1 : 0}`,
        ),
      );
    }
    return `${this.#monitor.stats.toPrometheus(prefix)}${lines.join('\n')}\n`;
  }

  poolStats(): PoolStats {
    return (
      this.#pool?.stats() ?? { size: 0, inUse: 0, idle: 0, waiting: 0, limit: this.#poolSettings().size }
    );
  }

  /** A quick liveness probe that never throws: round trip time, pool and query counters. */
  async health(): Promise<HealthReport> {
    const started = performance.now();
    let error: HealthReport['error'];
    try {
      await this.query('SELECT 1', undefined, { timeoutMs: 5000, route: 'primary' });
    } catch (err) {
      const e = err as MysqlopsError;
      error = { code: e.code ?? 'E_UNKNOWN', message: e.message };
    }
    const all = this.#monitor.stats.summary(Number.MAX_SAFE_INTEGER);
    return {
      ok: error === undefined,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      target: this.target,
      ...(this.#flavor ? { flavor: this.#flavor.kind, version: this.#flavor.versionString } : {}),
      pool: this.poolStats(),
      queries: {
        calls: all.reduce((n, s) => n + s.calls, 0),
        errors: all.reduce((n, s) => n + s.errors, 0),
        slow: this.#monitor.stats.slowQueries,
        transactionRetries: this.#monitor.stats.transactionRetries,
        reconnects: this.#monitor.stats.reconnects,
      },
      ...(error ? { error } : {}),
    };
  }

  // ---- typed report readers (the ETL's reports; the SQL lives in src/etl/readers.ts) ----

  /** One customer's order summary from the reports, or null (no orders, or the ETL has not run). */
  getCustomerOrderSummary(customerId: number): Promise<CustomerOrderSummary | null> {
    return getCustomerOrderSummary(this, customerId);
  }

  /** Customers of a segment, biggest spenders first (default 100). */
  getCustomersBySegment(segment: CustomerSegment, limit?: number): Promise<CustomerOrderSummary[]> {
    return getCustomersBySegment(this, segment, limit);
  }

  /** The best products by revenue (default 10). */
  getTopProducts(limit?: number): Promise<ProductPerformance[]> {
    return getTopProducts(this, limit);
  }

  /** Daily sales between two `YYYY-MM-DD` dates, inclusive. */
  getDailySales(from: string, to: string): Promise<DailySales[]> {
    return getDailySales(this, from, to);
  }

  /** Cohort cells of cohorts starting on or after `since` (`YYYY-MM-DD`). */
  getCohortAnalysis(since?: string): Promise<CohortCell[]> {
    return getCohortAnalysis(this, since);
  }

  /** Version, flavor, uptime and where we are connected: what `mysqlops status` prints. */
  async serverInfo(): Promise<ServerInfo> {
    const [row] = await this.query<Record<string, unknown>>(
      `SELECT VERSION() AS version, @@version_comment AS comment, @@hostname AS hostname, @@port AS port,
              @@socket AS socket, CURRENT_USER() AS currentUser, DATABASE() AS db`,
    );
    const [uptime] = await this.query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Uptime'");
    const [cipher] = await this.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    const flavor = this.flavor;
    return {
      flavor: flavor.kind,
      label: flavor.label,
      version: String(row?.version ?? ''),
      uptimeSeconds: Number(uptime?.Value ?? 0),
      hostname: String(row?.hostname ?? ''),
      port: Number(row?.port ?? 0),
      socket: String(row?.socket ?? ''),
      currentUser: String(row?.currentUser ?? ''),
      database: row?.db == null ? null : String(row.db),
      tlsCipher: cipher?.Value ? cipher.Value : null,
      target: this.target,
    };
  }

  /**
   * Stop taking statements: callers still waiting for a connection fail with E_POOL_CLOSED at once,
   * running statements get up to `timeoutMs` (default 10 s) to finish, then every connection is
   * closed. Safe to call more than once, also concurrently: every call resolves when it is done.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#shutDown(options.timeoutMs ?? 10_000);
    return this.#closing;
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    if (this.#router) {
      await this.#router.close(timeoutMs);
      return;
    }
    const pool = this.#pool;
    if (!pool) return;
    pool.stopAccepting();
    await pool.drained(timeoutMs);
    await pool.end();
  }

  // ---- internals shared with ContextualDatabase ----

  /** @internal */
  run<R>(
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
    fence?: WriteFence,
  ): Promise<R> {
    return this.#run(ctx, sql, params, options, shapeResult, fence);
  }

  /** @internal */
  streamWith<T>(ctx: BoundContext | null, sql: string, params?: Params): AsyncGenerator<T, void, undefined> {
    return this.#stream<T>(ctx, sql, params);
  }

  /** @internal */
  sessionWith<T>(
    ctx: BoundContext | null,
    fn: (session: Session) => Promise<T>,
    fence?: WriteFence,
  ): Promise<T> {
    return this.#session(ctx, fn, fence);
  }

  /** @internal */
  transactionWith<T>(
    ctx: BoundContext | null,
    fn: (tx: Transaction) => Promise<T>,
    options?: TransactionOptions,
    fence?: WriteFence,
  ): Promise<T> {
    return this.#transaction(ctx, fn, options, fence);
  }

  async #open(): Promise<void> {
    const target = resolveTarget(
      this.#config.connection,
      this.#config.sandbox,
      this.#config.usesSandbox ?? false,
    );
    this.#target = target;
    const pool = this.#newPool(target);
    this.#pool = pool;
    const replicas = this.#config.connection.replicas ?? [];
    if (replicas.length > 0) {
      await this.#openRouted(target, pool, replicas);
      if (this.#flavor) return;
    }
    const conn = await pool.acquire();
    try {
      const [row] = rowsOf<{ v: string; c: string }>(
        await runStatement(
          conn,
          undefined,
          'SELECT VERSION() AS v, @@version_comment AS c',
          undefined,
          undefined,
        ),
      );
      this.#flavor = Flavor.detect(row?.v ?? '', row?.c ?? '');
      pool.release(conn);
    } catch (err) {
      pool.destroy(conn);
      throw pool.mapConnectError(err);
    }
  }

  #newPool(target: ResolvedTarget): ConnectionPool {
    const pool = new ConnectionPool(target.options, this.#poolSettings(), target);
    pool.onReconnect = () => {
      this.#monitor.stats.reconnects++;
      this.#notify('reconnect');
    };
    return pool;
  }

  /**
   * With replicas: a pool per server and the router's first health check, which finds the writable
   * server (the configured primary unless a failover moved it) and the flavor. When no server
   * answers, #open's plain connect to the configured primary reports why.
   */
  async #openRouted(
    primary: ResolvedTarget,
    primaryPool: ConnectionPool,
    replicas: NonNullable<ConnectionInput['replicas']>,
  ): Promise<void> {
    const servers = [{ target: primary, pool: primaryPool }];
    for (const replica of replicas) {
      const target = resolveTarget(replicaConnection(this.#config.connection, replica), undefined, false);
      servers.push({ target, pool: this.#newPool(target) });
    }
    const name = (n: RouteNode | undefined) => n?.name ?? null;
    const router = new Router(servers, this.#routing, {
      replicaOut: (node, reason) => this.#notify('replicaOut', { node: node.name, reason }),
      replicaIn: (node, outForMs) => this.#notify('replicaIn', { node: node.name, outForMs }),
      primaryChange: (from, to) => {
        if (to) {
          this.#pool = to.pool;
          this.#target = to.target;
        }
        this.#monitor.log('warn', { from: name(from), to: name(to) }, 'primary changed');
        this.#notify('primaryChange', { from: name(from), to: name(to) });
      },
    });
    this.#router = router;
    await router.start();
    const writer = router.writer;
    if (writer) {
      this.#pool = writer.pool;
      this.#target = writer.target;
    }
    this.#flavor = router.flavor;
  }

  #poolSettings() {
    return { ...DEFAULT_POOL, ...definedOnly(this.#config.pool) };
  }

  async #ready(): Promise<ConnectionPool> {
    if (this.#closed) throw closedError();
    if (!this.#pool || !this.#flavor) await this.initialize();
    return this.#pool as ConnectionPool;
  }

  async #acquire(ctx: BoundContext | null, from?: ConnectionPool): Promise<PoolConnection> {
    const pool = from ?? (this.#pool && this.#flavor && !this.#closed ? this.#pool : await this.#ready());
    const conn = await pool.acquire();
    if (this.#carries(conn, ctx)) return conn;
    await new Promise<void>((resolve, reject) =>
      this.#applyContext(conn, ctx, (err) => {
        if (!err) {
          resolve();
          return;
        }
        pool.destroy(conn);
        reject(toQueryError(err, SET_CONTEXT_SQL, this.#flavor));
      }),
    );
    return conn;
  }

  /** True when the connection's session already holds exactly this context (or none, for null). */
  #carries(conn: PoolConnection, ctx: BoundContext | null): boolean {
    return (this.#contextOf.get(conn) ?? null) === (ctx?.key ?? null);
  }

  /**
   * Set or clear the session context. Costs a round trip only when the connection's last caller
   * had a different one; forgotten first, so a failed SET leaves no stale belief behind.
   */
  #applyContext(conn: PoolConnection, ctx: BoundContext | null, cb: (err: Error | null) => void): void {
    this.#contextOf.delete(conn);
    sendStatement(conn, undefined, SET_CONTEXT_SQL, ctx?.values ?? NO_CONTEXT_VALUES, undefined, (err) => {
      if (!err) this.#contextOf.set(conn, ctx?.key ?? null);
      cb(err);
    });
  }

  /** One statement outside a transaction: on the one server, or where routing sends it. */
  #run<R>(
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
    fence: WriteFence = this.#fence,
  ): Promise<R> {
    const pool = this.#pool;
    if (!pool || !this.#flavor || this.#closed) {
      return this.#ready().then(() => this.#run(ctx, sql, params, options, shapeResult, fence));
    }
    const router = this.#router;
    if (!router) return this.#runOn(pool, ctx, sql, params, options, shapeResult);
    const isQuery = shapeResult !== (headerOf as unknown);
    const route = isQuery ? options?.route : 'primary';
    if (route === 'replica' || (route === undefined && isReplicaSafeRead(sql))) {
      return this.#routedRead(router, ctx, sql, params, options, shapeResult, fence);
    }
    return this.#routedWrite(
      router,
      ctx,
      sql,
      params,
      options,
      shapeResult,
      fence,
      !isQuery || !isReadOnlyStatement(sql),
    );
  }

  /**
   * A statement for the primary. `writes` marks statements that may change data: they count as
   * writes and their GTID is noted in `fence` for later reads.
   */
  #routedWrite<R>(
    router: Router,
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
    fence: WriteFence,
    writes: boolean,
  ): Promise<R> {
    const writer = router.writer;
    if (!writer) {
      // Between a primary failing and the next one being found (a failover): look now, once.
      return router.check().then(() => {
        if (!router.writer) throw new PrimaryUnavailableError(null);
        return this.#routedWrite(router, ctx, sql, params, options, shapeResult, fence, writes);
      });
    }
    if (writes) {
      writer.writes++;
      router.counters.writes++;
    } else {
      writer.reads++;
      router.counters.primaryReads++;
    }
    const track = writes && this.#routing.readYourWrites !== 'off';
    const flavor = this.#flavor as Flavor;
    return this.#runOn(writer.pool, ctx, sql, params, options, shapeResult, {
      prepare: track ? (conn, next) => this.#trackGtids(conn, next) : undefined,
      done: track ? (result) => fence.note(flavor.gtidOfResult(result), flavor.kind) : undefined,
      failed: (err) => this.#writerFailed(router, writer, err),
    });
  }

  /** Make a writer connection report each write's GTID (once per connection; best effort). */
  #trackGtids(conn: PoolConnection, next: () => void): void {
    if (this.#tracked.has(conn)) {
      next();
      return;
    }
    sendStatement(conn, undefined, (this.#flavor as Flavor).trackGtidSql, undefined, undefined, (err) => {
      if (!err) this.#tracked.add(conn);
      next();
    });
  }

  /** A failure on the writer: look for the writable server now; a refusal becomes E_PRIMARY_UNAVAILABLE. */
  #writerFailed(router: Router, writer: RouteNode, err: Error): Error {
    if (isWriterRefusal(err)) {
      void router.check();
      return new PrimaryUnavailableError(writer.name, err);
    }
    if (isFatal(err)) void router.check();
    return err;
  }

  /**
   * A read for a replica: the least busy one in rotation, after it has applied what `fence` wrote
   * (readYourWrites); the primary when none qualifies. A replica that fails before answering is
   * taken out of rotation and the read goes to the primary.
   */
  #routedRead<R>(
    router: Router,
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
    fence: WriteFence,
  ): Promise<R> {
    const { counters } = router;
    const onPrimary = () => this.#readOnPrimary(router, ctx, sql, params, options, shapeResult);
    const node = router.pickReader();
    if (!node) {
      counters.fallbacks.noReplica++;
      return onPrimary();
    }
    const rw = this.#routing.readYourWrites;
    const onNode = (): Promise<R> => {
      node.reads++;
      if (node === router.writer) counters.primaryReads++;
      else counters.replicaReads++;
      return this.#runOn(node.pool, ctx, sql, params, options, shapeResult).catch((err: unknown) => {
        if (!isReplicaFailure(err)) throw err;
        counters.fallbacks.replicaError++;
        router.markDown(node, `a read failed: ${(err as Error).message}`);
        return onPrimary();
      });
    };
    if (rw === 'off' || fence.at === 0 || node === router.writer) return onNode();
    if (fence.position.size > 0 && router.hasApplied(node, fence)) return onNode();
    // Without a GTID to compare (Galera, or writes that reported none) time decides: a replica in
    // rotation is at most maxLagSeconds behind, as of its last check.
    const settled =
      Date.now() - fence.at > this.#routing.maxLagSeconds * 1000 + 2 * this.#routing.checkIntervalMs;
    if (this.#routing.mode === 'galera' || rw === 'primary' || fence.position.size === 0) {
      if (settled) return onNode();
      counters.fallbacks.readYourWrites++;
      return onPrimary();
    }
    counters.gtidWaits++;
    return this.#waitForFence(node, fence).then((reached) => {
      if (reached) return onNode();
      counters.gtidWaitTimeouts++;
      counters.fallbacks.waitTimeout++;
      return onPrimary();
    });
  }

  #readOnPrimary<R>(
    router: Router,
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
  ): Promise<R> {
    const writer = router.writer;
    if (writer) writer.reads++;
    router.counters.primaryReads++;
    // With no writable server (mid-failover) the last one known still answers reads if it is up.
    return this.#runOn(
      writer?.pool ?? (this.#pool as ConnectionPool),
      ctx,
      sql,
      params,
      options,
      shapeResult,
    );
  }

  /**
   * Let a replica apply `fence`'s GTIDs, up to routing.waitTimeoutMs (MASTER_GTID_WAIT /
   * WAIT_FOR_EXECUTED_GTID_SET). True when it has; its known position then includes them.
   */
  async #waitForFence(node: RouteNode, fence: WriteFence): Promise<boolean> {
    const flavor = this.#flavor as Flavor;
    const wanted = new Map(fence.position);
    let conn: PoolConnection | undefined;
    try {
      conn = await node.pool.acquire();
      const [row] = rowsOf<{ w: unknown }>(
        await runStatement(
          conn,
          undefined,
          flavor.gtidWaitSql,
          [formatGtidPosition(wanted), this.#routing.waitTimeoutMs / 1000],
          undefined,
        ),
      );
      node.pool.release(conn);
      const reached = flavor.gtidWaitReached(row?.w);
      if (reached) mergeGtidPosition(node.position, wanted);
      return reached;
    } catch (err) {
      if (conn) {
        if (isFatal(err)) node.pool.destroy(conn);
        else node.pool.release(conn);
      }
      return false;
    }
  }

  /**
   * One statement outside a transaction on `pool`. Written with callbacks rather than async/await:
   * this is the hot path, and each promise hop saved shows in bench/connection.ts.
   */
  #runOn<R>(
    pool: ConnectionPool,
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
    hooks?: RunHooks,
  ): Promise<R> {
    const watch = this.#monitor.watch(sql);
    const fail = hooks?.failed;
    return new Promise<R>((resolve, reject) => {
      const attempt = (n: number) =>
        pool.acquireWith((acquireError, conn) => {
          if (!conn) {
            this.#monitor.record(watch, false, 0);
            reject(fail && acquireError ? fail(acquireError) : acquireError);
            return;
          }
          const sendNow = () =>
            sendStatement(conn, this.#flavor, sql, params, options, (err, result) => {
              if (!err) {
                hooks?.done?.(result);
                pool.release(conn);
                this.#monitor.record(watch, true, rowCount(result));
                resolve(shapeResult(result));
                return;
              }
              this.#giveBack(pool, conn, err).then(() => {
                if (n < 2 && mayResend(err, options)) attempt(n + 1);
                else {
                  const mapped = this.#monitor.failed(watch, err, this.#flavor);
                  reject(fail ? fail(mapped) : mapped);
                }
              });
            });
          const prepare = hooks?.prepare;
          const send = prepare ? () => prepare(conn, sendNow) : sendNow;
          if (this.#carries(conn, ctx)) {
            send();
            return;
          }
          this.#applyContext(conn, ctx, (err) => {
            if (!err) {
              send();
              return;
            }
            pool.destroy(conn);
            const mapped = this.#monitor.failed(watch, err, this.#flavor, SET_CONTEXT_SQL);
            reject(fail ? fail(mapped) : mapped);
          });
        });
      attempt(0);
    });
  }

  /**
   * Put a connection whose statement failed back, or away: a session that is gone or in an unknown
   * state is dropped, and after a client-side timeout the statement still running on the server is
   * killed first, so that when the caller hears "timeout" the server has stopped working on it.
   */
  #giveBack(pool: ConnectionPool, conn: PoolConnection, err: unknown): Promise<unknown> {
    if (isClientTimeout(err)) {
      const threadId = conn.threadId;
      pool.destroy(conn);
      return pool.killQuery(threadId);
    }
    if (isFatal(err)) pool.destroy(conn);
    else pool.release(conn);
    return Promise.resolve();
  }

  async *#stream<T>(
    ctx: BoundContext | null,
    sql: string,
    params?: Params,
  ): AsyncGenerator<T, void, undefined> {
    const watch = this.#monitor.watch(sql);
    // Taken before the checkout: with replicas the writer's pool may change while we wait.
    const pool = this.#pool && this.#flavor && !this.#closed ? this.#pool : await this.#ready();
    const conn = await this.#acquire(ctx, pool);
    let rows = 0;
    let outcome: 'open' | 'done' | 'failed' = 'open';
    try {
      for await (const row of openStream(conn, sql, params)) {
        rows++;
        yield row as T;
      }
      outcome = 'done';
    } catch (err) {
      outcome = 'failed';
      // A refused statement never reached the server, so the session is as it was.
      if (wasRefused(err)) pool.release(conn);
      else pool.destroy(conn);
      throw this.#monitor.failed(watch, err, this.#flavor, sql, rows);
    } finally {
      if (outcome === 'done') {
        pool.release(conn);
        this.#monitor.record(watch, true, rows);
      } else if (outcome === 'open') {
        // The consumer stopped early. Closing the socket alone would leave the server producing the
        // rest of the result until it noticed; KILL QUERY stops it now.
        const threadId = conn.threadId;
        pool.destroy(conn);
        await pool.killQuery(threadId);
        this.#monitor.record(watch, true, rows);
      }
    }
  }

  async #transaction<T>(
    ctx: BoundContext | null,
    fn: (tx: Transaction) => Promise<T>,
    options?: TransactionOptions,
    fence: WriteFence = this.#fence,
  ): Promise<T> {
    if (!this.#pool || !this.#flavor) await this.#ready();
    const router = this.#router;
    return this.#retrying(options, async (attempt) => {
      const { conn, pool, writer } = await this.#acquireForWrites(ctx);
      try {
        const result = await this.#attempt(conn, attempt, fn, options, fence);
        pool.release(conn);
        return result;
      } catch (err) {
        await this.#rollback(conn, pool, err);
        if (!isRetryableTransactionError(err) && router && writer) {
          throw this.#writerFailed(router, writer, err as Error);
        }
        throw err;
      }
    });
  }

  /**
   * One try of a transaction on `conn`: BEGIN, the callback, COMMIT (noting its GTID for later
   * reads when routing). Rolling back after a failure is the caller's.
   */
  async #attempt<T>(
    conn: PoolConnection,
    attempt: number,
    fn: (tx: Transaction) => Promise<T>,
    options: TransactionOptions | undefined,
    fence: WriteFence,
  ): Promise<T> {
    const handle = createTransactionHandle(attempt, (sql, params, opts) =>
      this.#runPinned(conn, sql, params, opts),
    );
    try {
      for (const sql of beginStatements(options)) await this.#runPinned(conn, sql);
      const result = await fn(handle.tx);
      handle.finish();
      const committed = await runStatement(conn, undefined, 'COMMIT', undefined, undefined).catch(
        (err: unknown) => {
          throw commitError(err, this.#flavor);
        },
      );
      if (this.#router && this.#routing.readYourWrites !== 'off' && !options?.readOnly) {
        const flavor = this.#flavor as Flavor;
        fence.note(flavor.gtidOfResult(committed), flavor.kind);
      }
      return result;
    } finally {
      handle.finish();
    }
  }

  /**
   * `body` (given the try's number, from 1) again after a deadlock or lock wait timeout, with a
   * jittered backoff, up to maxRetries; then E_TRANSACTION_RETRIES.
   */
  async #retrying<T>(
    options: TransactionOptions | undefined,
    body: (attempt: number) => Promise<T>,
  ): Promise<T> {
    const maxRetries = options?.maxRetries ?? this.#tx.maxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await body(attempt + 1);
      } catch (err) {
        // A lost connection is never retried, whatever deadlock its cause chain reports.
        if (!isRetryableTransactionError(err) || (err as MysqlopsError).code === 'E_CONNECTION_LOST')
          throw err;
        if (attempt >= maxRetries) {
          throw new MysqlopsError({
            code: 'E_TRANSACTION_RETRIES',
            message: `transaction failed after ${attempt + 1} attempts: ${(err as Error).message}`,
            hint: 'the rows it touches are heavily contended; shorten the transaction or lock rows in a consistent order',
            cause: err,
          });
        }
        const delayMs = backoffDelay(attempt, this.#tx.baseBackoffMs, this.#tx.maxBackoffMs);
        this.#monitor.stats.transactionRetries++;
        this.#notify('retry', { attempt: attempt + 1, errno: serverErrno(err), delayMs });
        this.#monitor.log(
          'debug',
          { attempt: attempt + 1, errno: serverErrno(err), delayMs },
          'transaction retry',
        );
        await delay(delayMs);
      }
    }
  }

  /**
   * A connection to the writable server held for `fn`, then closed rather than pooled: whatever
   * the session created (temporary tables, variables, named locks) must not reach another caller.
   */
  async #session<T>(
    ctx: BoundContext | null,
    fn: (session: Session) => Promise<T>,
    fence: WriteFence = this.#fence,
  ): Promise<T> {
    if (!this.#pool || !this.#flavor) await this.#ready();
    const router = this.#router;
    const { conn, pool, writer } = await this.#acquireForWrites(ctx);
    const flavor = this.#flavor as Flavor;
    const track = router !== undefined && this.#routing.readYourWrites !== 'off';
    const handle = createSessionHandle({
      run: async (sql, params, opts) => {
        const result = await this.#runPinned(conn, sql, params, opts);
        if (track && !isReadOnlyStatement(sql)) fence.note(flavor.gtidOfResult(result), flavor.kind);
        return result;
      },
      transaction: (txFn, options) =>
        this.#retrying(options, async (attempt) => {
          try {
            return await this.#attempt(conn, attempt, txFn, options, fence);
          } catch (err) {
            // Also after a client-side timeout: the statement was killed, the connection and its
            // transaction are still there. A transaction that cannot be ended must not be committed
            // by whatever the session runs next (START TRANSACTION commits implicitly).
            const ended = await runStatement(conn, undefined, 'ROLLBACK', undefined, undefined).then(
              () => true,
              () => false,
            );
            if (!ended) throw handle.broken(err);
            throw err;
          }
        }),
    });
    try {
      return await fn(handle.session);
    } catch (err) {
      throw router && writer && err instanceof Error ? this.#writerFailed(router, writer, err) : err;
    } finally {
      handle.finish();
      pool.destroy(conn);
    }
  }

  /** A connection for a transaction or session: the writer's when routing, else the pool's. */
  async #acquireForWrites(
    ctx: BoundContext | null,
  ): Promise<{ conn: PoolConnection; pool: ConnectionPool; writer?: RouteNode }> {
    const router = this.#router;
    if (router) return this.#acquireWriter(router, ctx);
    return { conn: await this.#acquire(ctx), pool: this.#pool as ConnectionPool };
  }

  /**
   * A connection to the writer for a transaction, with GTID reporting on, counted as a write.
   * Throws E_PRIMARY_UNAVAILABLE when no server is writable or the writer refuses the connection.
   */
  async #acquireWriter(
    router: Router,
    ctx: BoundContext | null,
  ): Promise<{ conn: PoolConnection; pool: ConnectionPool; writer: RouteNode }> {
    if (this.#closed) throw closedError();
    if (!router.writer) await router.check();
    const writer = router.writer;
    if (!writer) throw new PrimaryUnavailableError(null);
    let conn: PoolConnection;
    try {
      conn = await this.#acquire(ctx, writer.pool);
    } catch (err) {
      throw this.#writerFailed(router, writer, err as Error);
    }
    if (this.#routing.readYourWrites !== 'off') {
      await new Promise<void>((resolve) => this.#trackGtids(conn, resolve));
    }
    writer.writes++;
    router.counters.writes++;
    return { conn, pool: writer.pool, writer };
  }

  /**
   * End a failed transaction. A connection that is gone, or left by a statement that timed out (and
   * was killed by #runPinned), is dropped (the server rolls back when it closes) instead of queueing
   * a ROLLBACK behind it; `cause` may be one of our errors wrapping the driver's.
   */
  async #rollback(conn: PoolConnection, pool: ConnectionPool, cause: unknown): Promise<void> {
    if (isFatal(cause)) {
      pool.destroy(conn);
      return;
    }
    try {
      await runStatement(conn, undefined, 'ROLLBACK', undefined, undefined);
      pool.release(conn);
    } catch {
      pool.destroy(conn);
    }
  }

  /**
   * A statement on a connection the caller holds (inside a transaction), monitored like any other.
   * After a client-side timeout the statement is killed before the caller hears of it.
   */
  async #runPinned(conn: PoolConnection, sql: string, params?: Params, options?: StatementOptions) {
    const watch = this.#monitor.watch(sql);
    try {
      const result = await runStatement(conn, this.#flavor, sql, params, options);
      this.#monitor.record(watch, true, rowCount(result));
      return result;
    } catch (err) {
      if (isClientTimeout(err)) await this.#pool?.killQuery(conn.threadId);
      throw this.#monitor.failed(watch, err, this.#flavor);
    }
  }

  /**
   * Emit an event without letting a listener's exception escape: events are emitted from driver
   * callbacks, where a throw would leave a statement unanswered or a connection checked out.
   */
  #notify<K extends keyof DatabaseManagerEvents>(event: K, ...args: DatabaseManagerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: DatabaseManagerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.#monitor.log(
        'warn',
        { event, error: err instanceof Error ? err.message : String(err) },
        `a ${event} listener threw`,
      );
    }
  }
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A read failure that says the replica, not the statement, is the problem (safe to read elsewhere). */
function isReplicaFailure(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (code === 'E_CONNECT' || code === 'E_CONNECTION_LOST' || code === 'E_POOL_TIMEOUT') return true;
  return isWriterRefusal(err) && serverErrno(err) !== undefined;
}
