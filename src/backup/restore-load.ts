/**
 * The data phase of a restore, one chunk file at a time: the file streamed (checksum, decryption,
 * decompression) into LOAD DATA LOCAL INFILE, in a transaction that commits only when the row count,
 * the warnings and the whole file checked out, so a damaged file loads nothing and names itself.
 *
 * Loading sessions keep unique_checks on. Off (with foreign_key_checks off), MariaDB 10.6+ takes
 * the first insert into an empty table as a bulk insert (MDEV-515/MDEV-24621: an exclusive table
 * lock, no per-row undo, rows sorted into the indexes); measured on the seeded shop, one such
 * transaction per table cost about 20-30% more server CPU than plain inserts into tables that hold
 * only their primary key (the chunks arrive in key order), and it serialises a table's chunks. With
 * the secondary keys added after the data, the check it turns on costs nothing.
 */
import type { ResultSetHeader } from 'mysql2';
import { quoteId } from '../db/index.js';
import { BackupError, driverFields } from '../errors.js';
import { type FileCodec, openSource } from './file-io.js';
import { query, type Session } from './session.js';
import { LOAD_FORMAT } from './tsv-encode.js';
import type { Manifest, ManifestChunk, ManifestTable } from './types.js';

/** Where the data of one backed-up table goes. */
export interface TableLoad {
  table: ManifestTable;
  /** Target database. */
  database: string;
}

/**
 * Loading (and schema) sessions: no foreign key checks (the data is a consistent snapshot), zero
 * dates and AUTO_INCREMENT 0 kept, UTC, READ COMMITTED. With `binlog` false the session's changes
 * stay out of the binary log (sql_log_bin = 0: BINLOG ADMIN on MariaDB 10.5.2+, SUPER before;
 * SYSTEM_VARIABLES_ADMIN or SESSION_VARIABLES_ADMIN on MySQL 8); an account without it gets
 * E_BACKUP naming the two ways out.
 */
export async function prepareSession(s: Session, binlog: boolean): Promise<void> {
  await s.run(
    "SET SESSION foreign_key_checks = 0, unique_checks = 1, sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00'",
  );
  // Chunks of one table load side by side: without gap locks they do not block each other.
  await s.run('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  if (binlog) return;
  try {
    await s.run('SET SESSION sql_log_bin = 0');
  } catch (err) {
    const d = driverFields(err);
    if (d.errno !== 1227 && d.errno !== 1044 && d.errno !== 1045) throw err;
    throw new BackupError({
      message: `restore skips the binary log by default, and this account may not: ${d.sqlMessage ?? (err as Error).message}`,
      hint: 'grant it BINLOG ADMIN (MariaDB) or SESSION_VARIABLES_ADMIN (MySQL), or restore with --binlog (slower; replicas then receive the restored data)',
      cause: err,
    });
  }
}

/** Deadlock and lock wait timeout: the chunk's transaction was rolled back and can simply run again. */
const RETRYABLE = new Set([1213, 1205]);
const LOAD_ATTEMPTS = 5;

/**
 * Load one chunk file of `job` in its own transaction on `s`, again after a deadlock or lock wait
 * timeout (each attempt rereads the file). `enumCols`: the table's ENUM/SET columns.
 */
export async function loadChunk(
  s: Session,
  dir: string,
  manifest: Manifest,
  codec: FileCodec,
  job: TableLoad,
  chunk: ManifestChunk,
  enumCols: Set<string>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await s.run('START TRANSACTION');
      await loadFile(s, dir, manifest, codec, job, chunk, enumCols);
      await s.run('COMMIT');
      return;
    } catch (err) {
      await query(s.conn, 'ROLLBACK').catch(() => {});
      const errno = driverFields(err).errno;
      if (attempt >= LOAD_ATTEMPTS || errno === undefined || !RETRYABLE.has(errno))
        throw asLoadError(err, job, chunk);
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt * Math.random()));
    }
  }
}

/** ENUM/SET columns of a table: the only ones where a load warning (1265, the '' error value) is expected. */
export async function enumColumns(s: Session, db: string, table: string): Promise<Set<string>> {
  const rows = await s.rows<{ c: string }>(
    "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('enum', 'set')",
    [db, table],
  );
  return new Set(rows.map((r) => r.c));
}

/** One chunk file into the open transaction; checks its row count and warnings. */
async function loadFile(
  s: Session,
  dir: string,
  manifest: Manifest,
  codec: FileCodec,
  job: TableLoad,
  chunk: ManifestChunk,
  enumCols: Set<string>,
): Promise<void> {
  const { table: t, database: db } = job;
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
  let result: ResultSetHeader;
  try {
    result = await new Promise<ResultSetHeader>((resolve, reject) => {
      s.conn.query<ResultSetHeader>(
        { sql, infileStreamFactory: () => openSource(dir, entry, codec) },
        (err, res) => (err ? reject(err) : resolve(res)),
      );
    });
  } catch (err) {
    // A deadlock stays a driver error, so that the table's load can run again.
    const errno = driverFields(err).errno;
    throw errno !== undefined && RETRYABLE.has(errno) ? err : asLoadError(err, job, chunk);
  }
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
}

/** A failure while loading `chunk` as a BackupError naming the file (BackupErrors pass through). */
function asLoadError(err: unknown, job: TableLoad, chunk: ManifestChunk): unknown {
  if (err instanceof BackupError) return err;
  const d = driverFields(err);
  return new BackupError({
    message: `loading ${chunk.file} into ${job.database}.${job.table.table} failed: ${d.sqlMessage ?? (err as Error).message}`,
    hint:
      d.errno === 1148 || d.errno === 3948 || d.errno === 4166
        ? 'the server refuses LOAD DATA LOCAL: set local_infile=ON on the server'
        : undefined,
    file: chunk.file,
    cause: err,
  });
}
