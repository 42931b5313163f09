/**
 * The connection pool: mysql2's pool plus what it lacks for production use.
 * - A bounded wait for a free connection (mysql2 waits forever by default).
 * - A health check on checkout after idle, so connections killed by a server restart, a proxy or
 *   wait_timeout are replaced instead of failing the caller's statement.
 * - Every new session gets the UTC time zone that matches the driver's date conversion.
 * - Stats for health() and metrics.
 */

import type { Pool, PoolConnection, PoolOptions } from 'mysql2';
import mysql from 'mysql2';
import { ConnectError, driverFields, MysqlopsError, PoolTimeoutError } from '../errors.js';

export interface PoolSettings {
  size: number;
  acquireTimeoutMs: number;
  idleCheckMs: number;
  maxPreparedStatements: number;
}

export interface PoolStats {
  /** Connections open (in use + idle). */
  size: number;
  inUse: number;
  idle: number;
  /** Callers waiting for a free connection. */
  waiting: number;
  /** The configured maximum. */
  limit: number;
}

interface PendingAcquire {
  deadline: number;
  settled: boolean;
  reject: (err: Error) => void;
}

// mysql2 keeps these on the pool object; read-only use, guarded, for stats only.
interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
}

const ACCESS_DENIED = 1045;
const BAD_DATABASE = 1049;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

export class ConnectionPool {
  readonly #pool: Pool;
  readonly #settings: PoolSettings;
  readonly #target: string;
  readonly #lastUsed = new WeakMap<PoolConnection, number>();
  readonly #pending = new Set<PendingAcquire>();
  #sweeper: NodeJS.Timeout | undefined;
  #inUse = 0;
  #closed = false;
  /** Called when a dead idle connection was found and dropped on checkout. */
  onReconnect: (() => void) | undefined;

  readonly #unreachableHint: string | undefined;

  /** `target` names the server for messages; `sandbox` is set when it is the local sandbox. */
  constructor(
    options: PoolOptions,
    settings: PoolSettings,
    target: { description: string; sandbox?: string },
  ) {
    this.#settings = settings;
    this.#target = target.description;
    if (target.sandbox !== undefined) {
      const flag = target.sandbox === 'default' ? '' : ` --name ${target.sandbox}`;
      this.#unreachableHint = `start it with \`mysqlops sandbox start${flag}\` (\`mysqlops sandbox status${flag}\` tells why it stopped)`;
    }
    this.#pool = mysql.createPool({
      ...options,
      connectionLimit: settings.size,
      maxIdle: settings.size,
      waitForConnections: true,
      queueLimit: 0,
      maxPreparedStatements: settings.maxPreparedStatements,
    });
    this.#pool.on('connection', (conn) => {
      // Queued ahead of any caller statement on this new session.
      conn.query("SET time_zone = '+00:00'", () => undefined);
    });
  }

  /** Check out a connection, waiting at most acquireTimeoutMs; pings it first if it sat idle. */
  acquire(): Promise<PoolConnection> {
    return new Promise((resolve, reject) =>
      this.acquireWith((err, conn) => (conn ? resolve(conn) : reject(err))),
    );
  }

  /**
   * Callback form of acquire(), for the statement hot path: it saves two promise hops per call,
   * which is measurable against a raw mysql2 pool (bench/connection.ts).
   */
  acquireWith(cb: (err: Error | null, conn?: PoolConnection) => void, attempt = 0): void {
    this.#checkout((err, conn) => {
      if (!conn) {
        cb(err);
        return;
      }
      const last = this.#lastUsed.get(conn);
      if (last === undefined || Date.now() - last < this.#settings.idleCheckMs) {
        cb(null, conn);
        return;
      }
      // Sat idle: a server restart, a proxy or wait_timeout may have closed it under us.
      conn.ping((pingErr) => {
        if (!pingErr) {
          cb(null, conn);
          return;
        }
        this.destroy(conn);
        this.onReconnect?.();
        // Bounded so that a server that is down fails fast instead of looping through the pool.
        if (attempt >= this.#settings.size) {
          cb(this.mapConnectError(pingErr));
          return;
        }
        this.acquireWith(cb, attempt + 1);
      });
    });
  }

  /** Return a healthy connection to the pool. */
  release(conn: PoolConnection): void {
    this.#inUse--;
    this.#lastUsed.set(conn, Date.now());
    conn.release();
  }

  /** Drop a connection whose session is broken or in an unknown state. */
  destroy(conn: PoolConnection): void {
    this.#inUse--;
    conn.destroy();
  }

  stats(): PoolStats {
    const internals = this.#pool as unknown as PoolInternals;
    const size = internals._allConnections?.length ?? this.#inUse;
    const idle = internals._freeConnections?.length ?? 0;
    return { size, inUse: this.#inUse, idle, waiting: this.#pending.size, limit: this.#settings.size };
  }

  get inUse(): number {
    return this.#inUse;
  }

  async end(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending) {
      p.settled = true;
      p.reject(closedError());
    }
    this.#pending.clear();
    if (this.#sweeper) clearInterval(this.#sweeper);
    await new Promise<void>((resolve) => this.#pool.end(() => resolve()));
  }

  /** Map a connect-time driver error to ConnectError with the target named. */
  mapConnectError(err: unknown): Error {
    if (err instanceof MysqlopsError) return err;
    const d = driverFields(err);
    if (d.errno === ACCESS_DENIED) {
      return new ConnectError({ target: this.#target, cause: err, auth: true, detail: d.sqlMessage });
    }
    if (d.errno === BAD_DATABASE) {
      return new MysqlopsError({
        code: 'E_CONNECT',
        message: `connected to ${this.#target}, but ${d.sqlMessage ?? 'the database does not exist'}`,
        hint: 'create it (`mysqlops migrate up` does) or set DB_NAME to an existing database',
        cause: err,
      });
    }
    if (d.code && UNREACHABLE_CODES.has(d.code)) {
      return new ConnectError({
        target: this.#target,
        cause: err,
        detail: describeNetworkCode(d.code),
        hint: this.#unreachableHint,
      });
    }
    return new ConnectError({
      target: this.#target,
      cause: err,
      detail: d.sqlMessage ?? (err as Error).message,
    });
  }

  #checkout(cb: (err: Error | null, conn?: PoolConnection) => void): void {
    if (this.#closed) {
      cb(closedError());
      return;
    }
    const pending: PendingAcquire = {
      deadline: Date.now() + this.#settings.acquireTimeoutMs,
      settled: false,
      reject: cb,
    };
    this.#pending.add(pending);
    this.#ensureSweeper();
    this.#pool.getConnection((err, conn) => {
      this.#pending.delete(pending);
      if (pending.settled) {
        // The caller gave up waiting; hand the late connection straight back.
        if (conn) conn.release();
        return;
      }
      pending.settled = true;
      if (err) {
        cb(this.mapConnectError(err));
        return;
      }
      this.#inUse++;
      cb(null, conn);
    });
  }

  // One coarse timer for all waiting callers instead of a timer per checkout: checkouts are on
  // the hot path, and a deadline precise to a fraction of the timeout is enough.
  #ensureSweeper(): void {
    if (this.#sweeper) return;
    const tick = Math.max(10, Math.min(250, Math.floor(this.#settings.acquireTimeoutMs / 4)));
    this.#sweeper = setInterval(() => {
      const now = Date.now();
      for (const p of this.#pending) {
        if (now < p.deadline) continue;
        p.settled = true;
        this.#pending.delete(p);
        p.reject(new PoolTimeoutError(this.#settings.acquireTimeoutMs, this.#settings.size));
      }
      if (this.#pending.size === 0 && this.#sweeper) {
        clearInterval(this.#sweeper);
        this.#sweeper = undefined;
      }
    }, tick);
    this.#sweeper.unref();
  }
}

/** The error every call gets after close(). */
export function closedError(): MysqlopsError {
  return new MysqlopsError({
    code: 'E_POOL_CLOSED',
    message: 'the DatabaseManager was closed',
    hint: 'create a new DatabaseManager, or stop issuing statements after close()',
  });
}

function describeNetworkCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running on that port?)';
    case 'ENOENT':
      return 'socket file not found (is the server running?)';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    default:
      return code;
  }
}
