/**
 * Getting generated rows into the server: one dedicated connection per table, rows written into
 * reusable chunk buffers (at most `chunkRows` rows or 4 MB) and each chunk sent as one `LOAD DATA LOCAL INFILE`
 * statement streamed through mysql2's `infileStreamFactory` (no file on disk). Each statement
 * commits on its own, so transactions stay moderate and progress is visible.
 *
 * Loading sessions run with foreign_key_checks=0 and unique_checks=0: the generator guarantees
 * integrity (and the tests prove it). LOCAL turns data errors into warnings and skipped rows, so
 * every statement is checked: affected rows must equal the rows sent and warnings must be zero.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql, { type Connection, type ConnectionOptions, type ResultSetHeader } from 'mysql2';
import { quoteId } from '../db/index.js';
import { driverFields, SeedError } from '../errors.js';
import type { SeedTable } from './types.js';

/** Bytes per chunk buffer: ~50k order lines. Buffers are reused, so rows die young and memory stays flat. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Bytes per packet handed to mysql2 (each becomes one protocol packet; far below max_allowed_packet). */
const PIECE_BYTES = 256 * 1024;

/** Open a connection for loading: no foreign key or unique checks on this session only. */
export async function openLoadConnection(options: ConnectionOptions): Promise<Connection> {
  const conn = mysql.createConnection({ ...options, multipleStatements: false });
  // An idle connection dropped by the server emits 'error'; the next statement reports it.
  conn.on('error', () => {});
  try {
    await run(conn, 'SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = ?', ['+00:00']);
  } catch (err) {
    conn.destroy();
    const d = driverFields(err);
    throw new SeedError({
      message: `cannot open a loading connection: ${d.sqlMessage ?? (err instanceof Error ? err.message : String(err))}`,
      hint: "the seeder needs 9 connections at once: check max_connections and the account's limits",
      cause: err,
    });
  }
  return conn;
}

/** Run one statement on a plain mysql2 connection. */
export function run<T = ResultSetHeader>(conn: Connection, sql: string, params: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    conn.query(sql, params, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

export function closeConnection(conn: Connection): Promise<void> {
  return new Promise((resolve) => conn.end(() => resolve()));
}

/** The LOAD DATA statement for `table` and its columns, in the order the generator writes them. */
export function loadDataSql(table: SeedTable, columns: readonly string[]): string {
  return (
    `LOAD DATA LOCAL INFILE 'mysqlops-seed.tsv' INTO TABLE ${quoteId(table)} CHARACTER SET utf8mb4 ` +
    `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ` +
    `(${columns.map((c) => quoteId(c)).join(', ')})`
  );
}

/**
 * A cap on LOAD DATA statements running at once across all tables. On a small server, more
 * concurrent loads than cores mostly add contention (redo log, buffer pool) without adding speed.
 */
export class LoadSlots {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(slots: number) {
    this.#free = slots;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

export interface TableLoaderOptions {
  chunkRows: number;
  slots: LoadSlots;
  /** Chunks allowed to wait behind the one loading before `ready()` holds the generator back. */
  maxQueued: number;
  /** Called after every loaded chunk with the table's loaded rows so far. */
  onLoaded: (rows: number) => void;
}

interface Chunk {
  buffer: Buffer;
  bytes: number;
  rows: number;
}

/**
 * Collects one table's rows and loads them chunk by chunk on its own connection, one statement at a
 * time (in order), while the generator goes on producing the next chunk.
 */
export class TableLoader {
  readonly table: SeedTable;
  readonly #conn: Connection;
  readonly #sql: string;
  readonly #options: TableLoaderOptions;
  readonly #queue: Chunk[] = [];
  readonly #spare: Buffer[] = [];
  #buffer: Buffer | null = null;
  #bytes = 0;
  #rows = 0;
  #loading: Promise<void> | null = null;
  #failure: SeedError | null = null;
  #waiters: Array<() => void> = [];
  /** Rows handed to add() so far. */
  written = 0;
  loaded = 0;
  loadMs = 0;

  constructor(table: SeedTable, columns: readonly string[], conn: Connection, options: TableLoaderOptions) {
    this.table = table;
    this.#conn = conn;
    this.#sql = loadDataSql(table, columns);
    this.#options = options;
  }

  /** Append one newline-terminated line. */
  readonly add = (line: string): void => {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    if (this.#buffer === null || this.#bytes + line.length * 3 > this.#buffer.length) {
      if (this.#rows > 0) this.#cut();
      this.#buffer = this.#spare.pop() ?? Buffer.allocUnsafe(Math.max(CHUNK_BYTES, line.length * 3));
    }
    this.#bytes += this.#buffer.write(line, this.#bytes);
    this.#rows++;
    this.written++;
    if (this.#rows >= this.#options.chunkRows) this.#cut();
  };

  /** Resolves when the queue has room (rejects with the load error if a load failed). */
  ready(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#queue.length <= this.#options.maxQueued) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.push(resolve)).then(() => this.ready());
  }

  /** Load the last partial chunk and wait for every load to finish. */
  async finish(): Promise<void> {
    if (this.#rows > 0) this.#cut();
    while (this.#loading) await this.#loading;
    this.#spare.length = 0;
    if (this.#failure) throw this.#failure;
  }

  get failure(): SeedError | null {
    return this.#failure;
  }

  #cut(): void {
    this.#queue.push({ buffer: this.#buffer as Buffer, bytes: this.#bytes, rows: this.#rows });
    this.#buffer = null;
    this.#bytes = 0;
    this.#rows = 0;
    if (!this.#loading) this.#loading = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      for (let chunk = this.#queue.shift(); chunk && !this.#failure; chunk = this.#queue.shift()) {
        this.#wake();
        await this.#load(chunk);
      }
    } catch (err) {
      this.#failure = err instanceof SeedError ? err : loadError(this.table, err);
      this.#queue.length = 0;
    } finally {
      this.#loading = null;
      this.#wake();
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #load(chunk: Chunk): Promise<void> {
    const data = chunk.buffer.subarray(0, chunk.bytes);
    await this.#options.slots.acquire();
    const started = performance.now();
    let result: ResultSetHeader;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          result = await new Promise<ResultSetHeader>((resolve, reject) => {
            this.#conn.query<ResultSetHeader>(
              { sql: this.#sql, infileStreamFactory: () => Readable.from(pieces(data)) },
              (err, res) => (err ? reject(err) : resolve(res)),
            );
          });
          break;
        } catch (err) {
          // Parallel loads into audited tables all append to audit_log; with the server's default
          // innodb_autoinc_lock_mode=1 they can deadlock on its AUTO-INC lock. The chunk's
          // statement was rolled back whole (autocommit), so loading it again is safe.
          const errno = driverFields(err).errno;
          if ((errno !== 1213 && errno !== 1205) || attempt >= LOAD_ATTEMPTS) throw err;
          await sleep(50 * attempt + Math.random() * 100);
        }
      }
    } finally {
      this.loadMs += performance.now() - started;
      this.#options.slots.release();
    }
    if (result.affectedRows !== chunk.rows || result.warningStatus > 0) {
      const warnings = await run<Array<{ Message: string }>>(this.#conn, 'SHOW WARNINGS LIMIT 3').catch(
        () => [],
      );
      throw new SeedError({
        message:
          `loading ${this.table}: the server kept ${result.affectedRows} of ${chunk.rows} rows with ` +
          `${result.warningStatus} warning(s)${warnings.length ? `: ${warnings.map((w) => w.Message).join('; ')}` : ''}`,
        hint: 'the table definition differs from what the seeder expects: migrate the database to the current schema (mysqlops migrate up)',
      });
    }
    // mysql2 copied every piece into its own packet: the buffer can take the next chunk.
    if (chunk.buffer.length === CHUNK_BYTES) this.#spare.push(chunk.buffer);
    this.loaded += chunk.rows;
    this.#options.onLoaded(this.loaded);
  }
}

/** Tries per chunk when the server reports a deadlock or lock wait timeout. */
const LOAD_ATTEMPTS = 4;

function* pieces(data: Buffer): Generator<Buffer> {
  for (let i = 0; i < data.length; i += PIECE_BYTES) yield data.subarray(i, i + PIECE_BYTES);
}

function loadError(table: SeedTable, err: unknown): SeedError {
  const d = driverFields(err);
  const local = d.errno === 1148 || d.errno === 3948 || d.errno === 4166;
  return new SeedError({
    message: `loading ${table} failed: ${d.sqlMessage ?? (err instanceof Error ? err.message : String(err))}`,
    hint: local
      ? 'the server refuses LOAD DATA LOCAL: set local_infile=ON on the server (the sandbox has it on)'
      : undefined,
    cause: err,
  });
}
