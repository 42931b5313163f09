/**
 * A progress bar for long commands (seed, and later ETL, backup, restore), on stderr. On a TTY it
 * redraws one line in place (at most every 100 ms); elsewhere (CI logs, pipes) it prints a plain
 * line every 10%; with --json or --quiet it prints nothing. Messages logged while the bar is shown
 * appear above it.
 */
import type { Output } from './output.js';

export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  /** Print anything at all (false for --json and --quiet). */
  enabled: boolean;
  /** Where to draw; default process.stderr. */
  stream?: ProgressStream;
  /** Minimum milliseconds between two redraws on a TTY; default 100. */
  intervalMs?: number;
  /** Clock, for tests; default performance.now. */
  now?: () => number;
}

const BAR_WIDTH = 24;

export class ProgressBar {
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #started: number;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #lastStep = -1;
  #line = '';
  #done = 0;
  #total = 0;
  #detail = '';
  #finished = false;

  constructor(label: string, options: ProgressBarOptions) {
    this.#label = label;
    this.#enabled = options.enabled;
    this.#stream = options.stream ?? process.stderr;
    this.#tty = this.#stream.isTTY === true;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
  }

  /** Report `done` of `total` units, with an optional detail (what is being worked on). */
  update(done: number, total: number, detail = ''): void {
    if (!this.#enabled || this.#finished) return;
    this.#done = done;
    this.#total = total;
    this.#detail = detail;
    if (this.#tty) {
      const now = this.#now();
      if (now - this.#lastDraw < this.#intervalMs) return;
      this.#lastDraw = now;
      this.#draw();
    } else {
      const step = Math.floor(fraction(done, total) * 10);
      if (step <= this.#lastStep) return;
      this.#lastStep = step;
      this.#stream.write(`… ${this.#label} ${this.#text()}\n`);
    }
  }

  /** A message line; on a TTY it is printed above the bar, which is then redrawn. */
  log(message: string): void {
    if (!this.#enabled) return;
    if (this.#tty && this.#line) {
      this.#stream.write(`\r\x1b[2K${message}\n`);
      this.#draw();
    } else {
      this.#stream.write(`${message}\n`);
    }
  }

  /** Draw the final state and leave the line in place (TTY) or print it (elsewhere). */
  finish(): void {
    if (!this.#enabled || this.#finished) return;
    this.#finished = true;
    if (this.#tty) {
      this.#draw();
      this.#stream.write('\n');
    } else if (this.#lastStep < 10) {
      this.#stream.write(`… ${this.#label} ${this.#text()}\n`);
    }
  }

  #draw(): void {
    const f = fraction(this.#done, this.#total);
    const filled = Math.round(f * BAR_WIDTH);
    let line = `${this.#label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${this.#text()}`;
    const width = this.#stream.columns;
    if (width && line.length >= width) line = line.slice(0, width - 1);
    this.#line = line;
    this.#stream.write(`\r\x1b[2K${line}`);
  }

  #text(): string {
    const seconds = (this.#now() - this.#started) / 1000;
    const pct = Math.floor(fraction(this.#done, this.#total) * 100);
    const counts = `${this.#done.toLocaleString('en-US')}/${this.#total.toLocaleString('en-US')}`;
    return `${pct}% ${counts}${this.#detail ? ` ${this.#detail}` : ''} ${seconds.toFixed(1)}s`;
  }
}

function fraction(done: number, total: number): number {
  return total > 0 ? Math.min(Math.max(done / total, 0), 1) : 0;
}

/** A bar that follows the command's output mode: drawn on stderr, silent with --json or --quiet. */
export function progressBar(out: Output, label: string, stream?: ProgressStream): ProgressBar {
  return new ProgressBar(label, { enabled: !out.json && !out.quiet, stream });
}
