/**
 * The plan: who the customers are in numbers (signup time, country, address counts) and when every
 * order happens and for whom, before any row is written. Knowing each customer's order count and
 * last order up front lets the customers table carry a segment consistent with behaviour while it
 * loads in parallel with the orders.
 *
 * Model: customers sign up following the shop's traffic (15% joined in the year before the history).
 * Each has a buying propensity (10% never buy; the rest log-normal, capped at 12x the median, so
 * most buy a few times and some very often) and an active window from signup to a random churn time. Orders are shared out
 * in proportion to propensity x traffic inside the window, then dated from the traffic density.
 * Memory: typed arrays, a few bytes per customer and 8 bytes per order.
 */
import { type Calendar, DAY } from './calendar.js';
import { COUNTRIES } from './names.js';
import { cumulate, hashUnit, type Random } from './random.js';

/** Order keys pack (seconds since the start) * 2^21 + customer index: exact in a double. */
const CUSTOMER_SLOTS = 2 ** 21;
/** Share of orders with 1..6 lines (mean 3.34). */
const LINE_COUNT_CUMULATIVE = cumulate([0.14, 0.19, 0.22, 0.2, 0.14, 0.11]);
/** No order in the last 10 minutes of the history, so stock counts are the very last movements. */
export const QUIET_END = 600;

export interface Plan {
  customers: number;
  /** Signup time (epoch seconds), non-decreasing with the customer id. */
  createdAt: Uint32Array;
  /** Index into COUNTRIES. */
  country: Uint8Array;
  shippingAddresses: Uint8Array;
  billingAddresses: Uint8Array;
  /** address_id of each customer's first address (their default shipping address). */
  firstAddressId: Uint32Array;
  addresses: number;
  orderCount: Uint32Array;
  firstOrderAt: Uint32Array;
  lastOrderAt: Uint32Array;
  /** One key per order, sorted by time: order k (0-based) has order_id k + 1. */
  orderKeys: Float64Array;
  /** Exact number of order_items rows. */
  orderItems: number;
}

/** Time and customer index of an order key. */
export function decodeOrderKey(key: number, start: number): { at: number; customer: number } {
  const customer = key % CUSTOMER_SLOTS;
  return { at: start + (key - customer) / CUSTOMER_SLOTS, customer };
}

/** Number of lines of order `k`: a pure function of the seed and k, so the plan can count them. */
export function lineCount(itemsKey: number, k: number): number {
  const u = hashUnit(itemsKey, k);
  let i = 0;
  while (i < 5 && u >= (LINE_COUNT_CUMULATIVE[i] as number)) i++;
  return i + 1;
}

export function buildPlan(
  rng: Random,
  cal: Calendar,
  sizes: { customers: number; orders: number },
  itemsKey: number,
): Plan {
  const n = sizes.customers;
  const createdAt = new Uint32Array(n);
  const country = new Uint8Array(n);
  const shippingAddresses = new Uint8Array(n);
  const billingAddresses = new Uint8Array(n);
  const firstAddressId = new Uint32Array(n);
  const windowStart = new Uint32Array(n);
  const windowEnd = new Uint32Array(n);
  const expected = new Float64Array(n);
  const countryWeights = cumulate(COUNTRIES.map((c) => c.weight));

  const legacy = Math.round(n * 0.15);
  const lastSignup = cal.end - 3600;
  let nextAddress = 1;
  let expectedSum = 0;
  for (let i = 0; i < n; i++) {
    // Stratified draws keep signup times sorted by id: customer ids grow with time, as in a real shop.
    const created =
      i < legacy
        ? cal.start - 365 * DAY + ((i + rng.float()) / legacy) * 365 * DAY
        : cal.timeAt(((i - legacy + rng.float()) / (n - legacy)) * cal.total);
    createdAt[i] = Math.min(Math.floor(created), lastSignup);
    country[i] = rng.weighted(countryWeights);
    shippingAddresses[i] = rng.chance(0.75) ? 1 : rng.chance(0.8) ? 2 : 3;
    billingAddresses[i] = rng.chance(0.88) ? 1 : 2;
    firstAddressId[i] = nextAddress;
    nextAddress += (shippingAddresses[i] as number) + (billingAddresses[i] as number);

    const propensity = rng.chance(0.1) ? 0 : Math.min(rng.logNormal(1, 0.9), 12);
    // Half buy within minutes of signing up; the others come back days or weeks later.
    const delay = rng.chance(0.5) ? rng.int(60, 1800) : Math.round(rng.exponential(25 * DAY)) + 60;
    const a = Math.max((createdAt[i] as number) + delay, cal.start);
    const b = Math.min(a + rng.exponential(600 * DAY), cal.end - QUIET_END);
    windowStart[i] = Math.min(a, cal.end - QUIET_END);
    windowEnd[i] = Math.max(Math.floor(b), windowStart[i] as number);
    const e = propensity * cal.mass(windowStart[i] as number, windowEnd[i] as number);
    expected[i] = e;
    expectedSum += e;
  }
  if (expectedSum === 0) {
    // Tiny runs where nobody would buy: everyone buys from signup to the end instead.
    for (let i = 0; i < n; i++) {
      windowStart[i] = Math.min((createdAt[i] as number) + 60, cal.end - QUIET_END - 60);
      windowEnd[i] = cal.end - QUIET_END;
      expected[i] = cal.mass(windowStart[i] as number, windowEnd[i] as number);
      expectedSum += expected[i] as number;
    }
  }

  const orderCount = allocate(rng, expected, expectedSum, sizes.orders);
  const firstOrderAt = new Uint32Array(n);
  const lastOrderAt = new Uint32Array(n);
  const orderKeys = new Float64Array(sizes.orders);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const count = orderCount[i] as number;
    let first = Number.POSITIVE_INFINITY;
    let last = 0;
    for (let j = 0; j < count; j++) {
      const t = cal.sample(rng, windowStart[i] as number, windowEnd[i] as number);
      if (t < first) first = t;
      if (t > last) last = t;
      orderKeys[k++] = (t - cal.start) * CUSTOMER_SLOTS + i;
    }
    if (count > 0) {
      firstOrderAt[i] = first;
      lastOrderAt[i] = last;
    }
  }
  orderKeys.sort();

  let orderItems = 0;
  for (let o = 0; o < sizes.orders; o++) orderItems += lineCount(itemsKey, o);
  return {
    customers: n,
    createdAt,
    country,
    shippingAddresses,
    billingAddresses,
    firstAddressId,
    addresses: nextAddress - 1,
    orderCount,
    firstOrderAt,
    lastOrderAt,
    orderKeys,
    orderItems,
  };
}

/**
 * Integer order counts proportional to `expected` that add up to exactly `total` (systematic
 * sampling: one random offset, then floor of the running sum).
 */
function allocate(rng: Random, expected: Float64Array, sum: number, total: number): Uint32Array {
  const counts = new Uint32Array(expected.length);
  const offset = rng.float();
  let running = offset;
  let previous = Math.floor(offset);
  let allocated = 0;
  let largest = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    if (e > (expected[largest] as number)) largest = i;
    running += (e / sum) * total;
    const floor = Math.floor(running);
    counts[i] = floor - previous;
    allocated += floor - previous;
    previous = floor;
  }
  // Rounding in the running sum can leave it one off.
  counts[largest] = (counts[largest] as number) + (total - allocated);
  return counts;
}
