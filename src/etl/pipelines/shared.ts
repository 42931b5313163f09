/**
 * What every pipeline definition provides, and the small SQL helpers they share. Table names are
 * placeholders (`{report}`, `{batch}`...) filled with quoted names, so the same statements build
 * the live report, a shadow table (`--full`) or a temporary table (`etl verify`).
 */
import { type ContextualDatabase, quoteId } from '../../db/index.js';
import type { PipelineName, SqlRunner } from '../types.js';

/** The tables a statement works on; every value is an unquoted, valid identifier. */
export interface Targets {
  /** The report table to fill (live, shadow or temporary). */
  report: string;
  /** etl_product_monthly or a temporary copy. */
  monthly: string;
  /** etl_customer_monthly or a temporary copy. */
  customerMonthly: string;
  /** etl_customer_cohort or a temporary copy. */
  cohort: string;
  /** The temporary table holding the batch's pending keys (k1, k2). */
  batch: string;
}

export const LIVE_TARGETS = (report: string): Targets => ({
  report,
  monthly: 'etl_product_monthly',
  customerMonthly: 'etl_customer_monthly',
  cohort: 'etl_customer_cohort',
  batch: 'etl_batch',
});

export interface PipelineDef {
  name: PipelineName;
  /** Columns of the report's primary key. */
  keyColumns: readonly string[];
  /** Helper tables the full build refills (emptied by the caller first). */
  helpers: ReadonlyArray<'monthly' | 'customerMonthly' | 'cohort'>;
  /** Fill the empty `t.report` (and helpers) from scratch; returns rows written to the report. */
  build(sql: SqlRunner, t: Targets): Promise<number>;
  /** Recompute the keys in `t.batch`, inside the batch's transaction; returns rows written. */
  batch(sql: SqlRunner, t: Targets): Promise<number>;
  /**
   * Batches of disjoint k1 sets touch disjoint rows (report, helpers, source lookups), so an
   * incremental run may work through the keys with several connections at once.
   */
  partitioned?: boolean;
  /** Before incremental batches (in its own transaction): queue keys that time alone changed. */
  prepare?(sql: SqlRunner): Promise<void>;
  /** After the batches of an incremental run: whole-report touches (ranks). */
  finish?(sql: SqlRunner, t: Targets): Promise<void>;
  /**
   * After a full build was swapped in (live tables only): work outside the report (segments), in
   * transactions of its own (DatabaseManager retries their deadlocks and lock wait timeouts).
   */
  afterSwap?(db: ContextualDatabase): Promise<void>;
}

/** `template` with each `{name}` replaced by the quoted table name. */
export function fill(template: string, t: Targets, extra: Record<string, string> = {}): string {
  const names: Record<string, string> = { ...t, ...extra };
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const name = names[key];
    return name === undefined ? whole : quoteId(name);
  });
}

/**
 * An empty in-memory temporary table `{name}` with the columns of `{like}` and only the primary
 * key `key`: a batch's few thousand rows are cheaper to write there than into an InnoDB copy that
 * maintains the source's secondary indexes.
 */
export const memoryCopy = (name: string, like: string, key: string) =>
  `CREATE TEMPORARY TABLE {${name}} (PRIMARY KEY (${key})) ENGINE = MEMORY SELECT * FROM {${like}} LIMIT 0`;

/** Orders whose money counts: neither cancelled nor returned (as in the analytics views). */
export const KEPT = "o.status NOT IN ('cancelled', 'returned')";

/** The first day of the month of a DATETIME expression. */
export const monthOf = (expr: string) => `CAST(DATE_FORMAT(${expr}, '%Y-%m-01') AS DATE)`;

/** Run statements in order, summing affected rows of the ones marked `count`. */
export async function runAll(
  sql: SqlRunner,
  statements: ReadonlyArray<{ text: string; count?: boolean; params?: unknown[] }>,
): Promise<number> {
  let written = 0;
  for (const s of statements) {
    const r = await sql.execute(s.text, s.params as never);
    if (s.count) written += r.affectedRows;
  }
  return written;
}
