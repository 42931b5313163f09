/**
 * `restore()`: a full backup into empty databases. Tables are created with only their primary key
 * (and the keys AUTO_INCREMENT needs); chunks load in parallel with LOAD DATA LOCAL INFILE, each
 * streamed from its file through the checksum, decryption and decompression, in a transaction that
 * commits only when the whole file checked out (so a damaged file loads nothing and names itself);
 * then secondary keys (one ALTER per table, in parallel), foreign keys, routines, views, triggers and
 * events. Loading sessions skip foreign key and unique checks: the data is a consistent snapshot.
 */
import type { ResultSetHeader } from 'mysql2';
import type { DatabaseManagerConfig } from '../db/index.js';
import { isValidIdentifier, quoteId } from '../db/index.js';
import { BackupError, driverFields } from '../errors.js';
import { type FileCodec, openSource, readWhole } from './file-io.js';
import { openBackup } from './locate.js';
import { splitCreateTable } from './schema-dump.js';
import { backupFailure, query, Session, targetOf } from './session.js';
import { LOAD_FORMAT } from './tsv-encode.js';
import type {
  BackupSettings,
  DatabaseSchema,
  Manifest,
  ManifestChunk,
  ManifestTable,
  RestoreProgress,
  SchemaDocument,
} from './types.js';

export interface RestoreOptions {
  /** Restore the backup's one database under this name instead of its own. */
  targetDb?: string;
  /** Loading sessions. Default `settings.threads`. */
  threads?: number;
  /** Restore into databases that hold objects: the backup's objects are dropped and recreated. */
  force?: boolean;
  onProgress?: (e: RestoreProgress) => void;
}

export interface RestoreResult {
  id: string;
  databases: Array<{ source: string; target: string }>;
  tables: number;
  rows: number;
  ms: number;
  loadMs: number;
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
      message: `${manifest.id} is an incremental backup (binary logs); restore its full backup ${manifest.incremental?.full ?? ''}`,
      hint: 'replaying incremental backups (point-in-time recovery) is not built yet',
      exitCode: 2,
    });
  }
  const codec: FileCodec = { compression: manifest.compression, key };
  const schema = await readSchema(dir, manifest, codec);
  const mapping = targetNames(manifest, options.targetDb);
  const threads = options.threads ?? settings.threads;
  const target = targetOf(config);
  const sessions: Session[] = [];
  try {
    const admin = await Session.open(target.options, target);
    sessions.push(admin);
    report({ phase: 'check', rows: 0, totalRows: manifest.totals.rows });
    for (const db of schema.databases)
      await checkTarget(admin, db, mapping.get(db.name) as string, options.force === true);

    report({ phase: 'schema', rows: 0, totalRows: manifest.totals.rows });
    await prepareSession(admin);
    const deferred: Array<{ table: string; keys: string[]; foreignKeys: string[] }> = [];
    for (const db of schema.databases) {
      const name = mapping.get(db.name) as string;
      await admin.run(createDatabaseSql(db, name));
      await admin.run(`USE ${quoteId(name)}`);
      for (const t of db.tables) {
        const split = splitCreateTable(t.create);
        await admin.run(split.create);
        deferred.push({
          table: `${quoteId(name)}.${quoteId(t.name)}`,
          keys: split.keys,
          foreignKeys: split.foreignKeys,
        });
      }
    }

    for (let i = 0; i < Math.max(1, threads); i++) {
      const s = await Session.open(target.options, target);
      sessions.push(s);
      await prepareSession(s);
    }
    const loaders = sessions.slice(1);
    const loadStarted = performance.now();
    let rowsDone = 0;
    const work = manifest.tables
      .slice()
      .sort((a, b) => b.rows - a.rows)
      .flatMap((t) => t.chunks.filter((c) => c.rows > 0).map((c) => ({ t, c })));
    const tolerated = new Map<string, Set<string>>();
    await Promise.all(
      loaders.map(async (s) => {
        for (let item = work.shift(); item; item = work.shift()) {
          const tableName = mapping.get(item.t.database) as string;
          const enumCols = await enumColumns(s, tolerated, tableName, item.t.table);
          await loadChunkRetrying(s, dir, manifest, codec, tableName, item.t, item.c, enumCols);
          rowsDone += item.c.rows;
          report({
            phase: 'load',
            rows: rowsDone,
            totalRows: manifest.totals.rows,
            table: `${tableName}.${item.t.table}`,
          });
        }
      }),
    );
    const loadMs = performance.now() - loadStarted;

    report({ phase: 'indexes', rows: rowsDone, totalRows: manifest.totals.rows });
    const indexStarted = performance.now();
    const alters = deferred.filter((d) => d.keys.length > 0);
    await Promise.all(
      loaders.map(async (s) => {
        for (let d = alters.shift(); d; d = alters.shift())
          await s.run(`ALTER TABLE ${d.table} ${d.keys.join(', ')}`);
      }),
    );
    for (const d of deferred) {
      if (d.foreignKeys.length > 0) await admin.run(`ALTER TABLE ${d.table} ${d.foreignKeys.join(', ')}`);
    }
    const indexMs = performance.now() - indexStarted;

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

/** Loading sessions: no foreign key or unique checks, zero dates and AUTO_INCREMENT 0 kept, UTC, explicit commits. */
async function prepareSession(s: Session): Promise<void> {
  await s.run(
    "SET SESSION foreign_key_checks = 0, unique_checks = 0, sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'",
  );
  // Chunks of one table load side by side: without gap locks they do not block each other.
  await s.run('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
}

/** Deadlock and lock wait timeout: the chunk's transaction was rolled back and can simply run again. */
const RETRYABLE = new Set([1213, 1205]);
const LOAD_ATTEMPTS = 5;

/** `loadChunk`, again after a deadlock or lock wait timeout (each attempt rereads the file). */
async function loadChunkRetrying(...args: Parameters<typeof loadChunk>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await loadChunk(...args);
      return;
    } catch (err) {
      const errno = driverFields(err).errno;
      if (attempt >= LOAD_ATTEMPTS || errno === undefined || !RETRYABLE.has(errno)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
    }
  }
}

function createDatabaseSql(db: DatabaseSchema, name: string): string {
  const cs = /CHARACTER SET (\w+)/i.exec(db.createDatabase)?.[1];
  const coll = /COLLATE (\w+)/i.exec(db.createDatabase)?.[1];
  return `CREATE DATABASE IF NOT EXISTS ${quoteId(name)}${cs ? ` CHARACTER SET ${cs}` : ''}${coll ? ` COLLATE ${coll}` : ''}`;
}

/** ENUM/SET columns of a table: the only ones where a load warning (1265, the '' error value) is expected. */
async function enumColumns(
  s: Session,
  cache: Map<string, Set<string>>,
  db: string,
  table: string,
): Promise<Set<string>> {
  const k = `${db}.${table}`;
  let cols = cache.get(k);
  if (!cols) {
    const rows = await s.rows<{ c: string }>(
      "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('enum', 'set')",
      [db, table],
    );
    cols = new Set(rows.map((r) => r.c));
    cache.set(k, cols);
  }
  return cols;
}

async function loadChunk(
  s: Session,
  dir: string,
  manifest: Manifest,
  codec: FileCodec,
  db: string,
  t: ManifestTable,
  chunk: ManifestChunk,
  enumCols: Set<string>,
): Promise<void> {
  const entry = manifest.files.find((f) => f.path === chunk.file);
  if (!entry) {
    throw new BackupError({
      code: 'E_BACKUP_CORRUPT',
      message: `the manifest lists no file ${chunk.file}`,
      file: chunk.file,
    });
  }
  const sql =
    `LOAD DATA LOCAL INFILE 'mysqlops-restore.tsv' INTO TABLE ${quoteId(db)}.${quoteId(t.table)} ${LOAD_FORMAT} ` +
    `(${t.columns.map((c) => quoteId(c)).join(', ')})`;
  await s.run('START TRANSACTION');
  let result: ResultSetHeader;
  try {
    result = await new Promise<ResultSetHeader>((resolve, reject) => {
      s.conn.query<ResultSetHeader>(
        { sql, infileStreamFactory: () => openSource(dir, entry, codec) },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
    if (result.affectedRows !== chunk.rows) {
      throw new BackupError({
        code: 'E_BACKUP_CORRUPT',
        message: `backup file ${chunk.file} loaded ${result.affectedRows} rows into ${db}.${t.table}, the manifest says ${chunk.rows}`,
        file: chunk.file,
      });
    }
    if (result.warningStatus > 0) {
      const warnings = await s.rows<{ Code: number; Message: string }>('SHOW WARNINGS LIMIT 20');
      const bad = warnings.filter(
        (w) => !(w.Code === 1265 && enumCols.has(/column '([^']+)'/.exec(w.Message)?.[1] ?? '')),
      );
      if (bad.length > 0) {
        throw new BackupError({
          message: `loading ${chunk.file} into ${db}.${t.table} changed values: ${bad
            .slice(0, 3)
            .map((w) => w.Message)
            .join('; ')}`,
          hint: 'the target table differs from the backed-up one, or the server lacks a character set the data needs',
          file: chunk.file,
        });
      }
    }
    await s.run('COMMIT');
  } catch (err) {
    await query(s.conn, 'ROLLBACK').catch(() => {});
    if (err instanceof BackupError) throw err;
    const d = driverFields(err);
    throw new BackupError({
      message: `loading ${chunk.file} into ${db}.${t.table} failed: ${d.sqlMessage ?? (err as Error).message}`,
      hint:
        d.errno === 1148 || d.errno === 3948 || d.errno === 4166
          ? 'the server refuses LOAD DATA LOCAL: set local_infile=ON on the server'
          : undefined,
      file: chunk.file,
      cause: err,
    });
  }
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
