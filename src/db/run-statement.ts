/**
 * One statement on one connection, as a promise: the single place where the driver is called, so
 * timeouts, parameter checks and error mapping are the same for plain calls, transactions and streams.
 */
import type { Readable } from 'node:stream';
import type { FieldPacket, PoolConnection, QueryOptions } from 'mysql2';
import {
  driverErrorOf,
  driverFields,
  isClientTimeout,
  isConnectionLost,
  MysqlopsError,
  QueryError,
} from '../errors.js';
import type { Flavor } from './flavor.js';

/** Per-statement options for `query()`, `execute()` and a transaction's statements; all optional and off by default. */
export interface StatementOptions {
  /**
   * Server-side time limit for this statement in ms (MariaDB: max_statement_time; MySQL:
   * MAX_EXECUTION_TIME for SELECT, a client-side limit otherwise). Default: none.
   */
  timeoutMs?: number;
  /**
   * Use a server-side prepared statement (binary protocol). Faster for statements repeated many
   * times; each distinct SQL text holds a server slot until evicted from the per-connection cache
   * (pool.maxPreparedStatements). Default: false (text protocol, values escaped by the driver).
   */
  prepare?: boolean;
  /**
   * Declare that running this statement twice does no harm, so it may be sent again on a new
   * connection when the connection is lost after it was sent (its outcome is then unknown).
   * Default: false: only statements that provably never reached the server are re-sent.
   * WARNING: a SELECT is not automatically safe: it may call a function that writes.
   * Ignored inside transactions (a lost connection there lost the whole transaction).
   */
  idempotent?: boolean;
  /**
   * With replicas configured (`connection.replicas`): `primary` sends a `query()` to the primary;
   * `replica` sends it to a replica even when mysqlops would keep it on the primary (a `WITH` query,
   * a stored function you know only reads). Default: plain SELECTs that read no session or
   * server-local state go to replicas, everything else to the primary. `execute()` always goes to
   * the primary. WARNING: `replica` on a statement that writes breaks the replica's replication.
   * Ignored without replicas and inside transactions.
   */
  route?: 'primary' | 'replica';
}

/**
 * Bind values for the `?` placeholders, in order. Named placeholders (an object) are not supported:
 * the pool does not enable mysql2's `namedPlaceholders`, and without it the driver misreads an
 * object (the text protocol expands it to `key = value` pairs). `undefined` is refused: pass `null`
 * for SQL NULL.
 */
export type Params = readonly unknown[];

export type StatementCallback = (err: Error | null, result?: unknown) => void;

/**
 * Bind values or a statement the driver refused before sending anything: a bug in the caller, so a
 * usage error (exit code 2). Mapped with the statement's shape by toQueryError().
 */
class RefusedStatement extends Error {}

/** Why `params` cannot be sent, or undefined when they can. */
function paramsProblem(params: unknown): string | undefined {
  if (!Array.isArray(params)) {
    return `bind parameters must be an array of values for the ? placeholders, got ${params === null ? 'null' : typeof params} (named placeholders are not supported)`;
  }
  for (let i = 0; i < params.length; i++) {
    if (params[i] === undefined) return `bind parameter ${i + 1} of ${params.length} is undefined`;
  }
  return undefined;
}

/**
 * Send one statement and call back with its result (callback form for the hot path). Never throws:
 * bad bind values and anything the driver throws synchronously come back through `cb`, so a caller
 * holding a pooled connection always gets the chance to return it.
 */
export function sendStatement(
  conn: PoolConnection,
  flavor: Flavor | undefined,
  sql: string,
  params: Params | undefined,
  options: StatementOptions | undefined,
  cb: StatementCallback,
): void {
  if (params !== undefined) {
    const problem = paramsProblem(params);
    if (problem !== undefined) {
      cb(new RefusedStatement(problem));
      return;
    }
  }
  let text = sql;
  let clientTimeout: number | undefined;
  if (options?.timeoutMs !== undefined && flavor) {
    const timed = flavor.withStatementTimeout(sql, options.timeoutMs);
    text = timed.sql;
    clientTimeout = timed.clientTimeoutMs;
  }
  // mysql2 may call back synchronously (a connection already closed); `called` keeps a throw from
  // our own callback from being reported as the driver's.
  let called = false;
  const done = (err: Error | null, result: unknown, _fields?: FieldPacket[]) => {
    called = true;
    cb(err, result);
  };
  const values = params as QueryOptions['values'];
  try {
    if (clientTimeout !== undefined) {
      const q: QueryOptions = { sql: text, values, timeout: clientTimeout };
      if (options?.prepare) conn.execute(q, done);
      else conn.query(q, done);
      return;
    }
    // The (sql, values, cb) form: mysql2's fastest path, the one its own pool.query() takes.
    if (options?.prepare) conn.execute(text, (values ?? []) as never, done);
    else conn.query(text, values, done);
  } catch (err) {
    if (called) throw err;
    cb(new RefusedStatement(err instanceof Error ? err.message : String(err)));
  }
}

/**
 * Start a streamed statement: its rows as a Readable (paused while the consumer is busy). Bind values
 * are checked as in sendStatement(); what the driver refuses throws before anything is sent (see
 * wasRefused()).
 */
export function openStream(conn: PoolConnection, sql: string, params: Params | undefined): Readable {
  const problem = params === undefined ? undefined : paramsProblem(params);
  if (problem !== undefined) throw new RefusedStatement(problem);
  try {
    return conn.query({ sql, values: params as QueryOptions['values'] }).stream({ highWaterMark: 256 });
  } catch (err) {
    throw new RefusedStatement(err instanceof Error ? err.message : String(err));
  }
}

/** True when the statement was refused before it was sent (bad bind values): the session is untouched. */
export function wasRefused(err: unknown): boolean {
  return err instanceof RefusedStatement;
}

/** Promise form of sendStatement(). */
export function runStatement(
  conn: PoolConnection,
  flavor: Flavor | undefined,
  sql: string,
  params: Params | undefined,
  options: StatementOptions | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) =>
    sendStatement(conn, flavor, sql, params, options, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

/** The driver said the command was refused before it was sent: re-sending cannot duplicate anything. */
export function wasNeverSent(err: unknown): boolean {
  const message = (driverErrorOf(err) as Error | null)?.message ?? '';
  return message.startsWith("Can't add new command when connection is in closed state");
}

/** True when the connection must not go back to the pool after this error (its cause chain included). */
export function isFatal(err: unknown): boolean {
  return (
    driverFields(err).fatal === true || isConnectionLost(err) || isClientTimeout(err) || wasNeverSent(err)
  );
}

/**
 * True when the statement may be sent again on another connection: it never left this process, or
 * the caller declared it idempotent and the connection (not the statement) failed. Never after a
 * timeout: the statement may still be running.
 */
export function mayResend(err: unknown, options: StatementOptions | undefined): boolean {
  if (wasNeverSent(err)) return true;
  return options?.idempotent === true && isConnectionLost(err);
}

/** Wrap a driver error in our typed error, keeping errno/sqlState and naming only the SQL shape. */
export function toQueryError(err: unknown, shape: string, flavor: Flavor | undefined): Error {
  if (err instanceof MysqlopsError) return err;
  if (err instanceof RefusedStatement) {
    return new MysqlopsError({
      code: 'E_USAGE',
      message: `statement not sent: ${err.message} (in: ${shape.slice(0, 200)})`,
      hint: 'pass one value per ? placeholder, as an array; use null for SQL NULL',
      exitCode: 2,
    });
  }
  const driver = driverFields(err);
  if (flavor?.isStatementTimeout(driver.errno) || isClientTimeout(err)) {
    return new QueryError({
      shape,
      driver,
      cause: err,
      code: 'E_QUERY_TIMEOUT',
      message: `statement exceeded its time limit (in: ${shape.slice(0, 200)})`,
      hint: 'raise timeoutMs for this call, or make the statement cheaper (EXPLAIN it)',
    });
  }
  if (isConnectionLost(err) || wasNeverSent(err)) {
    return new QueryError({
      shape,
      driver,
      cause: err,
      code: 'E_CONNECTION_LOST',
      message: `connection to the server was lost during a statement (in: ${shape.slice(0, 200)})`,
      hint: 'the statement may or may not have been applied; check before repeating a write',
    });
  }
  return new QueryError({ shape, driver, cause: err });
}
