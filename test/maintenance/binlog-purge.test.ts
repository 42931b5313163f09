/**
 * `binlog-purge` and a dry run of every job, on a private sandbox: purging binary logs on the
 * run's shared sandbox would break the incremental backup chains other test files build there.
 * A second private sandbox becomes a replica of the first for the connected-replica case.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFull, backupIncremental, backupSettings } from '../../src/backup/index.js';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import {
  backupBinlogInfo,
  MaintenanceError,
  type MaintenanceReport,
  maintenanceJobs,
  purgeBinlogs,
  runMaintenance,
  serverBinlogs,
  tableChangeStats,
} from '../../src/maintenance/index.js';
import { destroySandbox, sandboxConnection, startSandbox } from '../../src/sandbox/index.js';
import { pollUntil } from '../monitor/health-helpers.js';
import { replicateFrom } from '../support/replica.js';

const DAY = 86_400_000;

describe('binlog-purge on a private primary', () => {
  let home: string;
  let backupDir: string;
  let primary: DatabaseManager;
  let config: MysqlopsConfig;
  /** The log current when the full backup took its snapshot. */
  let snapshotFile: string;

  const logs = async () => (await serverBinlogs(primary)).files;
  const flush = async (n: number) => {
    for (let i = 0; i < n; i++) await primary.execute('FLUSH BINARY LOGS');
  };

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'mysqlops-maint-'));
    backupDir = path.join(home, 'backups');
    await startSandbox({ home, name: 'primary' });
    primary = new DatabaseManager({ connection: {}, usesSandbox: true, sandbox: { home, name: 'primary' } });
    await primary.execute('CREATE DATABASE shop');
    await primary.execute(
      'CREATE TABLE shop.items (id INT PRIMARY KEY, v INT) ENGINE=InnoDB STATS_PERSISTENT=1 STATS_AUTO_RECALC=0',
    );
    await primary.execute('INSERT INTO shop.items SELECT seq, seq FROM shop.seq_1_to_1000');
    await primary.query('ANALYZE TABLE shop.items');
    await flush(2);
    config = loadConfig({
      env: 'test',
      cwd: home,
      environ: { MYSQLOPS_HOME: home, MYSQLOPS_SANDBOX: 'primary', DB_NAME: 'shop', BACKUP_DIR: backupDir },
    });
    const full = await backupFull(config, backupSettings(config, { compression: 'gzip' }));
    snapshotFile = full.manifest.snapshot.binlogFile ?? '';
    await flush(3);
    // Work for analyze: half the table's rows are new since its statistics.
    await primary.execute('INSERT INTO shop.items SELECT seq, seq FROM shop.seq_1001_to_1500');
  }, 180_000);

  afterAll(async () => {
    await primary?.close();
    await destroySandbox({ home, name: 'primary' });
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('records what the full backup needs', async () => {
    expect(snapshotFile).toMatch(/\.\d+$/);
    const all = await logs();
    expect(all.indexOf(snapshotFile)).toBeGreaterThanOrEqual(2);
    const info = await backupBinlogInfo(backupDir);
    expect(info.needs).toEqual([expect.objectContaining({ file: snapshotFile })]);
  });

  it('a dry run of every job reports work and changes nothing', async () => {
    // Every table counts as fragmented, so optimize has work too.
    const eager = {
      ...config,
      maintenance: {
        ...config.maintenance,
        optimizeFreeRatio: 0,
        optimizeMinFreeBytes: 0,
        binlogRetentionDays: 0,
      },
    };
    const state = async () => ({
      logs: await logs(),
      changes: await tableChangeStats(primary, ['shop']),
      // Not the free space (InnoDB may still be settling pages): a rebuild shows as a new table id.
      ids: await primary.query(
        "SELECT NAME AS name, TABLE_ID AS id FROM information_schema.INNODB_SYS_TABLES WHERE NAME LIKE 'shop/%' ORDER BY NAME",
      ),
      created: await primary.query(
        "SELECT CREATE_TIME AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'",
      ),
    });
    const before = await state();
    const reports = await runMaintenance(primary, eager, { dryRun: true, schemas: ['shop'] });
    expect(reports.map((r) => [r.job, r.dryRun, r.actions.length > 0])).toEqual([
      ['retention', true, false],
      ['partitions', true, false],
      ['analyze', true, true],
      ['optimize', true, true],
      ['binlog-purge', true, true],
    ]);
    expect(reports.every((r) => r.actions.every((a) => a.ms === 0))).toBe(true);
    expect(await state()).toEqual(before);
  });

  it('keeps logs newer than the retention: nothing is proven old yet', async () => {
    const before = await logs();
    const report = await purgeBinlogs(primary, { backupDir, retentionDays: 7 });
    expect(report.actions).toEqual([]);
    expect(report.skipped).toEqual([{ reason: expect.stringMatching(/^nothing to purge: .*retention/) }]);
    expect(await logs()).toEqual(before);
  });

  it('purges the logs before the backup snapshot file once they are old, and keeps the rest', async () => {
    const before = await logs();
    const report = await purgeBinlogs(primary, {
      backupDir,
      retentionDays: 7,
      now: new Date(Date.now() + 8 * DAY),
    });
    expect(report.failed).toEqual([]);
    expect(report.actions.map((a) => a.statement)).toEqual([`PURGE BINARY LOGS TO '${snapshotFile}'`]);
    expect(await logs()).toEqual(before.slice(before.indexOf(snapshotFile)));
  });

  it('with retention 0, the full backup snapshot file still stays', async () => {
    const before = await logs();
    const report = await purgeBinlogs(primary, { backupDir, retentionDays: 0 });
    expect(report.actions).toEqual([]);
    expect(report.skipped).toEqual([
      { reason: expect.stringContaining(`${snapshotFile} onwards is needed`) },
    ]);
    expect(await logs()).toEqual(before);
  });

  it('after an incremental backup copied them, logs up to its end may go', async () => {
    const incr = await backupIncremental(config, backupSettings(config, { compression: 'gzip' }));
    const end = incr.manifest.incremental?.end.file ?? '';
    expect(end).not.toBe(snapshotFile);
    await flush(1);
    const before = await logs();
    const report = await purgeBinlogs(primary, { backupDir, retentionDays: 0 });
    expect(report.actions.map((a) => a.statement)).toEqual([`PURGE BINARY LOGS TO '${end}'`]);
    expect(await logs()).toEqual(before.slice(before.indexOf(end)));
  });

  it('the scheduled job runs every job with the configured thresholds', async () => {
    const [job] = maintenanceJobs(config);
    const reports = (await job?.run()) as MaintenanceReport[];
    expect(reports.map((r) => [r.job, r.dryRun, r.failed])).toEqual([
      ['retention', false, []],
      ['partitions', false, []],
      ['analyze', false, []],
      ['optimize', false, []],
      ['binlog-purge', false, []],
    ]);
    expect(reports[2]?.actions.map((a) => a.table)).toEqual(['shop.items']);
    expect((await tableChangeStats(primary, ['shop']))[0]?.modified).toBe(0);
  });

  it('the scheduled job fails with E_MAINTENANCE naming each refused statement', async () => {
    const password = `Mt${randomBytes(12).toString('hex')}X`;
    await primary.execute(`CREATE USER 'maint_ro'@'localhost' IDENTIFIED BY '${password}'`);
    await primary.execute("GRANT SELECT ON shop.* TO 'maint_ro'@'localhost'");
    await primary.execute("GRANT PROCESS, BINLOG MONITOR ON *.* TO 'maint_ro'@'localhost'");
    await primary.execute('INSERT INTO shop.items SELECT seq, seq FROM shop.seq_1501_to_2000');
    const socket = sandboxConnection({ home, name: 'primary' })?.socket ?? '';
    const limited = loadConfig({
      env: 'test',
      cwd: home,
      environ: {
        DB_SOCKET: socket,
        DB_USER: 'maint_ro',
        DB_PASSWORD: password,
        DB_NAME: 'shop',
        BACKUP_DIR: backupDir,
      },
    });
    const [job] = maintenanceJobs(limited);
    const error = await job?.run().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(MaintenanceError);
    expect(error).toMatchObject({
      code: 'E_MAINTENANCE',
      failures: [expect.stringMatching(/^analyze: ANALYZE TABLE `shop`.`items`: .*denied/)],
    });
    expect((error as Error).message).not.toContain(password);
    expect((await tableChangeStats(primary, ['shop']))[0]?.modified).toBeGreaterThanOrEqual(500);
    await primary.execute("DROP USER 'maint_ro'@'localhost'");
  });

  describe('with a replica connected', () => {
    let replica: DatabaseManager;

    beforeAll(async () => {
      await startSandbox({ home, name: 'replica' });
      replica = new DatabaseManager({
        connection: {},
        usesSandbox: true,
        sandbox: { home, name: 'replica' },
      });
      await replicateFrom(replica, primary, { home, name: 'primary' });
      const connected = await pollUntil(
        () => serverBinlogs(primary),
        (s) => s.replicas > 0,
        60_000,
      );
      if (connected.replicas === 0) throw new Error('the replica never connected to the primary');
    }, 180_000);

    afterAll(async () => {
      await replica?.execute('STOP SLAVE').catch(() => undefined);
      await replica?.close();
      await destroySandbox({ home, name: 'replica' });
    }, 120_000);

    it('keeps every log, including the one the replica reads, and says why', async () => {
      const [status] = await replica.query<{ Master_Log_File: string }>('SHOW SLAVE STATUS');
      const reading = status?.Master_Log_File ?? '';
      await flush(2);
      const before = await logs();
      expect(before).toContain(reading);
      const report = await purgeBinlogs(primary, { backupDir, retentionDays: 0 });
      expect(report.actions).toEqual([]);
      expect(report.skipped).toEqual([{ reason: expect.stringMatching(/^1 replica\(s\) connected/) }]);
      expect(await logs()).toEqual(before);
    });
  });
});
