/**
 * Retention: old backups go, the newest verified one never does (nor, while none is verified, the
 * newest complete one), and folders without a manifest are left alone.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listBackups, pruneBackups, recordVerification } from '../../src/backup/index.js';
import { backupDir } from './helpers.js';

const NOW = new Date('2026-12-01T12:00:00Z');

/** A backup folder with a minimal valid manifest, `days` old. */
function fakeBackup(dir: string, days: number, parent?: string): string {
  const started = new Date(NOW.getTime() - days * 86_400_000);
  const id = `${parent ? 'incr' : 'full'}-${started
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-0000`;
  mkdirSync(path.join(dir, id), { recursive: true });
  const manifest = {
    format: 1,
    id,
    type: parent ? 'incremental' : 'full',
    ...(parent ? { incremental: { parent } } : {}),
    startedAt: started.toISOString(),
    finishedAt: started.toISOString(),
    databases: ['app_db'],
    snapshot: { gtid: null },
    compression: 'zstd',
    encryption: null,
    schemaFile: 'schema.json.zst',
    tables: [],
    files: [],
    totals: { rows: 0, bytes: 0, files: 0 },
  };
  writeFileSync(path.join(dir, id, 'manifest.json'), JSON.stringify(manifest));
  return id;
}

describe('pruneBackups', () => {
  it('deletes complete backups past the retention period and keeps the newest', async () => {
    const dir = backupDir('prune1');
    const [d1, d10, d20, d30] = [1, 10, 20, 30].map((d) => fakeBackup(dir, d));
    const dry = await pruneBackups({ dir, retentionDays: 7 }, { now: NOW, dryRun: true });
    expect(dry.deleted.sort()).toEqual([d10, d20, d30].sort());
    expect(existsSync(path.join(dir, d30 as string))).toBe(true);
    const r = await pruneBackups({ dir, retentionDays: 7 }, { now: NOW });
    expect(r.kept.map((k) => k.id)).toEqual([d1]);
    expect((await listBackups({ dir })).map((b) => b.id)).toEqual([d1]);
  });

  it('never deletes the newest verified backup, even when it is old', async () => {
    const dir = backupDir('prune2');
    const [d10, d20, d30] = [10, 20, 30].map((d) => fakeBackup(dir, d));
    await recordVerification(path.join(dir, d20 as string), true);
    const r = await pruneBackups({ dir, retentionDays: 7 }, { now: NOW, keepCount: 1 });
    // d10 is the newest (kept by count); d20 is the newest verified one.
    expect(r.kept).toEqual([
      { id: d10, reason: 'one of the 1 newest' },
      { id: d20, reason: 'the newest verified backup' },
    ]);
    expect(r.deleted).toEqual([d30]);
    const listed = await listBackups({ dir });
    expect(listed.find((b) => b.id === d20)).toMatchObject({ restoreTested: true });
  });

  it('keeps the chain a kept incremental depends on, and lists by time whatever the type', async () => {
    const dir = backupDir('prune4');
    const full30 = fakeBackup(dir, 30);
    const incr20 = fakeBackup(dir, 20, full30);
    const incr2 = fakeBackup(dir, 2, incr20);
    const full40 = fakeBackup(dir, 40);
    expect((await listBackups({ dir })).map((b) => b.id)).toEqual([incr2, incr20, full30, full40]);
    const r = await pruneBackups({ dir, retentionDays: 7 }, { now: NOW });
    expect(r.deleted).toEqual([full40]);
    expect(r.kept.map((k) => k.id).sort()).toEqual([incr2, incr20, full30].sort());
  });

  it('leaves folders without a manifest alone', async () => {
    const dir = backupDir('prune3');
    fakeBackup(dir, 40);
    mkdirSync(path.join(dir, 'full-20200101T000000Z-dead'));
    const r = await pruneBackups({ dir, retentionDays: 7 }, { now: NOW });
    expect(r.incomplete).toEqual(['full-20200101T000000Z-dead']);
    expect(existsSync(path.join(dir, 'full-20200101T000000Z-dead'))).toBe(true);
  });
});
