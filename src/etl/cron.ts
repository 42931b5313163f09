/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.
 * A leaf module (no imports) so the config schema can validate expressions when it loads.
 *
 * Supported: `*`, numbers, ranges `a-b`, lists `a,b`, steps `*\/n` and `a-b/n`, month names
 * `jan`-`dec`, weekday names `sun`-`sat` (0 and 7 are both Sunday). As in classic cron, when both
 * day-of-month and day-of-week are restricted a day matches if either matches.
 */

export interface CronSchedule {
  /** The expression as given. */
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Value of names[0]. */
  nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

/** Thrown by parseCron; `message` says which field is wrong and why. */
export class CronSyntaxError extends Error {
  override name = 'CronSyntaxError';
}

/** Parse `expr`; throws CronSyntaxError naming the bad field. */
export function parseCron(expr: string): CronSchedule {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === '') {
    throw new CronSyntaxError(
      `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts[0] === '' ? 0 : parts.length}`,
    );
  }
  const sets = parts.map((p, i) => parseField(p, FIELDS[i] as FieldSpec));
  const dow = sets[4] as Set<number>;
  if (dow.has(7)) {
    dow.delete(7);
    dow.add(0);
  }
  return {
    source: expr,
    minutes: sets[0] as Set<number>,
    hours: sets[1] as Set<number>,
    daysOfMonth: sets[2] as Set<number>,
    months: sets[3] as Set<number>,
    daysOfWeek: dow,
    domRestricted: !(parts[2] as string).startsWith('*'),
    dowRestricted: !(parts[4] as string).startsWith('*'),
  };
}

/** The problem with `expr`, or null when it is a valid expression. */
export function cronProblem(expr: string): string | null {
  try {
    parseCron(expr);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === undefined || range === '') fail(spec, item);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        fail(spec, item, 'step must be a positive number');
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = spec.min;
      hi = spec.name === 'day of week' ? 6 : spec.max;
    } else {
      const [a, b, more] = (range as string).split('-');
      if (more !== undefined) fail(spec, item);
      lo = value(a as string, spec, item);
      hi = b === undefined ? (stepText === undefined ? lo : spec.max) : value(b, spec, item);
      if (hi < lo) fail(spec, item, `range ${lo}-${hi} runs backwards`);
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function value(text: string, spec: FieldSpec, item: string): number {
  const lower = text.toLowerCase();
  const named = spec.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d+$/.test(text)) fail(spec, item);
  const n = Number(text);
  if (n < spec.min || n > spec.max) fail(spec, item, `must be from ${spec.min} to ${spec.max}`);
  return n;
}

function fail(spec: FieldSpec, item: string, why?: string): never {
  throw new CronSyntaxError(`${spec.name} field ${JSON.stringify(item)} is invalid${why ? `: ${why}` : ''}`);
}

/** True when `date` (UTC, seconds ignored) matches `s`. */
export function cronMatches(s: CronSchedule, date: Date): boolean {
  if (!s.minutes.has(date.getUTCMinutes()) || !s.hours.has(date.getUTCHours())) return false;
  if (!s.months.has(date.getUTCMonth() + 1)) return false;
  const dom = s.daysOfMonth.has(date.getUTCDate());
  const dow = s.daysOfWeek.has(date.getUTCDay());
  if (s.domRestricted && s.dowRestricted) return dom || dow;
  if (s.domRestricted) return dom;
  if (s.dowRestricted) return dow;
  return true;
}

const MINUTE = 60_000;

/**
 * The first minute strictly after `after` that matches `s` (UTC). Searches up to 5 years ahead
 * (enough for `0 0 29 2 *`); null for an expression that never fires (`0 0 31 2 *`).
 */
export function nextCronTime(s: CronSchedule, after: Date): Date | null {
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  const limit = t + 5 * 366 * 24 * 60 * MINUTE;
  while (t < limit) {
    const d = new Date(t);
    if (!s.months.has(d.getUTCMonth() + 1)) {
      // Jump to the first minute of the next month.
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    const dayOk = cronMatches({ ...s, minutes: ALL_MINUTES, hours: ALL_HOURS }, d);
    if (!dayOk) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!s.hours.has(d.getUTCHours())) {
      t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (s.minutes.has(d.getUTCMinutes())) return d;
    t += MINUTE;
  }
  return null;
}

const ALL_MINUTES: ReadonlySet<number> = new Set(Array.from({ length: 60 }, (_, i) => i));
const ALL_HOURS: ReadonlySet<number> = new Set(Array.from({ length: 24 }, (_, i) => i));
