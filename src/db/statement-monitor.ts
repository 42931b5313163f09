/**
 * Statement monitoring, one path for plain statements, streams and transactions: the shape and start
 * time of each statement, its outcome in QueryStats, slow-query reports, and errors named by shape.
 * Reporting is guarded: a logger or listener that throws cannot break the statement that triggered it.
 */
import { performance } from 'node:perf_hooks';
import type { Flavor } from './flavor.js';
import { QueryStats } from './query-stats.js';
import { toQueryError } from './run-statement.js';
import { sqlShape } from './sql-shape.js';

/** A pino-compatible logger; only `warn` is required. */
export interface Logger {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** What a slow statement reports: its shape (never values), how long it took, rows returned or changed. */
export interface SlowQuery {
  shape: string;
  durationMs: number;
  rows: number;
}

/** A statement being watched (see StatementMonitor.watch). */
export interface StatementWatch {
  readonly sql: string;
  /** The SQL shape; '' when monitoring is off (computed only when an error needs it). */
  readonly shape: string;
  readonly started: number;
}

export class StatementMonitor {
  readonly stats = new QueryStats();
  readonly #enabled: boolean;
  readonly #slowQueryMs: number;
  readonly #logger: Logger | undefined;
  readonly #onSlow: (event: SlowQuery) => void;

  constructor(options: {
    enabled: boolean;
    slowQueryMs: number;
    logger: Logger | undefined;
    onSlow: (event: SlowQuery) => void;
  }) {
    this.#enabled = options.enabled;
    this.#slowQueryMs = options.slowQueryMs;
    this.#logger = options.logger;
    this.#onSlow = options.onSlow;
  }

  /** Start watching a statement. */
  watch(sql: string): StatementWatch {
    return { sql, shape: this.#enabled ? sqlShape(sql) : '', started: performance.now() };
  }

  /** Record how the statement ended; reports it when it was slow. */
  record(watch: StatementWatch, ok: boolean, rows: number): void {
    if (!this.#enabled) return;
    const seconds = (performance.now() - watch.started) / 1000;
    this.stats.record(watch.shape, seconds, ok, rows);
    const ms = seconds * 1000;
    if (ms >= this.#slowQueryMs) {
      this.stats.slowQueries++;
      const event = { shape: watch.shape, durationMs: Math.round(ms * 100) / 100, rows };
      this.log('warn', event, 'slow query');
      this.#onSlow(event);
    }
  }

  /** Record a failure and return the typed error for the caller, named by the shape of `failedSql`. */
  failed(
    watch: StatementWatch,
    err: unknown,
    flavor: Flavor | undefined,
    failedSql = watch.sql,
    rows = 0,
  ): Error {
    this.record(watch, false, rows);
    const shape = failedSql === watch.sql && watch.shape ? watch.shape : sqlShape(failedSql);
    return toQueryError(err, shape, flavor);
  }

  /** Log through the optional logger; a logger that throws is ignored (nothing is left to tell). */
  log(level: 'warn' | 'debug', obj: object, msg: string): void {
    try {
      this.#logger?.[level]?.(obj, msg);
    } catch {
      // See above.
    }
  }
}
