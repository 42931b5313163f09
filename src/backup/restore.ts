/**
 * `restore()`: a full backup into empty databases. Tables are created with only their primary key
 * (and the keys AUTO_INCREMENT needs); chunk files load in parallel (restore-load.ts), the biggest
 * work first; each table gets its secondary keys (one ALTER, a sorted build) from the session that
 * loaded its last chunk, while the other sessions go on loading; then foreign keys, routines, views,
 * triggers and events. By default nothing of it is written to the binary log (`binlog`).
 */
import type { DatabaseManagerConfig } from '../db/index.js';
import { isValidIdentifier, quoteId } from '../db/index.js';
import { BackupError } from '../errors.js';
import { type FileCodec, readWhole } from './file-io.js';
import { openBackup } from './locate.js';
import { enumColumns, loadChunk, prepareSession, type TableLoad } from './restore-load.js';
import { splitCreateTable } from './schema-dump.js';
import { backupFailure, Session, targetOf } from './session.js';
import type {
  BackupSettings,
  DatabaseSchema,
  Manifest,
  ManifestChunk,
  RestoreProgress,
  SchemaDocument,
} from './types.js';

/** Options of `restore`; all optional: by default the backup's own database names, into empty databases, not logged. */
export interface RestoreOptions {
  /** Restore the backup's one database under this name instead of its own. */
  targetDb?: string;
  /** Loading sessions. Default `settings.threads`. */
  threads?: number;
  /** Restore into databases that hold objects: the backup's objects are dropped and recreated. */
  force?: boolean;
  /**
   * Write the restore to the binary log (default false: the loading sessions set sql_log_bin = 0,
   * as myloader does unless --enable-binlog). Off, replicas of the target server do not receive the
   * restored data, and the restore cannot be replayed from the binary log; skipping it needs
   * BINLOG ADMIN (MariaDB) or SESSION_VARIABLES_ADMIN (MySQL).
   */
  binlog?: boolean;
  /** Progress events (never printed by the library). */
  onProgress?: (e: RestoreProgress) => void;
}

/** One table of the restore: its data (absent for a table the manifest lists no data for), then its keys. */
interface TableJob {
  qualified: string;
  load: TableLoad | undefined;
  keys: string[];
  foreignKeys: string[];
}

/**
 * What `restore` resolves with: the backup restored, each source database with the name it got,
 * table and row counts, and wall times in ms (`ms` in total, split into loading and indexing).
 */
export interface RestoreResult {
  id: string;
  databases: Array<{ source: string; target: string }>;
  tables: number;
  rows: number;
  ms: number;
  /** From the first chunk until the last table's data is in (earlier tables get their keys meanwhile). */
  loadMs: number;
  /** From then until the last secondary and foreign keys are in. */
  indexMs: number;
}

/**
 * Restore backup `nameOrPath` (an id in `settings.dir`, or a folder). Throws E_RESTORE_TARGET when
 * a target database is not empty (without `force`), E_BACKUP_KEY for a wrong or missing key,
 * E_BACKUP_CORRUPT naming the file for any damaged file, E_BACKUP_INCOMPLETE for a backup without
 * a manifest.
 */
export async function restore(
  config: DatabaseManagerConfig,
  settings: BackupSettings,
  nameOrPath: string,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const started = performance.now();
  const report = options.onProgress ?? (() => {});
  const { dir, manifest, key } = await openBackup(settings, nameOrPath);
  if (manifest.type !== 'full') {
    throw new BackupError({
      message: `${manifest.id} is an incremental backup (binary logs): restore() loads full backups only`,
      hint: `use pitrRestore() (CLI: mysqlops restore ${manifest.id}), which restores its full backup ${manifest.incremental?.full ?? ''} and replays the chain up to it`,
      exitCode: 2,
    });
  }
  const codec: FileCodec = { compression: manifest.compression, key };
  const schema = await readSchema(dir, manifest, codec);
  const mapping = targetNames(manifest, options.targetDb);
  const threads = options.threads ?? settings.threads;
  const binlog = options.binlog === true;
  const target = targetOf(config);
  const sessions: Session[] = [];
  try {
    const admin = await Session.open(target.options, target);
    sessions.push(admin);
    report({ phase: 'check', rows: 0, totalRows: manifest.totals.rows });
    for (const db of schema.databases)
      await checkTarget(admin, db, mapping.get(db.name) as string, options.force === true);

    report({ phase: 'schema', rows: 0, totalRows: manifest.totals.rows });
    await prepareSession(admin, binlog);
    const jobs: TableJob[] = [];
    for (const db of schema.databases) {
      const name = mapping.get(db.name) as string;
      await admin.run(createDatabaseSql(db, name));
      await admin.run(`USE ${quoteId(name)}`);
      for (const t of db.tables) {
        const split = splitCreateTable(t.create);
        await admin.run(split.create);
        const table = manifest.tables.find((m) => m.database === db.name && m.table === t.name);
        jobs.push({
          qualified: `${quoteId(name)}.${quoteId(t.name)}`,
          load: table ? { table, database: name } : undefined,
          keys: split.keys,
          foreignKeys: split.foreignKeys,
        });
      }
    }

    for (let i = 0; i < Math.max(1, threads); i++) {
      const s = await Session.open(target.options, target);
      sessions.push(s);
      await prepareSession(s, binlog);
    }
    const loadStarted = performance.now();
    let lastLoaded = loadStarted;
    let rowsDone = 0;
    const queue = workQueue(jobs, manifest);
    const enumCols = new Map<TableJob, Promise<Set<string>>>();
    await Promise.all(
      sessions.slice(1).map(async (s) => {
        for (let item = queue.items.shift(); item; item = queue.items.shift()) {
          const { job, chunk } = item;
          if (job.load && chunk) {
            const load = job.load;
            let cols = enumCols.get(job);
            if (!cols) {
              cols = enumColumns(s, load.database, load.table.table);
              enumCols.set(job, cols);
            }
            await loadChunk(s, dir, manifest, codec, load, chunk, await cols);
            rowsDone += chunk.rows;
            report({
              phase: 'load',
              rows: rowsDone,
              totalRows: manifest.totals.rows,
              table: `${load.database}.${load.table.table}`,
            });
            if (queue.chunkDone(job) > 0) continue;
          }
          lastLoaded = performance.now();
          // Right after the table's last chunk, while its pages are still in the buffer pool, and
          // alongside the other tables' loads rather than after all of them.
          if (job.keys.length > 0) await s.run(`ALTER TABLE ${job.qualified} ${job.keys.join(', ')}`);
        }
      }),
    );
    report({ phase: 'indexes', rows: rowsDone, totalRows: manifest.totals.rows });
    for (const job of jobs) {
      if (job.foreignKeys.length > 0)
        await admin.run(`ALTER TABLE ${job.qualified} ${job.foreignKeys.join(', ')}`);
    }
    const loadMs = lastLoaded - loadStarted;
    const indexMs = performance.now() - lastLoaded;

    report({ phase: 'objects', rows: rowsDone, totalRows: manifest.totals.rows });
    for (const db of schema.databases) await createObjects(admin, db, mapping.get(db.name) as string);

    return {
      id: manifest.id,
      databases: [...mapping].map(([source, t]) => ({ source, target: t })),
      tables: manifest.tables.length,
      rows: rowsDone,
      ms: Math.round(performance.now() - started),
      loadMs: Math.round(loadMs),
      indexMs: Math.round(indexMs),
    };
  } catch (err) {
    for (const s of sessions) s.destroy();
    sessions.length = 0;
    throw backupFailure('restore', err);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
  }
}

/**
 * Every table's chunks, in order of the table's estimated work (its bytes on disk, times one plus its
 * number of secondary keys, since each key is one more sorted pass after the data): the longest work
 * starts at once, small tables fill the gaps at the end. A table whose file holds no rows gets one
 * keys-only item. `chunkDone(job)` counts a table's loaded chunk and returns how many are left.
 */
function workQueue(jobs: TableJob[], manifest: Manifest) {
  const size = new Map(manifest.files.map((f) => [f.path, f.size]));
  const cost = new Map<TableJob, number>();
  for (const job of jobs) {
    const bytes = (job.load?.table.chunks ?? []).reduce((sum, c) => sum + (size.get(c.file) ?? 0), 0);
    cost.set(job, bytes * (1 + job.keys.length));
  }
  const left = new Map<TableJob, number>();
  const items: Array<{ job: TableJob; chunk?: ManifestChunk }> = [];
  for (const job of jobs.slice().sort((a, b) => (cost.get(b) ?? 0) - (cost.get(a) ?? 0))) {
    const chunks = job.load?.table.chunks.filter((c) => c.rows > 0) ?? [];
    left.set(job, chunks.length);
    if (chunks.length === 0) items.push({ job });
    for (const chunk of chunks) items.push({ job, chunk });
  }
  return {
    items,
    chunkDone(job: TableJob): number {
      const n = (left.get(job) ?? 1) - 1;
      left.set(job, n);
      return n;
    },
  };
}

async function readSchema(dir: string, manifest: Manifest, codec: FileCodec): Promise<SchemaDocument> {
  const entry = manifest.files.find((f) => f.path === manifest.schemaFile);
  if (!entry) {
    throw new BackupError({
      code: 'E_BACKUP_CORRUPT',
      message: 'the manifest lists no schema file',
      file: 'manifest.json',
    });
  }
  const doc = JSON.parse((await readWhole(dir, entry, codec)).toString('utf8')) as SchemaDocument;
  if (doc.format !== 1 || !Array.isArray(doc.databases)) {
    throw new BackupError({
      code: 'E_BACKUP_CORRUPT',
      message: `schema file ${entry.path} has an unknown format`,
      file: entry.path,
    });
  }
  return doc;
}

/** Source database -> target database. */
function targetNames(manifest: Manifest, targetDb: string | undefined): Map<string, string> {
  const out = new Map(manifest.databases.map((d) => [d, d]));
  if (targetDb === undefined) return out;
  if (!isValidIdentifier(targetDb))
    throw new BackupError({ message: `invalid --target-db ${JSON.stringify(targetDb)}`, exitCode: 2 });
  if (manifest.databases.length !== 1) {
    throw new BackupError({
      message: `--target-db needs a backup of one database; ${manifest.id} holds ${manifest.databases.join(', ')}`,
      exitCode: 2,
    });
  }
  return new Map([[manifest.databases[0] as string, targetDb]]);
}

/** Refuse a target holding any table, view, routine or event, unless `force` (then drop the backup's objects). */
async function checkTarget(s: Session, db: DatabaseSchema, name: string, force: boolean): Promise<void> {
  const [row] = await s.rows<{ n: number }>(
    `SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?)
          + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?)
          + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?) AS n`,
    [name, name, name],
  );
  if (Number(row?.n ?? 0) === 0) return;
  if (!force) {
    throw new BackupError({
      code: 'E_RESTORE_TARGET',
      message: `database ${name} is not empty; restore refuses to write into it`,
      hint: 'restore into a new database with --target-db NAME, or pass --force to drop and recreate the objects the backup holds',
    });
  }
  const q = quoteId(name);
  await s.run('SET SESSION foreign_key_checks = 0');
  for (const v of db.views) await s.run(`DROP VIEW IF EXISTS ${q}.${quoteId(v.name)}`);
  for (const t of db.tables) await s.run(`DROP TABLE IF EXISTS ${q}.${quoteId(t.name)}`);
  for (const r of db.routines) await s.run(`DROP ${r.type} IF EXISTS ${q}.${quoteId(r.name)}`);
  for (const e of db.events) await s.run(`DROP EVENT IF EXISTS ${q}.${quoteId(e.name)}`);
}

function createDatabaseSql(db: DatabaseSchema, name: string): string {
  const cs = /CHARACTER SET (\w+)/i.exec(db.createDatabase)?.[1];
  const coll = /COLLATE (\w+)/i.exec(db.createDatabase)?.[1];
  return `CREATE DATABASE IF NOT EXISTS ${quoteId(name)}${cs ? ` CHARACTER SET ${cs}` : ''}${coll ? ` COLLATE ${coll}` : ''}`;
}

/** Routines, views (in dependency order, by retrying), triggers and events of one database. */
async function createObjects(s: Session, db: DatabaseSchema, name: string): Promise<void> {
  const rename = (sql: string) =>
    name === db.name ? sql : sql.split(`${quoteId(db.name)}.`).join(`${quoteId(name)}.`);
  await s.run(`USE ${quoteId(name)}`);
  const withMode = async (mode: string, sql: string) => {
    await s.run('SET SESSION sql_mode = ?', [mode]);
    await s.run(rename(sql));
  };
  for (const r of db.routines) await withMode(r.sqlMode, r.create);
  await s.run("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'");
  let pending = db.views.slice();
  while (pending.length > 0) {
    const failed: typeof pending = [];
    let lastError: unknown;
    for (const v of pending) {
      try {
        await s.run(rename(v.create));
      } catch (err) {
        failed.push(v);
        lastError = err;
      }
    }
    if (failed.length === pending.length)
      throw backupFailure(`creating view ${name}.${failed[0]?.name}`, lastError);
    pending = failed;
  }
  for (const t of db.triggers) await withMode(t.sqlMode, t.create);
  for (const e of db.events) {
    await s.run('SET SESSION time_zone = ?', [e.timeZone]);
    await withMode(e.sqlMode, e.create);
  }
  await s.run("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'");
}
