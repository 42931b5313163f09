/**
 * Scheduled backups: `backup.schedule` (validated, partially overridable, null to switch a job off)
 * and the jobs `mysqlops serve` runs - a real full backup that verifies itself and prunes, an
 * incremental one, and the first incremental run that has nothing to continue taking a full backup.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BACKUP_LOCK,
  backupJobs,
  listBackups,
  scheduledIncremental,
  withBackupLock,
} from '../../src/backup/index.js';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, withAdmin } from './helpers.js';

const work = backupDir('schedule');
let cwds = 0;

function configWith(file: string | undefined, more: Record<string, string> = {}): MysqlopsConfig {
  const { home, name } = inject('sandbox');
  const cwd = path.join(work, `cwd-${cwds++}`);
  mkdirSync(cwd);
  if (file !== undefined) writeFileSync(path.join(cwd, 'mysqlops.config.yaml'), file);
  return loadConfig({
    cwd,
    environ: { MYSQLOPS_ENV: 'test', MYSQLOPS_HOME: home, MYSQLOPS_SANDBOX: name, ...more },
  });
}

describe('backup.schedule', () => {
  it('defaults to a nightly full and an hourly incremental backup', () => {
    const jobs = backupJobs(configWith(undefined));
    expect(jobs.map((j) => [j.name, j.cron])).toEqual([
      ['backup:full', '0 2 * * *'],
      ['backup:incremental', '0 * * * *'],
    ]);
  });

  it('takes one key from the config file and keeps the other default; null leaves a job out', () => {
    const jobs = backupJobs(configWith('backup:\n  schedule:\n    incremental: null\n'));
    expect(jobs.map((j) => [j.name, j.cron])).toEqual([['backup:full', '0 2 * * *']]);
    const other = backupJobs(configWith('backup:\n  schedule:\n    full: "30 3 * * 0"\n'));
    expect(other.map((j) => j.cron)).toEqual(['30 3 * * 0', '0 * * * *']);
  });

  it('rejects an invalid cron expression, naming the setting', () => {
    expect(() => configWith('backup:\n  schedule:\n    full: "every night"\n')).toThrowError(
      /backup\.schedule\.full: invalid cron expression/,
    );
  });
});

describe('the scheduled backup jobs, run for real', () => {
  let src: TestDatabase;
  let config: MysqlopsConfig;
  const backups = path.join(work, 'backups');

  beforeAll(async () => {
    src = await createTestDatabase('bk_sched');
    await src.db.execute('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))');
    await src.db.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')");
    config = configWith(undefined, { DB_NAME: src.name, BACKUP_DIR: backups });
  });

  afterAll(async () => {
    await src?.drop();
  });

  it('the first incremental run has nothing to continue: it takes a verified full backup', async () => {
    const r = await scheduledIncremental(config);
    expect(r).toMatchObject({
      kind: 'full',
      verified: true,
      reason: expect.stringMatching(/no complete backup/),
    });
    const [only, ...rest] = await listBackups({ dir: backups });
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ type: 'full', complete: true, restoreTested: true });
  });

  it('then copies the binary logs, and the full job verifies, marks and prunes', async () => {
    const jobs = backupJobs(config);
    await src.db.execute("INSERT INTO t VALUES (3, 'three')");
    const inc = (await jobs.find((j) => j.name === 'backup:incremental')?.run()) as {
      kind: string;
      binlogs: number;
    };
    expect(inc.kind).toBe('incremental');
    expect(inc.binlogs).toBeGreaterThan(0);
    const full = (await jobs.find((j) => j.name === 'backup:full')?.run()) as {
      id: string;
      prune: { deleted: string[] };
    };
    const listed = await listBackups({ dir: backups });
    expect(listed.find((b) => b.id === full.id)).toMatchObject({ type: 'full', restoreTested: true });
    // Everything is younger than the retention period: nothing to delete yet.
    expect(full.prune.deleted).toEqual([]);
    expect(listed.map((b) => b.type).sort()).toEqual(['full', 'full', 'incremental']);
  });

  it('run one at a time: a second backup waits for the lock, and gives up naming it', async () => {
    let release = () => {};
    const held = withBackupLock(config, () => new Promise<void>((resolve) => (release = resolve)));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await withAdmin((db) =>
        db.query<{ who: number | null }>('SELECT IS_USED_LOCK(?) AS who', [BACKUP_LOCK]),
      );
      if (row?.who != null) break;
      if (Date.now() > deadline) throw new Error('the first holder never got the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    await expect(withBackupLock(config, async () => 'ran', 1)).rejects.toMatchObject({
      code: 'E_BACKUP',
      message: expect.stringContaining(BACKUP_LOCK),
    });
    release();
    await held;
    // Other test files' backups may queue here too: wait as a backup would.
    expect(await withBackupLock(config, async () => 'ran')).toBe('ran');
  });
});
