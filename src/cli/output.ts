/**
 * How the CLI talks to people and scripts: JSON documents on stdout with --json (and nothing else
 * there), tables for humans, progress and notices on stderr unless --quiet or --json.
 */

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly #stdout: NodeJS.WritableStream;
  readonly #stderr: NodeJS.WritableStream;

  constructor(
    options: OutputOptions,
    stdout: NodeJS.WritableStream = process.stdout,
    stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** The command's result: `data` as one JSON document with --json, else `human()` for people. */
  result(data: unknown, human: () => string): void {
    if (this.json) this.#stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else this.#stdout.write(`${human()}\n`);
  }

  /** A progress line on stderr (hidden by --quiet and --json). */
  progress(message: string): void {
    if (this.json || this.quiet) return;
    this.#stderr.write(`… ${message}\n`);
  }

  /** A notice on stderr that --quiet hides but --json keeps off stdout. */
  notice(message: string): void {
    if (this.quiet) return;
    this.#stderr.write(`${message}\n`);
  }

  /** An error: one line on stderr (problem, then the fix), and with --json an error document on stdout. */
  error(code: string, message: string, hint?: string): void {
    this.#stderr.write(`error: ${message}${hint ? ` (fix: ${hint})` : ''}\n`);
    if (this.json)
      this.#stdout.write(`${JSON.stringify({ ok: false, error: { code, message, hint } }, null, 2)}\n`);
  }
}

/** Two aligned columns: `key   value`. */
export function keyValueTable(
  rows: ReadonlyArray<readonly [string, string | number | null | undefined]>,
): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v ?? '-'}`).join('\n');
}

/** A table with a header row; columns sized to their widest cell. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cells = [
    headers,
    ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: readonly unknown[]) =>
    r
      .map((c, i) => String(c ?? '').padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** `3d 4h 5m` from seconds. */
export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}
