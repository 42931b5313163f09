/**
 * The acceptance round trip: a migrated, seeded database -> full backup -> restore into another
 * database: CHECKSUM TABLE equal for every table, views, routines, triggers and events identical.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupResult, backupFull, restore, verifyBackup } from '../../src/backup/index.js';
import { DatabaseManager, quoteId } from '../../src/db/index.js';
import { seed } from '../../src/seed/index.js';
import type { TestDatabase } from '../support/db.js';
import { sandboxConfig } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';
import { backupDir, checksums, dropDatabase, freshName, objectDefinitions, settings } from './helpers.js';

let src: TestDatabase;
let admin: DatabaseManager;
let backup: BackupResult;
const target = freshName('bk_restored');
const dir = backupDir('roundtrip');
const s = settings(dir, { threads: 3 });

beforeAll(async () => {
  src = await createMigratedDatabase('bk_src');
  await seed(src.config(), { customers: 150, orders: 400, products: 20, seed: 'backup' });
  admin = new DatabaseManager(sandboxConfig());
  const q = quoteId(src.name);
  // Objects the schema may not have (yet): one of each kind, so each kind is compared.
  await admin.execute(
    `CREATE TABLE ${q}.bk_note (id INT PRIMARY KEY, note VARCHAR(40), n INT NOT NULL DEFAULT 0)`,
  );
  await admin.execute(
    `CREATE TRIGGER ${q}.bk_note_bi BEFORE INSERT ON ${q}.bk_note FOR EACH ROW SET NEW.n = CHAR_LENGTH(NEW.note)`,
  );
  await admin.execute(`INSERT INTO ${q}.bk_note (id, note) VALUES (1, 'trigger ran'), (2, '')`);
  await admin.execute(
    `CREATE EVENT ${q}.bk_tidy ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM bk_note WHERE id < 0`,
  );
  await admin.execute(`CREATE FUNCTION ${q}.bk_twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2`);
  // Chunking follows the row estimate; the background statistics update after the seed may not have run yet.
  await admin.query(`ANALYZE TABLE ${q}.order_items`);
  backup = await backupFull(src.config(), s, { chunkRows: 300 });
  await restore(src.config(), s, backup.id, { targetDb: target });
}, 180_000);

afterAll(async () => {
  await admin?.close();
  await dropDatabase(target);
  await src?.drop();
});

describe('full backup and restore of a seeded database', () => {
  it('restores every table with an equal CHECKSUM TABLE', async () => {
    const before = await checksums(admin, src.name);
    const after = await checksums(admin, target);
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(9);
    expect(after).toEqual(before);
  });

  it('restores views, routines, triggers and events identically (SHOW CREATE)', async () => {
    const before = await objectDefinitions(admin, src.name);
    const after = await objectDefinitions(admin, target);
    const kinds = new Set(Object.keys(before).map((k) => k.split(' ')[0]));
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining(['event', 'function', 'procedure', 'trigger', 'view']),
    );
    expect(after).toEqual(before);
  });

  it('keeps secondary indexes and foreign keys: SHOW CREATE TABLE is identical', async () => {
    const tables = Object.keys(await checksums(admin, src.name));
    for (const t of tables) {
      const [a] = await admin.query<Record<string, string>>(
        `SHOW CREATE TABLE ${quoteId(src.name)}.${quoteId(t)}`,
      );
      const [b] = await admin.query<Record<string, string>>(
        `SHOW CREATE TABLE ${quoteId(target)}.${quoteId(t)}`,
      );
      expect(b?.['Create Table'], t).toBe(a?.['Create Table']);
    }
  });

  it('splits big tables into several chunks and records rows per table', () => {
    const items = backup.manifest.tables.find((t) => t.table === 'order_items');
    expect(items?.chunks.length).toBeGreaterThan(1);
    expect(items?.chunking).toBe('integer-range');
    expect(backup.manifest.totals.rows).toBe(backup.manifest.tables.reduce((n, t) => n + t.rows, 0));
  });

  it('records the snapshot binlog position and GTID, with the commit block held briefly', () => {
    const snap = backup.manifest.snapshot;
    expect(snap.method).toBe('backup-stage-block-commit');
    expect(snap.binlogFile).toMatch(/\.\d+$/);
    expect(snap.binlogPosition).toBeGreaterThan(0);
    expect(snap.gtid).toMatch(/^\d+-\d+-\d+/);
    expect(snap.lockHeldMs).toBeLessThan(1000);
  });

  it('writes every file 0600 in 0700 folders, manifest last', () => {
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          expect(statSync(p).mode & 0o777, p).toBe(0o700);
          return walk(p);
        }
        return [p];
      });
    const files = walk(backup.dir);
    expect(files.length).toBe(backup.manifest.files.length + 1);
    for (const f of files) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(files.some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('verifies clean', async () => {
    const v = await verifyBackup(s, backup.id);
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.rows).toBe(backup.manifest.totals.rows);
  });
});
