/**
 * The shop's calendar: the time span of the history and how busy each day and hour is. Orders
 * and signups are drawn from this density, which carries growth (+25% a year), seasons (Nov/Dec
 * peak, quiet Jan/Feb), a weekly rhythm (busy Sunday/Monday, quiet Saturday), shopping events
 * (Black Friday, Cyber Monday, Boxing Day) and a daily curve (evening peak, night trough).
 * All times are UTC epoch seconds (integers).
 */
import { cumulate, type Random, searchCumulative } from './random.js';

export const DAY = 86_400;

/** Relative traffic by month, January first. */
const MONTH_FACTOR = [0.82, 0.78, 0.9, 0.92, 0.95, 0.93, 0.96, 0.98, 0.94, 1.0, 1.4, 1.55];
/** Relative traffic by weekday, Sunday first. */
const WEEKDAY_FACTOR = [1.12, 1.08, 1.0, 0.98, 0.97, 0.93, 0.86];
/** Relative traffic by hour of day. */
const HOUR_WEIGHTS = [
  0.9, 0.5, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 2.6, 3.0, 3.2, 3.6, 3.4, 3.2, 3.2, 3.4, 3.8, 4.4, 5.0, 5.2,
  4.8, 3.6, 2.0,
];
const HOUR_CUMULATIVE = cumulate(HOUR_WEIGHTS);
const YEARLY_GROWTH = 1.25;

export class Calendar {
  /** First second of the history (00:00:00 UTC, `years` before the day after `endDate`). */
  readonly start: number;
  /** The end of `endDate` (exclusive): the dataset's "now". */
  readonly end: number;
  readonly days: number;
  readonly #weights: Float64Array;
  readonly #cumulative: Float64Array;

  constructor(endDate: string, years: number) {
    const [y, m, d] = endDate.split('-').map(Number) as [number, number, number];
    this.end = Date.UTC(y, m - 1, d + 1) / 1000;
    this.start = Date.UTC(y - years, m - 1, d + 1) / 1000;
    this.days = Math.round((this.end - this.start) / DAY);
    this.#weights = new Float64Array(this.days);
    for (let i = 0; i < this.days; i++) this.#weights[i] = dayWeight(this.start / DAY + i, i);
    this.#cumulative = cumulate(this.#weights);
  }

  /** Sum of all day weights (the unit of `mass`). */
  get total(): number {
    return this.#cumulative[this.days - 1] ?? 0;
  }

  /** Relative traffic of the day containing `t`. */
  weightAt(t: number): number {
    const i = Math.floor((t - this.start) / DAY);
    return this.#weights[Math.min(Math.max(i, 0), this.days - 1)] ?? 0;
  }

  /** Cumulative traffic from the start up to time `t` (0 before the span, `total` after it). */
  position(t: number): number {
    if (t <= this.start) return 0;
    if (t >= this.end) return this.total;
    const x = (t - this.start) / DAY;
    const i = Math.floor(x);
    const before = i > 0 ? (this.#cumulative[i - 1] as number) : 0;
    return before + (this.#weights[i] as number) * (x - i);
  }

  /** Traffic between `a` and `b`: how much chance an order has to fall in that window. */
  mass(a: number, b: number): number {
    return b > a ? this.position(b) - this.position(a) : 0;
  }

  /** The time at cumulative traffic `p` (inverse of `position`), uniform within the day. */
  timeAt(p: number): number {
    const i = Math.min(searchCumulative(this.#cumulative, p), this.days - 1);
    const before = i > 0 ? (this.#cumulative[i - 1] as number) : 0;
    const w = this.#weights[i] as number;
    const frac = w > 0 ? Math.min(Math.max((p - before) / w, 0), 1) : 0;
    return this.start + (i + frac) * DAY;
  }

  /**
   * An integer second in [a, b] drawn from the traffic density, with the hour of day drawn from the
   * daily curve (kept only when it stays inside the window).
   */
  sample(rng: Random, a: number, b: number): number {
    const lo = Math.ceil(a);
    const hi = Math.floor(b);
    const t = this.timeAt(this.position(lo) + rng.float() * this.mass(lo, hi));
    const dayStart = Math.floor(t / DAY) * DAY;
    const withHour = dayStart + rng.weighted(HOUR_CUMULATIVE) * 3600 + rng.int(0, 3599);
    if (withHour >= lo && withHour <= hi) return withHour;
    return Math.min(Math.max(Math.floor(t), lo), hi);
  }
}

/** Relative traffic of a day (`day`: days since 1970-01-01; `index`: days since the span start). */
function dayWeight(day: number, index: number): number {
  const date = new Date(day * DAY * 1000);
  const month = date.getUTCMonth();
  const dom = date.getUTCDate();
  let w = (MONTH_FACTOR[month] ?? 1) * (WEEKDAY_FACTOR[date.getUTCDay()] ?? 1);
  w *= YEARLY_GROWTH ** (index / 365);
  if (month === 10) {
    const blackFriday = blackFridayOf(date.getUTCFullYear());
    if (dom === blackFriday) w *= 2.6;
    else if (dom === blackFriday + 1 || dom === blackFriday + 2) w *= 1.5;
    else if (dom === blackFriday + 3) w *= 2.0; // Cyber Monday
  } else if (month === 11) {
    if (dom === 24) w *= 0.7;
    else if (dom === 25) w *= 0.45;
    else if (dom === 26) w *= 1.3;
  } else if (month === 0 && dom === 1) {
    w *= 0.6;
  }
  return w;
}

/** Day of November of Black Friday (the day after the fourth Thursday). */
export function blackFridayOf(year: number): number {
  const weekdayOfFirst = new Date(Date.UTC(year, 10, 1)).getUTCDay();
  const firstThursday = 1 + ((4 - weekdayOfFirst + 7) % 7);
  return firstThursday + 21 + 1;
}
