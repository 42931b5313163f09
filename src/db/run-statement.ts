/**
 * One statement on one connection, as a promise: the single place where the driver is called, so
 * timeouts and error mapping are the same for plain calls, transactions and streams.
 */
import type { FieldPacket, PoolConnection, QueryOptions } from 'mysql2';
import { driverFields, isConnectionLost, MysqlopsError, QueryError } from '../errors.js';
import type { Flavor } from './flavor.js';

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
}

export type Params = readonly unknown[] | Record<string, unknown>;

export type StatementCallback = (err: Error | null, result?: unknown) => void;

/** Send one statement and call back with its result (callback form for the hot path). */
export function sendStatement(
  conn: PoolConnection,
  flavor: Flavor | undefined,
  sql: string,
  params: Params | undefined,
  options: StatementOptions | undefined,
  cb: StatementCallback,
): void {
  let text = sql;
  let clientTimeout: number | undefined;
  if (options?.timeoutMs !== undefined && flavor) {
    const timed = flavor.withStatementTimeout(sql, options.timeoutMs);
    text = timed.sql;
    clientTimeout = timed.clientTimeoutMs;
  }
  const done = (err: Error | null, result: unknown, _fields?: FieldPacket[]) => cb(err, result);
  const values = params as QueryOptions['values'];
  if (clientTimeout !== undefined) {
    const q: QueryOptions = { sql: text, values, timeout: clientTimeout };
    if (options?.prepare) conn.execute(q, done);
    else conn.query(q, done);
    return;
  }
  // The (sql, values, cb) form: mysql2's fastest path, the one its own pool.query() takes.
  if (options?.prepare) conn.execute(text, (values ?? []) as never, done);
  else conn.query(text, values, done);
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
  const message = (err as Error | null)?.message ?? '';
  return message.startsWith("Can't add new command when connection is in closed state");
}

/** True when the connection must not go back to the pool after this error. */
export function isFatal(err: unknown): boolean {
  return driverFields(err).fatal === true || isConnectionLost(err) || wasNeverSent(err);
}

/** Wrap a driver error in our typed error, keeping errno/sqlState and naming only the SQL shape. */
export function toQueryError(err: unknown, shape: string, flavor: Flavor | undefined): Error {
  if (err instanceof MysqlopsError) return err;
  const driver = driverFields(err);
  if (flavor?.isStatementTimeout(driver.errno) || driver.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
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
