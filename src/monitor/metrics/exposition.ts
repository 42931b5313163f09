/**
 * Writing the Prometheus text exposition format (version 0.0.4): one string grown by appending,
 * families written whole (HELP, TYPE, then every sample) because the format requires a family's
 * samples to be contiguous. No client library: a scrape writes ~1,200 samples, and building them
 * as objects first would cost more than the round trips that fetched them.
 */

/** The Content-Type a /metrics response carries. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'untyped';

/** A sample's value as the format spells it (`+Inf`, `-Inf`, `NaN` included). */
export function formatValue(n: number): string {
  if (Number.isFinite(n)) return String(n);
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}

/** A label value, escaped: backslash, double quote and newline. */
export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** `{a="x",b="y"}` from pairs, in the order given; names must already be valid label names. */
export function labelSet(pairs: ReadonlyArray<readonly [string, string]>): string {
  let s = '';
  for (const [k, v] of pairs) s += `${s ? ',' : ''}${k}="${escapeLabel(v)}"`;
  return `{${s}}`;
}

/** HELP and TYPE lines of one family. */
export function header(name: string, type: MetricType, help: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

const INVALID_NAME_CHARS = /[^a-zA-Z0-9_]/g;

/**
 * A server variable name as a metric name part, the way mysqld_exporter makes it: lower-cased, and
 * any character a metric name cannot hold replaced by `_` (server names never have one today).
 */
export function metricPart(name: string): string {
  return name.toLowerCase().replace(INVALID_NAME_CHARS, '_');
}

/** Accumulates the exposition text of one scrape. */
export class Exposition {
  #text = '';

  /** A family with one unlabelled sample. */
  single(name: string, type: MetricType, help: string, value: number): void {
    this.#text += `${header(name, type, help)}${name} ${formatValue(value)}\n`;
  }

  /** A family whose samples are given as `[labels, value]` (labels from `labelSet`, or ''). */
  family(
    name: string,
    type: MetricType,
    help: string,
    samples: ReadonlyArray<readonly [string, number]>,
  ): void {
    if (samples.length === 0) return;
    let s = header(name, type, help);
    for (const [labels, value] of samples) s += `${name}${labels} ${formatValue(value)}\n`;
    this.#text += s;
  }

  /** Text already in the exposition format (whole families, ending with a newline). */
  raw(text: string): void {
    this.#text += text;
  }

  toString(): string {
    return this.#text;
  }
}
