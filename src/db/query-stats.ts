/**
 * Query monitoring counters: calls, errors and a latency histogram per statement shape, kept in
 * plain objects on the hot path (no label hashing per call) and rendered in the Prometheus text
 * format only when scraped. The number of shapes is bounded so a caller that puts values into SQL
 * text cannot grow memory or metric cardinality without limit.
 */

/** Histogram bucket upper bounds, in seconds (1 ms .. 10 s). */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

const MAX_SHAPES = 500;
const OVERFLOW_SHAPE = '(other)';

export interface ShapeStats {
  readonly shape: string;
  calls: number;
  errors: number;
  rows: number;
  totalSeconds: number;
  maxSeconds: number;
  /** Non-cumulative counts per bucket; the last slot counts values above the largest bound. */
  readonly buckets: Float64Array;
}

/**
 * Counters for one statement shape (the SQL with values replaced by `?`), as `db.queryStats()`
 * returns them, costliest first. Times are in ms; `rows` counts rows returned or affected. Shapes
 * beyond the first 500 are counted together under `(other)`.
 */
export interface ShapeSummary {
  shape: string;
  calls: number;
  errors: number;
  rows: number;
  totalMs: number;
  avgMs: number;
  maxMs: number;
  /** Upper bound of the bucket holding the 95th percentile, in ms (a histogram estimate). */
  p95Ms: number;
}

export class QueryStats {
  readonly #byShape = new Map<string, ShapeStats>();
  slowQueries = 0;
  transactionRetries = 0;
  reconnects = 0;

  /** Record one finished statement. `seconds` is wall time, `rows` rows returned or affected. */
  record(shape: string, seconds: number, ok: boolean, rows: number): void {
    const s = this.#entry(shape);
    s.calls++;
    if (!ok) s.errors++;
    s.rows += rows;
    s.totalSeconds += seconds;
    if (seconds > s.maxSeconds) s.maxSeconds = seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++;
    s.buckets[i] = (s.buckets[i] ?? 0) + 1;
  }

  /** Shapes sorted by total time, the costliest first. */
  summary(limit = 50): ShapeSummary[] {
    return [...this.#byShape.values()]
      .sort((a, b) => b.totalSeconds - a.totalSeconds)
      .slice(0, limit)
      .map((s) => ({
        shape: s.shape,
        calls: s.calls,
        errors: s.errors,
        rows: s.rows,
        totalMs: round(s.totalSeconds * 1000),
        avgMs: round(s.calls ? (s.totalSeconds * 1000) / s.calls : 0),
        maxMs: round(s.maxSeconds * 1000),
        p95Ms: round(percentileBound(s, 0.95) * 1000),
      }));
  }

  /** Prometheus text exposition of everything recorded, with the given metric name prefix. */
  toPrometheus(prefix = 'mysqlops_db'): string {
    const out: string[] = [];
    out.push(`# HELP ${prefix}_queries_total Statements run through DatabaseManager, by shape and outcome.`);
    out.push(`# TYPE ${prefix}_queries_total counter`);
    for (const s of this.#byShape.values()) {
      const l = `shape="${escapeLabel(s.shape)}"`;
      out.push(`${prefix}_queries_total{${l},outcome="ok"} ${s.calls - s.errors}`);
      out.push(`${prefix}_queries_total{${l},outcome="error"} ${s.errors}`);
    }
    out.push(`# HELP ${prefix}_query_duration_seconds Statement latency through DatabaseManager, by shape.`);
    out.push(`# TYPE ${prefix}_query_duration_seconds histogram`);
    for (const s of this.#byShape.values()) {
      const l = `shape="${escapeLabel(s.shape)}"`;
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, i) => {
        cumulative += s.buckets[i] ?? 0;
        out.push(`${prefix}_query_duration_seconds_bucket{${l},le="${bound}"} ${cumulative}`);
      });
      out.push(`${prefix}_query_duration_seconds_bucket{${l},le="+Inf"} ${s.calls}`);
      out.push(`${prefix}_query_duration_seconds_sum{${l}} ${s.totalSeconds}`);
      out.push(`${prefix}_query_duration_seconds_count{${l}} ${s.calls}`);
    }
    out.push(`# HELP ${prefix}_slow_queries_total Statements slower than monitoring.slowQueryMs.`);
    out.push(`# TYPE ${prefix}_slow_queries_total counter`);
    out.push(`${prefix}_slow_queries_total ${this.slowQueries}`);
    out.push(
      `# HELP ${prefix}_transaction_retries_total Transactions retried after a deadlock or lock wait timeout.`,
    );
    out.push(`# TYPE ${prefix}_transaction_retries_total counter`);
    out.push(`${prefix}_transaction_retries_total ${this.transactionRetries}`);
    out.push(`# HELP ${prefix}_reconnects_total Dead pooled connections replaced on checkout.`);
    out.push(`# TYPE ${prefix}_reconnects_total counter`);
    out.push(`${prefix}_reconnects_total ${this.reconnects}`);
    return `${out.join('\n')}\n`;
  }

  #entry(shape: string): ShapeStats {
    let s = this.#byShape.get(shape);
    if (s) return s;
    const key = this.#byShape.size >= MAX_SHAPES ? OVERFLOW_SHAPE : shape;
    s = this.#byShape.get(key);
    if (!s) {
      s = {
        shape: key,
        calls: 0,
        errors: 0,
        rows: 0,
        totalSeconds: 0,
        maxSeconds: 0,
        buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
      };
      this.#byShape.set(key, s);
    }
    return s;
  }
}

function percentileBound(s: ShapeStats, q: number): number {
  if (s.calls === 0) return 0;
  const target = q * s.calls;
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    cumulative += s.buckets[i] ?? 0;
    if (cumulative >= target) return LATENCY_BUCKETS[i] as number;
  }
  return s.maxSeconds;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
