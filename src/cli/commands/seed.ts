/**
 * `mysqlops seed`: fill an empty, migrated database with deterministic sample data. Parses the
 * flags, shows a progress bar, prints rows per table (or one JSON document).
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  resolveSeedOptions,
  SEED_DEFAULTS,
  SEED_LIMITS,
  SEED_TABLES,
  type SeedOptions,
  type SeedProgress,
  type SeedResult,
  type SeedTable,
  seed,
} from '../../seed/index.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { type ProgressBar, progressBar } from '../progress.js';

interface SeedFlags {
  customers?: string;
  orders?: string;
  products?: string;
  seed?: string;
  endDate?: string;
  years?: string;
}

export interface SeedReport {
  ok: true;
  database: string;
  seed: string;
  customers: number;
  orders: number;
  products: number;
  endDate: string;
  years: number;
  tables: Array<{ table: SeedTable; rows: number; loadSeconds: number }>;
  totalRows: number;
  seconds: number;
  rowsPerSecond: number;
}

const n = (x: number) => x.toLocaleString('en-US');

export function registerSeed(program: Command, context: () => CliContext): void {
  program
    .command('seed')
    .description(
      'fill an empty, migrated database with realistic sample data: catalogue, customers, orders, payments, stock',
    )
    .option('--customers <n>', `customers to create (default ${n(SEED_DEFAULTS.customers)})`)
    .option('--orders <n>', `orders across all customers (default ${n(SEED_DEFAULTS.orders)})`)
    .option('--products <n>', `products in the catalogue (default ${n(SEED_DEFAULTS.products)})`)
    .option('--seed <s>', `same seed + same sizes = byte-identical data (default ${SEED_DEFAULTS.seed})`)
    .option('--end-date <YYYY-MM-DD>', `last day of the history, UTC (default ${SEED_DEFAULTS.endDate})`)
    .option('--years <n>', `years of history up to the end date (default ${SEED_DEFAULTS.years})`)
    .addHelpText(
      'after',
      `
Seeds the database named by DB_NAME, which must be migrated (mysqlops migrate up) and empty:
the command refuses to add rows to tables that already hold data. Orders average 3.3 items;
10,000 customers / 30,000 orders load about 310,000 rows. Limits: customers ${n(SEED_LIMITS.customers.max)},
orders ${n(SEED_LIMITS.orders.max)}, products ${n(SEED_LIMITS.products.min)}-${n(SEED_LIMITS.products.max)}, years ${SEED_LIMITS.years.min}-${SEED_LIMITS.years.max}.

Examples:
  mysqlops seed                                   ${n(SEED_DEFAULTS.customers)} customers, ${n(SEED_DEFAULTS.orders)} orders
  mysqlops seed --customers 100000 --orders 300000 --seed 7
  mysqlops seed --end-date 2024-06-30 --years 2 --json`,
    )
    .action(async (flags: SeedFlags) => {
      const ctx = context();
      const options: SeedOptions = {
        customers: integerFlag('--customers', flags.customers),
        orders: integerFlag('--orders', flags.orders),
        products: integerFlag('--products', flags.products),
        years: integerFlag('--years', flags.years),
        seed: flags.seed,
        endDate: flags.endDate,
      };
      resolveSeedOptions(options); // bad flags are usage errors before the configuration is read
      const bar = progressBar(ctx.out, 'seeding');
      // First Ctrl-C: stop and remove the rows loaded so far; a second one exits at once.
      const interrupt = new AbortController();
      const onSigint = () => {
        bar.log(
          'interrupted: stopping the loads and removing the rows loaded so far (Ctrl-C again to quit now)',
        );
        interrupt.abort();
      };
      process.once('SIGINT', onSigint);
      let result: SeedResult;
      try {
        result = await seed(ctx.config, {
          ...options,
          onProgress: seedProgressOn(bar, true),
          signal: interrupt.signal,
        });
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
      bar.finish(); // only on success: a failure is reported by its one error line
      const report = toReport(result);
      ctx.out.result(report, () => renderSeed(report));
    });
}

/** Draws seed() progress on `bar`: rows loaded over all tables; `perTable` logs each finished table. */
export function seedProgressOn(bar: ProgressBar, perTable = false): (e: SeedProgress) => void {
  const loaded = new Map<SeedTable, { rows: number; total: number }>();
  return (e) => {
    if (e.table === null) return;
    loaded.set(e.table, { rows: e.rows, total: e.totalRows });
    let rows = 0;
    let total = 0;
    for (const v of loaded.values()) {
      rows += v.rows;
      total += v.total;
    }
    if (perTable && e.phase === 'done') bar.log(`  ${e.table}: ${n(e.rows)} rows`);
    bar.update(rows, Math.max(total, rows), e.phase === 'load' ? e.table : '');
  };
}

/** A non-negative whole number from a flag, or undefined when the flag is absent. */
function integerFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) {
    throw new UsageError(
      `${flag} must be a whole number (got ${JSON.stringify(value)})`,
      `for example ${flag} 1000`,
    );
  }
  return Number(value.trim());
}

export function toReport(r: SeedResult): SeedReport {
  const seconds = r.ms / 1000;
  return {
    ok: true,
    database: r.database,
    seed: r.seed,
    customers: r.customers,
    orders: r.orders,
    products: r.products,
    endDate: r.endDate,
    years: r.years,
    tables: SEED_TABLES.map((t) => ({ table: t, rows: r.rows[t], loadSeconds: round(r.loadMs[t] / 1000) })),
    totalRows: r.totalRows,
    seconds: round(seconds),
    rowsPerSecond: seconds > 0 ? Math.round(r.totalRows / seconds) : r.totalRows,
  };
}

export function renderSeed(r: SeedReport): string {
  const rows = r.tables.map((t) => [t.table, n(t.rows), t.loadSeconds.toFixed(2)]);
  rows.push(['total', n(r.totalRows), '']);
  return [
    table(['table', 'rows', 'load s'], rows),
    '',
    `seeded ${r.database} (seed ${r.seed}, history to ${r.endDate}, ${r.years} years) in ${r.seconds.toFixed(1)} s: ${n(r.rowsPerSecond)} rows/s`,
  ].join('\n');
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
