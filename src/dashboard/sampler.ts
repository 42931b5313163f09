/**
 * The status sampler: reads a few SHOW GLOBAL STATUS counters every `intervalMs` into a ring
 * buffer, so the charts show the last minutes at once instead of filling from the moment a page
 * opens. QPS is the Questions counter's delta over the time between two samples; a counter that
 * went backwards (a server restart) starts a new baseline instead of a negative rate.
 */
import type { DatabaseManager } from '../db/index.js';

export interface StatusSample {
  /** ISO time of the sample. */
  at: string;
  connections: number;
  threadsRunning: number;
  /** Statements per second since the previous sample; null for the first one. */
  qps: number | null;
}

export interface SeriesSnapshot {
  intervalMs: number;
  maxConnections: number | null;
  samples: StatusSample[];
  /** The last sampling failure, until a sample succeeds again. */
  error: { code: string; message: string } | null;
}

export interface SamplerOptions {
  /** Time between samples. Default 5000 ms. */
  intervalMs?: number;
  /** Samples kept. Default 180 (15 minutes at the default interval). */
  capacity?: number;
  /** Called with each sampling failure (the sampler carries on). */
  onError?: (err: unknown) => void;
}

const STATUS_SQL =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected', 'Threads_running', 'Questions')";

export class StatusSampler {
  readonly #db: DatabaseManager;
  readonly #intervalMs: number;
  readonly #capacity: number;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #ring: StatusSample[] = [];
  #previous: { questions: number; at: number } | undefined;
  #maxConnections: number | null = null;
  #error: SeriesSnapshot['error'] = null;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;

  constructor(db: DatabaseManager, options: SamplerOptions = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#capacity = options.capacity ?? 180;
    this.#onError = options.onError;
  }

  /** Take a sample now, then one every interval until `stop()`. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#tick();
  }

  /** Stop sampling and wait for a sample in flight, so no statement outlives the dashboard. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  snapshot(): SeriesSnapshot {
    return {
      intervalMs: this.#intervalMs,
      maxConnections: this.#maxConnections,
      samples: [...this.#ring],
      error: this.#error,
    };
  }

  #tick(): void {
    this.#inFlight = this.#sample().finally(() => {
      this.#inFlight = undefined;
      // A timeout chain rather than setInterval: a slow server never gets overlapping samples.
      if (!this.#stopped) {
        this.#timer = setTimeout(() => this.#tick(), this.#intervalMs);
        this.#timer.unref();
      }
    });
  }

  async #sample(): Promise<void> {
    try {
      const rows = await this.#db.query<{ Variable_name: string; Value: string }>(STATUS_SQL, undefined, {
        timeoutMs: Math.max(1000, this.#intervalMs),
      });
      const at = Date.now();
      const v = Object.fromEntries(rows.map((r) => [r.Variable_name.toLowerCase(), Number(r.Value)]));
      if (this.#maxConnections === null) {
        const [row] = await this.#db.query<{ max: number }>('SELECT @@max_connections AS max');
        this.#maxConnections = row ? Number(row.max) : null;
      }
      const questions = v.questions ?? 0;
      const prev = this.#previous;
      const qps =
        prev && questions >= prev.questions && at > prev.at
          ? Math.round(((questions - prev.questions) / ((at - prev.at) / 1000)) * 10) / 10
          : null;
      this.#previous = { questions, at };
      this.#push({
        at: new Date(at).toISOString(),
        connections: v.threads_connected ?? 0,
        threadsRunning: v.threads_running ?? 0,
        qps,
      });
      this.#error = null;
    } catch (err) {
      // A gap in the series shows the outage better than a dashboard that stops sampling.
      this.#previous = undefined;
      const e = err as { code?: unknown; message?: unknown };
      this.#error = {
        code: typeof e.code === 'string' ? e.code : 'E_UNKNOWN',
        message: typeof e.message === 'string' ? e.message : 'sampling failed',
      };
      this.#onError?.(err);
    }
  }

  #push(sample: StatusSample): void {
    this.#ring.push(sample);
    if (this.#ring.length > this.#capacity) this.#ring.splice(0, this.#ring.length - this.#capacity);
  }
}
