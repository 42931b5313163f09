/**
 * How generated values are written for `LOAD DATA ... FIELDS TERMINATED BY '\t' ESCAPED BY '\\'
 * LINES TERMINATED BY '\n'`: text escaping, NULL, money in cents, and UTC datetimes. Pure
 * functions; the hot paths (order items, movements) only write numbers and pre-formatted dates,
 * which never need escaping.
 */

/** The field that LOAD DATA reads as SQL NULL. */
export const TSV_NULL = '\\N';

/** Characters LOAD DATA would misread, by char code, with their escape. */
const ESCAPES = new Map<number, string>([
  [9, '\\t'],
  [10, '\\n'],
  [13, '\\r'],
  [92, '\\\\'],
  [0, '\\0'],
  // Ctrl-Z: the server reads "\Z" as ASCII 26 (escaped so Windows tools never see end-of-file).
  [26, '\\Z'],
]);

/**
 * One text field: tabs, newlines, carriage returns, backslashes, NUL and Ctrl-Z escaped; null
 * becomes `\N`. The literal text "\N" is written as `\\N`, so it stays text.
 */
export function tsvText(value: string | null | undefined): string {
  if (value === null || value === undefined) return TSV_NULL;
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 32 && code !== 92) continue;
    const replacement = ESCAPES.get(code);
    if (replacement === undefined) continue;
    out += value.slice(plainFrom, i) + replacement;
    plainFrom = i + 1;
  }
  return plainFrom === 0 ? value : out + value.slice(plainFrom);
}

/** One line: the fields (already formatted) joined by tabs, newline-terminated. */
export function tsvLine(fields: ReadonlyArray<string | number | null>): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (i > 0) line += '\t';
    line += f === null || f === undefined ? TSV_NULL : typeof f === 'number' ? String(f) : tsvText(f);
  }
  return `${line}\n`;
}

const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

/** An amount in integer cents as DECIMAL text (`1999` → `19.99`). Non-negative integers only. */
export function cents(amount: number): string {
  return `${Math.floor(amount / 100)}.${TWO_DIGITS[amount % 100]}`;
}

/**
 * Formats epoch seconds (UTC) as `YYYY-MM-DD HH:MM:SS`, caching the date part per day: the
 * seeder writes millions of timestamps over a few thousand distinct days.
 */
export class DateTimeFormatter {
  readonly #firstDay: number;
  readonly #days: string[] = [];

  /** `fromSeconds`: the earliest time that will be formatted often (earlier times still work). */
  constructor(fromSeconds: number) {
    this.#firstDay = Math.floor(fromSeconds / 86_400);
  }

  format(seconds: number): string {
    const day = Math.floor(seconds / 86_400);
    const rest = seconds - day * 86_400;
    return `${this.date(day)} ${TWO_DIGITS[Math.floor(rest / 3600)]}:${TWO_DIGITS[Math.floor(rest / 60) % 60]}:${TWO_DIGITS[rest % 60]}`;
  }

  /** `YYYY-MM-DD` of a day number (days since 1970-01-01). */
  date(day: number): string {
    const slot = day - this.#firstDay;
    if (slot < 0) return isoDate(day);
    let text = this.#days[slot];
    if (text === undefined) {
      text = isoDate(day);
      this.#days[slot] = text;
    }
    return text;
  }
}

function isoDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}
