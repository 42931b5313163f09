/**
 * Incremental backups: the binary logs since the newest backup, copied byte for byte, chained to
 * their parent, verified like any backup, and not restorable on their own (yet).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSource } from '../../src/backup/file-io.js';
import {
  type BackupResult,
  backupFull,
  backupIncremental,
  type IncrementalResult,
  listBackups,
  restore,
  verifyBackup,
} from '../../src/backup/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, settings } from './helpers.js';

let src: TestDatabase;
const s = settings(backupDir('incremental'), { compression: 'gzip' });
let full: BackupResult;
let first: IncrementalResult;
let second: IncrementalResult;

beforeAll(async () => {
  src = await createTestDatabase('bk_incr');
  await src.db.execute('CREATE TABLE events (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(40))');
  await src.db.execute("INSERT INTO events (what) VALUES ('before the full backup')");
  full = await backupFull(src.config(), s);
  await src.db.execute("INSERT INTO events (what) VALUES ('after the full backup'), ('and more')");
  first = await backupIncremental(src.config(), s);
  await src.db.execute("INSERT INTO events (what) VALUES ('after the first incremental')");
  second = await backupIncremental(src.config(), s);
});

afterAll(async () => {
  await src?.drop();
});

async function plaintext(dir: string, file: { path: string; size: number; sha256: string }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of openSource(dir, file, { compression: 'gzip' })) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('incremental backups', () => {
  it('start where the full backup ended and chain to it', () => {
    const inc = first.manifest.incremental;
    expect(first.manifest.type).toBe('incremental');
    expect(inc?.parent).toBe(full.id);
    expect(inc?.full).toBe(full.id);
    expect(inc?.start).toEqual({
      file: full.manifest.snapshot.binlogFile,
      position: full.manifest.snapshot.binlogPosition,
      gtid: full.manifest.snapshot.gtid,
    });
    expect(inc?.binlogs.length).toBeGreaterThan(0);
    expect(inc?.end.gtid).not.toBe(inc?.start.gtid);
  });

  it('copy each binary log byte for byte', async () => {
    const { home, name } = inject('sandbox');
    for (const b of first.manifest.incremental?.binlogs ?? []) {
      const entry = first.manifest.files.find((f) => f.path === b.file);
      expect(entry).toBeDefined();
      const copy = await plaintext(first.dir, entry as { path: string; size: number; sha256: string });
      const original = readFileSync(path.join(home, 'sandbox', name, 'binlog', b.name));
      expect(copy.length).toBe(b.size);
      expect(copy.equals(original.subarray(0, b.size))).toBe(true);
    }
  });

  it('continue from the previous incremental', () => {
    const inc = second.manifest.incremental;
    expect(inc?.parent).toBe(first.id);
    expect(inc?.full).toBe(full.id);
    expect(inc?.start).toEqual(first.manifest.incremental?.end);
    expect(inc?.binlogs.map((b) => b.name)).not.toContain(first.manifest.incremental?.end.file);
  });

  it('verify clean, are listed with their parent, and are not restored on their own', async () => {
    expect((await verifyBackup(s, second.id)).ok).toBe(true);
    const listed = await listBackups(s);
    expect(listed.find((b) => b.id === second.id)).toMatchObject({ type: 'incremental', parent: first.id });
    await expect(restore(src.config(), s, second.id, { targetDb: 'never_made' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/incremental backup/),
    });
  });
});
