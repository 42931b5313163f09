/**
 * A view of a DatabaseManager whose statements carry a session context (application user, request
 * id) for the audit trail. It owns nothing but its write fence (what it wrote, so that with
 * replicas its own reads see its own writes): every call goes to the manager with the bound context.
 */
import { WriteFence } from './gtid.js';
import type { ExecuteResult } from './results.js';
import { headerOf, rowsOf } from './results.js';
import type { Params, StatementOptions } from './run-statement.js';
import type { Session } from './session.js';
import { type BoundContext, bindContext, type SessionContext } from './session-context.js';
import type { Transaction, TransactionOptions } from './transaction.js';

/** What a context view needs from the manager (DatabaseManager implements it). */
export interface ContextRunner {
  run<R>(
    ctx: BoundContext | null,
    sql: string,
    params: Params | undefined,
    options: StatementOptions | undefined,
    shapeResult: (result: unknown) => R,
    fence?: WriteFence,
  ): Promise<R>;
  streamWith<T>(ctx: BoundContext | null, sql: string, params?: Params): AsyncGenerator<T, void, undefined>;
  sessionWith<T>(
    ctx: BoundContext | null,
    fn: (session: Session) => Promise<T>,
    fence?: WriteFence,
  ): Promise<T>;
  transactionWith<T>(
    ctx: BoundContext | null,
    fn: (tx: Transaction) => Promise<T>,
    options?: TransactionOptions,
    fence?: WriteFence,
  ): Promise<T>;
}

/** A DatabaseManager view whose statements carry a session context; see DatabaseManager.withContext. */
export class ContextualDatabase {
  readonly #db: ContextRunner;
  readonly #ctx: SessionContext;
  readonly #bound: BoundContext | null;
  readonly #fence = new WriteFence();

  constructor(db: ContextRunner, ctx: SessionContext) {
    this.#db = db;
    this.#ctx = Object.freeze({ ...ctx });
    this.#bound = bindContext(this.#ctx);
  }

  get context(): SessionContext {
    return this.#ctx;
  }

  query<T = Record<string, unknown>>(sql: string, params?: Params, options?: StatementOptions): Promise<T[]> {
    return this.#db.run(this.#bound, sql, params, options, rowsOf<T>, this.#fence);
  }

  execute(sql: string, params?: Params, options?: StatementOptions): Promise<ExecuteResult> {
    return this.#db.run(this.#bound, sql, params, options, headerOf, this.#fence);
  }

  stream<T = Record<string, unknown>>(sql: string, params?: Params): AsyncGenerator<T, void, undefined> {
    return this.#db.streamWith<T>(this.#bound, sql, params);
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.#db.transactionWith(this.#bound, fn, options, this.#fence);
  }

  /** DatabaseManager.session with this view's context. */
  session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.#db.sessionWith(this.#bound, fn, this.#fence);
  }
}
