/**
 * The transaction handle and the statements around it. The retry loop lives in DatabaseManager
 * (it needs the pool); what a callback sees and what COMMIT failures mean lives here.
 */
import { MysqlopsError } from '../errors.js';
import type { Flavor } from './flavor.js';
import { type ExecuteResult, headerOf, rowsOf } from './results.js';
import { type Params, type StatementOptions, toQueryError } from './run-statement.js';
import { sqlShape } from './sql-shape.js';

/**
 * How `db.transaction()` opens and retries a transaction. `isolationLevel` defaults to the server's
 * (usually REPEATABLE READ); `readOnly` starts it READ ONLY. The callback may run more than once, so
 * it must not have side effects outside the database.
 */
export interface TransactionOptions {
  isolationLevel?: 'READ UNCOMMITTED' | 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
  readOnly?: boolean;
  /** Re-runs after a deadlock/lock wait timeout. Default: transactions.maxRetries (5). */
  maxRetries?: number;
}

/**
 * The handle a transaction callback receives. Callable as `tx(sql, params)` (the blueprint's
 * `query` function) and with methods. Statements run on one pinned connection.
 */
export interface Transaction {
  <T = Record<string, unknown>>(sql: string, params?: Params, options?: StatementOptions): Promise<T[]>;
  query<T = Record<string, unknown>>(sql: string, params?: Params, options?: StatementOptions): Promise<T[]>;
  execute(sql: string, params?: Params, options?: StatementOptions): Promise<ExecuteResult>;
  /** 1 for the first try, 2 after one retry, ... so a callback can tell it is being re-run. */
  readonly attempt: number;
}

/** The statements that open a transaction with these options. */
export function beginStatements(options: TransactionOptions | undefined): string[] {
  const begin = options?.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION';
  return options?.isolationLevel
    ? [`SET TRANSACTION ISOLATION LEVEL ${options.isolationLevel}`, begin]
    : [begin];
}

/**
 * The handle for one attempt. `run` executes on the attempt's pinned connection; `finish()` makes
 * every later call fail, which catches statements a callback forgot to await.
 */
export function createTransactionHandle(
  attempt: number,
  run: (sql: string, params?: Params, options?: StatementOptions) => Promise<unknown>,
): { tx: Transaction; finish: () => void } {
  let open = true;
  const guarded = (sql: string, params?: Params, options?: StatementOptions) => {
    if (!open) {
      return Promise.reject(
        new MysqlopsError({
          code: 'E_QUERY',
          message: `statement issued on a finished transaction (in: ${sqlShape(sql).slice(0, 120)})`,
          hint: 'await every statement inside the transaction callback',
        }),
      );
    }
    return run(sql, params, options);
  };
  const query = <T>(sql: string, params?: Params, options?: StatementOptions) =>
    guarded(sql, params, options).then(rowsOf<T>);
  const tx = Object.assign(query, {
    query,
    execute: (sql: string, params?: Params, options?: StatementOptions) =>
      guarded(sql, params, options).then(headerOf),
    attempt,
  }) as Transaction;
  return {
    tx,
    finish: () => {
      open = false;
    },
  };
}

/** A failed COMMIT; a lost connection there leaves the outcome unknown, and says so. */
export function commitError(err: unknown, flavor: Flavor | undefined): Error {
  const mapped = toQueryError(err, 'COMMIT', flavor);
  if ((mapped as MysqlopsError).code === 'E_CONNECTION_LOST') {
    return new MysqlopsError({
      code: 'E_CONNECTION_LOST',
      message: 'connection lost during COMMIT: the transaction may or may not have been committed',
      hint: 'check whether its changes are present before running it again',
      cause: err,
    });
  }
  return mapped;
}
