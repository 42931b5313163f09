/**
 * The handle `db.session()` hands its callback: statements and transactions on one connection the
 * callback holds, so what a session creates (temporary tables, session variables, named locks)
 * lasts from one statement or transaction to the next. The manager owns the connection; this
 * module only guards the handle's use.
 */
import { MysqlopsError } from '../errors.js';
import { type ExecuteResult, headerOf, rowsOf } from './results.js';
import type { Params, StatementOptions } from './run-statement.js';
import { sqlShape } from './sql-shape.js';
import type { Transaction, TransactionOptions } from './transaction.js';

/**
 * One connection held for a `db.session()` callback. Statements and transactions run one at a time
 * on it; while a transaction is open, statements go through its handle, not the session's.
 */
export interface Session {
  query<T = Record<string, unknown>>(sql: string, params?: Params, options?: StatementOptions): Promise<T[]>;
  execute(sql: string, params?: Params, options?: StatementOptions): Promise<ExecuteResult>;
  /**
   * Like `db.transaction()` (deadlock and lock wait timeout retries, COMMIT or ROLLBACK), on the
   * session's connection.
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** What the manager provides for one session's connection. */
export interface PinnedRunner {
  run(sql: string, params?: Params, options?: StatementOptions): Promise<unknown>;
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/**
 * The session handle over `runner`. `finish()` makes every later call fail; `broken(cause)` too,
 * with E_CONNECTION_LOST (the connection's state is unknown), and returns that error.
 */
export function createSessionHandle(runner: PinnedRunner): {
  session: Session;
  finish: () => void;
  broken: (cause: unknown) => MysqlopsError;
} {
  let open = true;
  let inTransaction = false;
  let lost: MysqlopsError | undefined;
  const refuse = (sql: string | undefined, why: string, hint: string) =>
    Promise.reject(
      new MysqlopsError({
        code: 'E_QUERY',
        message: sql === undefined ? why : `${why} (in: ${sqlShape(sql).slice(0, 120)})`,
        hint,
      }),
    );
  const check = (sql: string | undefined): Promise<never> | undefined => {
    if (lost) return Promise.reject(lost);
    if (!open)
      return refuse(
        sql,
        'statement issued on a finished session',
        'await every statement inside the session callback',
      );
    if (inTransaction) {
      return refuse(
        sql,
        'statement issued on a session while one of its transactions is open',
        "run it through the transaction's handle, or after the transaction",
      );
    }
    return undefined;
  };
  const run = (sql: string, params?: Params, options?: StatementOptions) =>
    check(sql) ?? runner.run(sql, params, options);
  const session: Session = {
    query: <T>(sql: string, params?: Params, options?: StatementOptions) =>
      run(sql, params, options).then(rowsOf<T>),
    execute: (sql: string, params?: Params, options?: StatementOptions) =>
      run(sql, params, options).then(headerOf),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions) => {
      const refused = check(undefined);
      if (refused) return refused;
      inTransaction = true;
      return runner.transaction(fn, options).finally(() => {
        inTransaction = false;
      });
    },
  };
  return {
    session,
    finish: () => {
      open = false;
    },
    broken: (cause) => {
      lost ??= new MysqlopsError({
        code: 'E_CONNECTION_LOST',
        message: `the session's connection failed while a transaction was open, and the transaction could not be rolled back: ${cause instanceof Error ? cause.message : String(cause)}`,
        hint: 'the session cannot continue: start a new one (the server rolls the transaction back when the connection closes)',
        cause,
      });
      return lost;
    },
  };
}
