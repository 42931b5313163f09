/**
 * `backupFull()`: a consistent, parallel, logical backup. A coordinator session and N worker
 * sessions connect; the workers open one shared snapshot (snapshot.ts) and record its binlog
 * position / GTID; tables are planned into chunks (chunk-planner.ts) inside the snapshot; the
 * workers stream chunks into compressed (and optionally encrypted) files while the coordinator
 * writes the DDL; every chunked table is counted in the snapshot and must match the rows written;
 * the manifest comes last. Memory stays flat: rows stream from the server in batches of about a
 * megabyte into the file pipeline, with backpressure.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DatabaseManagerConfig } from '../db/index.js';
import { quoteId } from '../db/index.js';
import { BackupError } from '../errors.js';
import { listTables, resolveDatabases, type TableInfo } from './catalog.js';
import { type Chunk, planTable, type TablePlan } from './chunk-planner.js';
import { checkCompression, SUFFIX } from './codec.js';
import { encryptionForNewBackup } from './crypto.js';
import { type FileCodec, openSink, writeWhole } from './file-io.js';
import { TOOL_VERSION, writeManifest } from './manifest.js';
import { chooseEncoding, type RowEncoding, selectList } from './row-select.js';
import { dumpSchema } from './schema-dump.js';
import { backupFailure, Session, targetOf } from './session.js';
import { openSharedSnapshot } from './snapshot.js';
import { RowEncoder } from './tsv-encode.js';
import type {
  BackupProgress,
  BackupSettings,
  Manifest,
  ManifestFile,
  ManifestTable,
  SchemaDocument,
} from './types.js';
import { dumpUsers } from './users.js';

/** Options of `backupFull`; all optional: by default the configured database, all of its objects, no accounts. */
export interface BackupFullOptions {
  /** Databases to dump. Default: the configured database (DB_NAME). */
  databases?: readonly string[];
  /** Only these tables: `table` (in every dumped database) or `db.table`. Views, routines and events are then left out. */
  tables?: readonly string[];
  /** Worker sessions. Default: `settings.threads`. */
  threads?: number;
  /** Target rows per chunk. Default 200 000. */
  chunkRows?: number;
  /** Also keep every non-system account and role with its grants (users.ts). Default false. */
  users?: boolean;
  /** Progress events (never printed by the library). */
  onProgress?: (e: BackupProgress) => void;
}

/**
 * What `backupFull` resolves with: the new backup's id (`full-<UTC time>-<hex>`, also its folder's
 * name in `settings.dir`), its folder, and the manifest written there.
 */
export interface BackupResult {
  id: string;
  /** The backup's folder. */
  dir: string;
  manifest: Manifest;
}

const FLUSH_BYTES = 1024 * 1024;
const DEFAULT_CHUNK_ROWS = 200_000;

/**
 * Take a full logical backup into a new folder of `settings.dir`. Throws BackupError (and leaves
 * no folder behind) when anything fails; connection problems surface as ConnectError.
 *
 * ```ts
 * const { id, manifest } = await backupFull(config, settings, { threads: 4 });
 * ```
 */
export async function backupFull(
  config: DatabaseManagerConfig,
  settings: BackupSettings,
  options: BackupFullOptions = {},
): Promise<BackupResult> {
  const startedAt = new Date();
  const threads = options.threads ?? settings.threads;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new BackupError({ message: `threads must be 1 to 64, got ${threads}`, exitCode: 2 });
  }
  checkCompression(settings.compression);
  const { key, encryption } = encryptionForNewBackup(settings);
  const codec: FileCodec = { compression: settings.compression, key };
  const report = options.onProgress ?? (() => {});
  const target = targetOf(config);
  const databaseNames = options.databases?.length
    ? options.databases
    : target.database
      ? [target.database]
      : [];
  if (databaseNames.length === 0) {
    throw new BackupError({
      message: 'no database to back up',
      hint: 'set DB_NAME or pass --databases',
      exitCode: 2,
    });
  }

  const sessions: Session[] = [];
  const id = backupId(startedAt);
  const dir = path.join(settings.dir, id);
  let created = false;
  try {
    const coordinator = await Session.open(target.options, target);
    sessions.push(coordinator);
    const databases = await resolveDatabases(coordinator, databaseNames);
    const filters = tableFilters(databases, options.tables);
    const tables: TableInfo[] = [];
    for (const db of databases) tables.push(...(await listTables(coordinator, db, filters.get(db))));
    for (let i = 0; i < threads; i++) sessions.push(await Session.open(target.options, target));
    const workers = sessions.slice(1);

    await fsp.mkdir(settings.dir, { recursive: true, mode: 0o700 });
    await fsp.mkdir(dir, { mode: 0o700 });
    created = true;

    report({ phase: 'snapshot', rows: 0, totalRows: 0 });
    const snapshot = await openSharedSnapshot(coordinator, workers);
    await Promise.all(workers.map((w) => w.run('SET SESSION character_set_results = binary')));

    report({ phase: 'plan', rows: 0, totalRows: 0 });
    const plans = await planAll(workers, tables, options.chunkRows ?? DEFAULT_CHUNK_ROWS);
    const totalRows = tables.reduce((n, t) => n + t.estimatedRows, 0);
    const [packet] = await coordinator.rows<{ p: number | string }>('SELECT @@max_allowed_packet AS p');
    const maxPacket = Number(packet?.p ?? 0);
    const encodings = new Map(tables.map((t) => [t, chooseEncoding(t, maxPacket)]));

    // The schema is written by the coordinator while the workers dump.
    const schemaFile = `schema.json${SUFFIX[settings.compression]}${key ? '.enc' : ''}`;
    const schemaDone = (async () => {
      const doc: SchemaDocument = { format: 1, databases: [] };
      for (const db of databases) doc.databases.push(await dumpSchema(coordinator, db, filters.get(db)));
      if (options.users) doc.users = await dumpUsers(coordinator);
      return writeWhole(dir, schemaFile, Buffer.from(JSON.stringify(doc)), codec);
    })();
    schemaDone.catch(() => {});

    let rowsDone = 0;
    const results = new Map<Chunk, { file: ManifestFile; rows: number }>();
    const counted = new Map<TablePlan, number>();
    // Biggest tables first; then the snapshot counts of the chunked tables, as tasks of their own:
    // taken by workers whose last chunks are done while others still dump, instead of a serial
    // tail after the dump (up to a second on the benchmark's 3.4 million rows).
    const queue: Array<{ chunk: Chunk } | { count: TablePlan }> = [
      ...plans
        .slice()
        .sort((a, b) => b.table.estimatedRows - a.table.estimatedRows)
        .flatMap((p) => p.chunks.map((chunk) => ({ chunk }))),
      ...plans.filter((p) => p.chunks.length > 1).map((count) => ({ count })),
    ];
    await Promise.all(
      workers.map(async (w) => {
        for (let task = queue.shift(); task; task = queue.shift()) {
          if ('count' in task) {
            counted.set(task.count, await countRows(w, task.count));
            continue;
          }
          const chunk = task.chunk;
          const rel = chunkPath(chunk, settings.compression, key !== undefined);
          const encoding = encodings.get(chunk.table) ?? 'client';
          const result = await dumpChunk(w, chunk, encoding, dir, rel, codec, (n) => {
            rowsDone += n;
            report({
              phase: 'dump',
              rows: rowsDone,
              totalRows: Math.max(totalRows, rowsDone),
              table: `${chunk.table.database}.${chunk.table.name}`,
            });
          });
          results.set(chunk, result);
        }
      }),
    );
    checkCounts(plans, counted, results);
    await Promise.all(workers.map((w) => w.run('COMMIT')));
    report({ phase: 'schema', rows: rowsDone, totalRows: rowsDone });
    const schema = await schemaDone;

    const manifestTables: ManifestTable[] = plans.map((p) => {
      const chunks = p.chunks.map((c) => {
        const r = results.get(c) as { file: ManifestFile; rows: number };
        return { file: r.file.path, rows: r.rows };
      });
      return {
        database: p.table.database,
        table: p.table.name,
        columns: p.table.columns.map((c) => c.name),
        rows: chunks.reduce((n, c) => n + c.rows, 0),
        chunks,
        encoding: encodings.get(p.table) ?? 'client',
        chunking: p.chunking,
      };
    });
    const files = [
      schema,
      ...plans.flatMap((p) => p.chunks.map((c) => (results.get(c) as { file: ManifestFile }).file)),
    ];
    const manifest: Manifest = {
      format: 1,
      tool: { name: 'mysqlops', version: TOOL_VERSION },
      id,
      type: 'full',
      server: { flavor: coordinator.flavor.kind, version: coordinator.flavor.versionString },
      databases,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      snapshot,
      compression: settings.compression,
      encryption,
      schemaFile,
      tables: manifestTables,
      files,
      totals: {
        rows: manifestTables.reduce((n, t) => n + t.rows, 0),
        bytes: files.reduce((n, f) => n + f.size, 0),
        files: files.length,
      },
    };
    report({ phase: 'manifest', rows: rowsDone, totalRows: rowsDone });
    await writeManifest(dir, manifest, key);
    return { id, dir, manifest };
  } catch (err) {
    for (const s of sessions) s.destroy();
    sessions.length = 0;
    if (created) await fsp.rm(dir, { recursive: true, force: true });
    throw backupFailure('backup', err);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/** `full-20261201T131500Z-3fa2`: sortable by time, unique within a second. */
function backupId(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `full-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Per database, the tables named for it (undefined: all). */
function tableFilters(
  databases: readonly string[],
  tables: readonly string[] | undefined,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!tables?.length) return out;
  for (const t of tables) {
    const [a, b] = t.split('.');
    const pairs =
      b === undefined ? databases.map((db) => [db, a as string] as const) : [[a as string, b] as const];
    for (const [db, name] of pairs) {
      if (!databases.includes(db)) {
        throw new BackupError({ message: `--tables names ${t}, but ${db} is not dumped`, exitCode: 2 });
      }
      out.set(db, (out.get(db) ?? new Set()).add(name));
    }
  }
  return out;
}

function chunkPath(chunk: Chunk, compression: BackupSettings['compression'], encrypted: boolean): string {
  const n = String(chunk.index).padStart(5, '0');
  return `data/${chunk.table.database}/${chunk.table.name}.${n}.tsv${SUFFIX[compression]}${encrypted ? '.enc' : ''}`;
}

/** Plan every table, spreading the work over the workers (all inside the snapshot). */
async function planAll(
  workers: readonly Session[],
  tables: readonly TableInfo[],
  chunkRows: number,
): Promise<TablePlan[]> {
  const plans: TablePlan[] = new Array(tables.length);
  let next = 0;
  await Promise.all(
    workers.map(async (w) => {
      for (let i = next++; i < tables.length; i = next++)
        plans[i] = await planTable(w, tables[i] as TableInfo, chunkRows);
    }),
  );
  return plans;
}

/** Stream one chunk's rows into its file. */
async function dumpChunk(
  w: Session,
  chunk: Chunk,
  encoding: RowEncoding,
  dir: string,
  rel: string,
  codec: FileCodec,
  onRows: (n: number) => void,
): Promise<{ file: ManifestFile; rows: number }> {
  const t = chunk.table;
  const sql = `SELECT ${selectList(t, encoding)} FROM ${quoteId(t.database)}.${quoteId(t.name)}${chunk.where ? ` WHERE ${chunk.where}` : ''}`;
  const sink = openSink(dir, rel, codec);
  const encoder = new RowEncoder();
  let rows = 0;
  let reported = 0;
  const take = () => {
    onRows(rows - reported);
    reported = rows;
    return encoder.take();
  };
  try {
    // Row events rather than an async iterator: at millions of rows the per-row promise hops cost
    // more than the rest of the client's work. The connection pauses while the file pipeline is full.
    await new Promise<void>((resolve, reject) => {
      const conn = w.conn;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      sink.done.catch(fail);
      const query = conn.query({ sql, rowsAsArray: true, typeCast: (field) => field.buffer() }, chunk.params);
      query.on('result', (row) => {
        const values = row as unknown as Array<Buffer | null>;
        if (encoding === 'server') encoder.addLine(values[0] as Buffer);
        else encoder.add(values);
        rows++;
        if (encoder.length >= FLUSH_BYTES && !sink.input.write(take())) {
          conn.pause();
          sink.input.once('drain', () => conn.resume());
        }
      });
      query.on('error', fail);
      query.on('end', () => {
        if (failed) return;
        sink.input.end(take());
        resolve();
      });
    });
    return { file: await sink.done, rows };
  } catch (err) {
    sink.input.destroy();
    throw backupFailure(`dumping ${t.database}.${t.name}`, err, rel);
  }
}

/** The rows of a table in the snapshot (every worker shares it). */
async function countRows(s: Session, p: TablePlan): Promise<number> {
  const [row] = await s.rows<{ n: Buffer | string | number }>(
    `SELECT COUNT(*) AS n FROM ${quoteId(p.table.database)}.${quoteId(p.table.name)}`,
  );
  return Number(String(row?.n ?? -1));
}

/** Every table split in several chunks is counted in the snapshot: the chunks must hold exactly its rows. */
function checkCounts(
  plans: readonly TablePlan[],
  counted: ReadonlyMap<TablePlan, number>,
  results: ReadonlyMap<Chunk, { rows: number }>,
): void {
  for (const p of plans) {
    if (p.chunks.length < 2) continue;
    const n = counted.get(p) ?? -1;
    const dumped = p.chunks.reduce((sum, c) => sum + (results.get(c)?.rows ?? 0), 0);
    if (n !== dumped) {
      throw new BackupError({
        message: `chunks of ${p.table.database}.${p.table.name} hold ${dumped} rows, the table has ${n} in the snapshot`,
        hint: 'this is a bug in chunk planning; please report it with the table definition',
      });
    }
  }
}
