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
import { ConnectError, MysqlopsError, PoolTimeoutError } from '../errors.js';
import { type ConnectTarget, connectErrorFor, unreachableHint } from './connect-error.js';

export interface PoolSettings {
  size: number;
  acquireTimeoutMs: number;
  idleCheckMs: number;
  maxPreparedStatements: number;
}

/** A snapshot of the connection pool, for `db.poolStats()`, health reports and metrics. A `waiting` above 0 means the pool is too small or connections are held too long. */
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

// mysql2 keeps these on the pool object; guarded use, for stats and for dropping half-open
// connections at close.
interface PoolInternals {
  _allConnections?: { length: number; toArray?: () => Array<PoolConnection & { authorized?: boolean }> };
  _freeConnections?: { length: number };
}

/** How long a KILL QUERY on a side connection may take before we give up on it. */
const KILL_TIMEOUT_MS = 5000;

export class ConnectionPool {
  readonly #pool: Pool;
  /** Connection options without the pool's own, for side connections (KILL QUERY). */
  readonly #options: PoolOptions;
  readonly #settings: PoolSettings;
  readonly #target: string;
  readonly #lastUsed = new WeakMap<PoolConnection, number>();
  readonly #pending = new Set<PendingAcquire>();
  #sweeper: NodeJS.Timeout | undefined;
  #inUse = 0;
  /** Set by close(): no new checkouts, waiting ones failed. */
  #closing = false;
  #ended: Promise<void> | undefined;
  /** Called once when the last checked-out connection comes back (see drained()). */
  #onDrained: (() => void) | undefined;
  /** Called when a dead idle connection was found and dropped on checkout. */
  onReconnect: (() => void) | undefined;

  readonly #unreachableHint: string | undefined;
  readonly #connectTarget: ConnectTarget;

  /** `target` names the server for messages; `sandbox` is set when it is the local sandbox. */
  constructor(
    options: PoolOptions,
    settings: PoolSettings,
    target: { description: string; sandbox?: string },
  ) {
    this.#options = options;
    this.#settings = settings;
    this.#target = target.description;
    this.#connectTarget = target;
    this.#unreachableHint = unreachableHint(target);
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
  acquireWith(cb: (err: Error | null, conn?: PoolConnection) => void): void {
    this.#acquire(cb, Date.now() + this.#settings.acquireTimeoutMs, 0);
  }

  #acquire(cb: (err: Error | null, conn?: PoolConnection) => void, deadline: number, attempt: number): void {
    this.#checkout(deadline, (err, conn) => {
      if (!conn) {
        cb(err);
        return;
      }
      const last = this.#lastUsed.get(conn);
      if (last === undefined || Date.now() - last < this.#settings.idleCheckMs) {
        cb(null, conn);
        return;
      }
      this.#ping(conn, deadline, (pingErr) => {
        if (!pingErr) {
          cb(null, conn);
          return;
        }
        this.destroy(conn);
        this.#reconnected();
        // Bounded so that a server that is down fails fast instead of looping through the pool.
        if (attempt >= this.#settings.size || Date.now() >= deadline) {
          cb(pingErr);
          return;
        }
        this.#acquire(cb, deadline, attempt + 1);
      });
    });
  }

  /**
   * Ping a connection that sat idle (a server restart, a proxy or wait_timeout may have closed it
   * under us), racing the caller's acquire deadline: a peer that stopped answering without closing
   * anything would otherwise hold the caller until TCP gives up, minutes later.
   */
  #ping(conn: PoolConnection, deadline: number, cb: (err: Error | null) => void): void {
    let settled = false;
    const waitMs = Math.max(0, deadline - Date.now());
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      cb(
        new ConnectError({
          target: this.#target,
          cause: undefined,
          detail: `a pooled connection did not answer a ping within ${waitMs} ms (it was dropped)`,
          hint: this.#unreachableHint,
        }),
      );
    }, waitMs);
    conn.ping((pingErr) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cb(pingErr ? this.mapConnectError(pingErr) : null);
    });
  }

  #reconnected(): void {
    try {
      this.onReconnect?.();
    } catch {
      // A listener's bug must not break the checkout.
    }
  }

  /** Return a healthy connection to the pool. */
  release(conn: PoolConnection): void {
    this.#lastUsed.set(conn, Date.now());
    conn.release();
    if (--this.#inUse === 0 && this.#onDrained) this.#onDrained();
  }

  /**
   * Drop a connection whose session is broken or in an unknown state. The socket is closed in both
   * directions: ending only our side would leave the server sending the rest of a result into it.
   */
  destroy(conn: PoolConnection): void {
    conn.destroy();
    (conn as { stream?: { destroy?: () => void } }).stream?.destroy?.();
    if (--this.#inUse === 0 && this.#onDrained) this.#onDrained();
  }

  /**
   * Stop the statement running on server thread `threadId` with KILL QUERY from a side connection
   * (not from the pool: it may be full, or be the one holding the thread). Best effort and bounded:
   * resolves false when the kill could not be delivered within a few seconds.
   */
  killQuery(threadId: number | undefined): Promise<boolean> {
    if (!Number.isInteger(threadId) || (threadId as number) <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const side = mysql.createConnection({
        ...this.#options,
        database: undefined,
        connectTimeout: Math.min(this.#options.connectTimeout ?? KILL_TIMEOUT_MS, KILL_TIMEOUT_MS),
      });
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        side.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), KILL_TIMEOUT_MS);
      side.on('error', () => finish(false));
      side.query(`KILL QUERY ${threadId}`, (err) => finish(!err));
    });
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

  /** Refuse new checkouts and fail every caller still waiting for one with E_POOL_CLOSED. */
  stopAccepting(): void {
    this.#closing = true;
    for (const p of this.#pending) {
      p.settled = true;
      p.reject(closedError());
    }
    this.#pending.clear();
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Resolves when no connection is checked out any more, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.#inUse <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#onDrained = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#onDrained = done;
    });
  }

  /**
   * Close every connection (waiting callers fail first). Connections still in their handshake are
   * dropped rather than waited for: against a server that does not answer, a graceful end would
   * wait out the whole connect timeout. Idempotent: later calls share the first.
   */
  end(): Promise<void> {
    this.stopAccepting();
    if (!this.#ended) {
      const all = (this.#pool as unknown as PoolInternals)._allConnections?.toArray?.() ?? [];
      for (const conn of all) {
        if (conn.authorized === false) {
          conn.destroy();
          (conn as { stream?: { destroy?: () => void } }).stream?.destroy?.();
        }
      }
      this.#ended = new Promise<void>((resolve) => this.#pool.end(() => resolve()));
    }
    return this.#ended;
  }

  /** Map a connect-time driver error to ConnectError with the target named. */
  mapConnectError(err: unknown): Error {
    return connectErrorFor(err, this.#connectTarget);
  }

  #checkout(deadline: number, cb: (err: Error | null, conn?: PoolConnection) => void): void {
    if (this.#closing) {
      cb(closedError());
      return;
    }
    const pending: PendingAcquire = { deadline, settled: false, reject: cb };
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

  /**
   * Why a caller's wait ran out. Only when every connection is checked out is it the pool's
   * (E_POOL_TIMEOUT, with the figures of this moment); otherwise the caller was waiting for a new
   * connection to the server, and that is a connect problem.
   */
  #waitExpired(): Error {
    const ms = this.#settings.acquireTimeoutMs;
    if (this.#inUse >= this.#settings.size) {
      return new PoolTimeoutError(ms, {
        inUse: this.#inUse,
        limit: this.#settings.size,
        waiting: this.#pending.size,
      });
    }
    return new ConnectError({
      target: this.#target,
      cause: undefined,
      detail: `no connection within ${ms} ms (the server accepts slowly or not at all)`,
      hint: this.#unreachableHint,
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
        const err = this.#waitExpired();
        p.settled = true;
        this.#pending.delete(p);
        p.reject(err);
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
