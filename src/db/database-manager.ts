/**
 * DatabaseManager: the connection manager applications import. Pooling, query monitoring,
 * transactions with deadlock retry, streaming, session context for the audit trail, flavor
 * detection and recovery after a server restart. It never prints or exits: logs go to the
 * optional logger, events to listeners, failures to typed errors.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { PoolConnection } from 'mysql2';
import type { MonitoringConfig, PoolConfig, SandboxConfig, TransactionConfig } from '../config/index.js';
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
import { type ConnectionInput, type ResolvedTarget, resolveTarget } from './connection-target.js';
import { type ContextRunner, ContextualDatabase } from './contextual-database.js';
import { Flavor } from './flavor.js';
import { ConnectionPool, closedError, type PoolStats } from './pool.js';
import type { ShapeSummary } from './query-stats.js';
import { type ExecuteResult, headerOf, rowCount, rowsOf } from './results.js';
import { backoffDelay, delay, isRetryableTransactionError, serverErrno } from './retry.js';
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
import {
  type BoundContext,
  NO_CONTEXT_VALUES,
  SET_CONTEXT_SQL,
  type SessionContext,
} from './session-context.js';
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
}

export interface DatabaseManagerOptions {
  logger?: Logger;
}

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

export interface DatabaseManagerEvents {
  slowQuery: [SlowQuery];
  retry: [{ attempt: number; errno: number | undefined; delayMs: number }];
  reconnect: [];
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
      this.#pool = undefined;
      return (pool ? pool.end() : Promise.resolve()).then(() => {
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
    return this.#target?.description ?? '(not connected)';
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
      await this.query('SELECT 1', undefined, { timeoutMs: 5000 });
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
  ): Promise<R> {
    return this.#run(ctx, sql, params, options, shapeResult);
  }

  /** @internal */
  streamWith<T>(ctx: BoundContext | null, sql: string, params?: Params): AsyncGenerator<T, void, undefined> {
    return this.#stream<T>(ctx, sql, params);
  }

  /** @internal */
  transactionWith<T>(
    ctx: BoundContext | null,
    fn: (tx: Transaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    return this.#transaction(ctx, fn, options);
  }

  async #open(): Promise<void> {
    const target = resolveTarget(
      this.#config.connection,
      this.#config.sandbox,
      this.#config.usesSandbox ?? false,
    );
    this.#target = target;
    const pool = new ConnectionPool(target.options, this.#poolSettings(), target);
    pool.onReconnect = () => {
      this.#monitor.stats.reconnects++;
      this.#notify('reconnect');
    };
    this.#pool = pool;
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

  #poolSettings() {
    return { ...DEFAULT_POOL, ...definedOnly(this.#config.pool) };
  }

  async #ready(): Promise<ConnectionPool> {
    if (this.#closed) throw closedError();
    if (!this.#pool || !this.#flavor) await this.initialize();
    return this.#pool as ConnectionPool;
  }

  async #acquire(ctx: BoundContext | null): Promise<PoolConnection> {
    const pool = this.#pool && this.#flavor && !this.#closed ? this.#pool : await this.#ready();
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

  /**
   * One statement outside a transaction. Written with callbacks rather than async/await: this is
   * the hot path, and each promise hop saved shows in bench/connection.ts.
   */
  #run<R>(
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
  ): Promise<R> {
    const pool = this.#pool;
    if (!pool || !this.#flavor || this.#closed) {
      return this.#ready().then(() => this.#run(ctx, sql, params, options, shapeResult));
    }
    const watch = this.#monitor.watch(sql);
    return new Promise<R>((resolve, reject) => {
      const attempt = (n: number) =>
        pool.acquireWith((acquireError, conn) => {
          if (!conn) {
            this.#monitor.record(watch, false, 0);
            reject(acquireError);
            return;
          }
          const send = () =>
            sendStatement(conn, this.#flavor, sql, params, options, (err, result) => {
              if (!err) {
                pool.release(conn);
                this.#monitor.record(watch, true, rowCount(result));
                resolve(shapeResult(result));
                return;
              }
              this.#giveBack(pool, conn, err).then(() => {
                if (n < 2 && mayResend(err, options)) attempt(n + 1);
                else reject(this.#monitor.failed(watch, err, this.#flavor));
              });
            });
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
            reject(this.#monitor.failed(watch, err, this.#flavor, SET_CONTEXT_SQL));
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
    const conn = await this.#acquire(ctx);
    const pool = this.#pool as ConnectionPool;
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
  ): Promise<T> {
    const maxRetries = options?.maxRetries ?? this.#tx.maxRetries;
    for (let attempt = 0; ; attempt++) {
      const conn = await this.#acquire(ctx);
      const pool = this.#pool as ConnectionPool;
      const handle = createTransactionHandle(attempt + 1, (sql, params, opts) =>
        this.#runPinned(conn, sql, params, opts),
      );
      try {
        for (const sql of beginStatements(options)) await this.#runPinned(conn, sql);
        const result = await fn(handle.tx);
        handle.finish();
        await runStatement(conn, undefined, 'COMMIT', undefined, undefined).catch((err: unknown) => {
          throw commitError(err, this.#flavor);
        });
        pool.release(conn);
        return result;
      } catch (err) {
        handle.finish();
        await this.#rollback(conn, pool, err);
        if (!isRetryableTransactionError(err)) throw err;
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
