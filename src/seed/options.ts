/**
 * What `seed()` accepts, its defaults and limits, and the validation that turns a bad value into a
 * UsageError (exit 2) before any connection is opened.
 */
import { UsageError } from '../errors.js';
import type { SeedProgress } from './types.js';

/**
 * Options of `seed`. Every option except `onProgress` and `signal` takes part in the data: change one and the
 * rows differ.
 */
export interface SeedOptions {
  /** Customers to create. Default 1,000; at most 2,000,000. */
  customers?: number;
  /** Orders to create across all customers. Default 3,000; at most 10,000,000. */
  orders?: number;
  /** Products in the catalogue. Default 200; at least 10, at most 100,000. */
  products?: number;
  /**
   * Same seed and same options give byte-identical rows (ids, timestamps, everything). A number
   * and the string of its digits are the same seed. Default 42.
   */
  seed?: number | string;
  /**
   * Last day of the generated history, `YYYY-MM-DD` (UTC); the data describes the shop as of the
   * end of that day. Default `2025-12-31` — fixed, never today's date, so runs are reproducible.
   */
  endDate?: string;
  /** Years of history ending on `endDate`. Default 3; 1 to 10. */
  years?: number;
  /** Called as rows are loaded (often enough for a live progress bar). */
  onProgress?: (event: SeedProgress) => void;
  /**
   * Aborting stops generation, ends the running loads and empties the tables again; `seed()` then
   * rejects with a SeedError ("seeding was interrupted"). The CLI aborts on Ctrl-C.
   */
  signal?: AbortSignal;
}

/** The options after defaults and validation. */
export interface ResolvedSeedOptions {
  customers: number;
  orders: number;
  products: number;
  seed: string;
  endDate: string;
  years: number;
}

/** The values `seed` uses for options it is not given. */
export const SEED_DEFAULTS = {
  customers: 1_000,
  orders: 3_000,
  products: 200,
  seed: '42',
  endDate: '2025-12-31',
  years: 3,
} as const satisfies ResolvedSeedOptions;

/** The accepted range of each numeric seed option; outside it `seed` throws UsageError before connecting. */
export const SEED_LIMITS = {
  customers: { min: 1, max: 2_000_000 },
  orders: { min: 1, max: 10_000_000 },
  products: { min: 10, max: 100_000 },
  years: { min: 1, max: 10 },
} as const;

/** Apply defaults and check every option; all problems are reported together as one UsageError. */
export function resolveSeedOptions(options: SeedOptions = {}): ResolvedSeedOptions {
  const problems: string[] = [];
  const int = (name: keyof typeof SEED_LIMITS, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    const { min, max } = SEED_LIMITS[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(
        `${name} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')} (got ${String(value)})`,
      );
      return fallback;
    }
    return value;
  };
  const customers = int('customers', options.customers, SEED_DEFAULTS.customers);
  const orders = int('orders', options.orders, SEED_DEFAULTS.orders);
  const products = int('products', options.products, SEED_DEFAULTS.products);
  const years = int('years', options.years, SEED_DEFAULTS.years);

  let seed: string = SEED_DEFAULTS.seed;
  if (options.seed !== undefined) {
    const s = options.seed;
    if (typeof s === 'number' && Number.isSafeInteger(s)) seed = String(s);
    else if (
      typeof s === 'string' &&
      s.length > 0 &&
      s.length <= 200 &&
      ![...s].some((c) => c.charCodeAt(0) < 32)
    )
      seed = s;
    else
      problems.push(`seed must be a safe integer or a non-empty string of at most 200 printable characters`);
  }

  let endDate: string = SEED_DEFAULTS.endDate;
  if (options.endDate !== undefined) {
    if (
      isCalendarDate(options.endDate) &&
      options.endDate >= '2000-01-01' &&
      options.endDate <= '2099-12-31'
    ) {
      endDate = options.endDate;
    } else {
      problems.push(
        `endDate must be a real date YYYY-MM-DD between 2000-01-01 and 2099-12-31 (got ${JSON.stringify(options.endDate)})`,
      );
    }
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    problems.push('onProgress must be a function');
  }
  if (problems.length > 0) {
    throw new UsageError(
      `invalid seed options: ${problems.join('; ')}`,
      'see `mysqlops seed --help` for the accepted ranges',
    );
  }
  return { customers, orders, products, seed, endDate, years };
}

function isCalendarDate(text: unknown): text is string {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}
