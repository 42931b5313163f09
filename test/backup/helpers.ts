/**
 * Backup test helpers: a private backup directory and settings per test file, an admin manager,
 * and comparisons of two databases (CHECKSUM TABLE of every table, SHOW CREATE of every object).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { BackupSettings } from '../../src/backup/index.js';
import { DatabaseManager, quoteId } from '../../src/db/index.js';
import { sandboxConfig } from '../support/db.js';

const made: string[] = [];
// Registered when a test file first imports this module: its backup folders go with it.
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A private temporary folder for one test file's backups, removed after the file's tests. */
export function backupDir(label: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mysqlops-backup-${label}-`));
  made.push(dir);
  return dir;
}

export function settings(dir: string, more: Partial<BackupSettings> = {}): BackupSettings {
  return { dir, retentionDays: 7, encrypt: false, compression: 'zstd', threads: 2, ...more };
}

/** A fresh database name (not created). */
export function freshName(label: string): string {
  return `t_${label}_${randomBytes(3).toString('hex')}`;
}

export async function withAdmin<T>(fn: (db: DatabaseManager) => Promise<T>): Promise<T> {
  const db = new DatabaseManager(sandboxConfig());
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((db) => db.execute(`DROP DATABASE IF EXISTS ${quoteId(name)}`));
}

/** CHECKSUM TABLE of every base table of `database`, by table name. */
export async function checksums(db: DatabaseManager, database: string): Promise<Record<string, string>> {
  const tables = await db.query<{ t: string }>(
    "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
    [database],
  );
  const out: Record<string, string> = {};
  for (const { t } of tables) {
    const [row] = await db.query<{ Checksum: unknown }>(`CHECKSUM TABLE ${quoteId(database)}.${quoteId(t)}`);
    out[t] = String(row?.Checksum);
  }
  return out;
}

/**
 * SHOW CREATE of every view, routine, trigger and event of `database`, by kind and name. The
 * server qualifies names with the database; that one name is replaced by `<db>` so that a copy
 * restored under another name compares equal exactly when nothing else differs.
 */
export async function objectDefinitions(
  db: DatabaseManager,
  database: string,
): Promise<Record<string, string>> {
  const q = quoteId(database);
  const defs = await rawDefinitions(db, database, q);
  return Object.fromEntries(Object.entries(defs).map(([k, v]) => [k, v.split(q).join('`<db>`')]));
}

async function rawDefinitions(
  db: DatabaseManager,
  database: string,
  q: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const views = await db.query<{ n: string }>(
    'SELECT TABLE_NAME AS n FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY 1',
    [database],
  );
  for (const { n } of views) {
    const [r] = await db.query<Record<string, string>>(`SHOW CREATE VIEW ${q}.${quoteId(n)}`);
    out[`view ${n}`] = String(r?.['Create View']);
  }
  const routines = await db.query<{ n: string; t: string }>(
    'SELECT ROUTINE_NAME AS n, ROUTINE_TYPE AS t FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1',
    [database],
  );
  for (const { n, t } of routines) {
    const [r] = await db.query<Record<string, string>>(`SHOW CREATE ${t} ${q}.${quoteId(n)}`);
    out[`${t.toLowerCase()} ${n}`] =
      `${r?.sql_mode} | ${r?.[t === 'PROCEDURE' ? 'Create Procedure' : 'Create Function']}`;
  }
  const triggers = await db.query<{ n: string }>(
    'SELECT TRIGGER_NAME AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1',
    [database],
  );
  for (const { n } of triggers) {
    const [r] = await db.query<Record<string, string>>(`SHOW CREATE TRIGGER ${q}.${quoteId(n)}`);
    out[`trigger ${n}`] = `${r?.sql_mode} | ${r?.['SQL Original Statement']}`;
  }
  const events = await db.query<{ n: string }>(
    'SELECT EVENT_NAME AS n FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY 1',
    [database],
  );
  for (const { n } of events) {
    const [r] = await db.query<Record<string, string>>(`SHOW CREATE EVENT ${q}.${quoteId(n)}`);
    out[`event ${n}`] = `${r?.sql_mode} | ${r?.['Create Event']}`;
  }
  return out;
}
