/**
 * The shapes the seeder reports: tables it fills, progress events, the result. No behaviour here.
 */

/** The OLTP tables the seeder fills, in dependency order (parents first). */
export const SEED_TABLES = [
  'categories',
  'products',
  'customers',
  'addresses',
  'orders',
  'order_items',
  'inventory_movements',
  'payments',
] as const;

/** A table the seeder fills. */
export type SeedTable = (typeof SEED_TABLES)[number];

/**
 * A progress event. `phase`:
 * - `check`: the target was found migrated and empty (table null);
 * - `plan`: one event per table once the plan is drawn, with its `totalRows` and `rows` 0;
 * - `load`: `rows` of `table` are loaded so far;
 * - `done`: `table` is complete (`rows` = `totalRows`, exact); emitted once per table.
 *
 * `totalRows` is exact for every table except `inventory_movements` and `payments`, where it is an
 * estimate until that table's `done` event (purchases, refunds and failed attempts are decided as
 * the orders are generated).
 */
export interface SeedProgress {
  phase: 'check' | 'plan' | 'load' | 'done';
  table: SeedTable | null;
  rows: number;
  totalRows: number;
}

/** What `seed` wrote, with the options it used (defaults filled in), so a run can be reproduced. */
export interface SeedResult {
  /** The database that was filled. */
  database: string;
  /** The seed used (as text: `42` and `"42"` are the same seed). */
  seed: string;
  customers: number;
  orders: number;
  products: number;
  endDate: string;
  years: number;
  /** Rows written per table. */
  rows: Record<SeedTable, number>;
  /** Milliseconds spent in LOAD DATA statements per table (loads run in parallel, so these overlap). */
  loadMs: Record<SeedTable, number>;
  totalRows: number;
  /** Wall-clock milliseconds for the whole run: checks, generation and loading. */
  ms: number;
}
