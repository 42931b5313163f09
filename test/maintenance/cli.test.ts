/**
 * `mysqlops maintain` as users meet it, on a private database of the run's sandbox. Only analyze
 * and optimize run for real here; binlog-purge runs dry (it would cut other test files' backup
 * chains on the shared sandbox; binlog-purge.test.ts runs it on a private one).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMaintenance } from '../../src/cli/commands/maintain.js';
import { parseJobs, tableChangeStats, UNCHANGED_REASON } from '../../src/maintenance/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { createTestDatabase, sandboxEndpoint, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
let env: Record<string, string>;
const modified = async (table = 'hot') =>
  (await tableChangeStats(t.db, [t.name])).find((s) => s.table === table)?.modified;
const reader = `maint_ro_${randomBytes(3).toString('hex')}`;
const readerPassword = `Mt${randomBytes(12).toString('hex')}X`;

beforeAll(async () => {
  t = await createTestDatabase('maint_cli');
  env = { DB_NAME: t.name };
  await t.db.execute('CREATE TABLE hot (id INT PRIMARY KEY) ENGINE=InnoDB STATS_AUTO_RECALC=0');
  await t.db.execute('CREATE TABLE cold (id INT PRIMARY KEY) ENGINE=InnoDB STATS_AUTO_RECALC=0');
  await t.db.execute('INSERT INTO hot SELECT seq FROM seq_1_to_100');
  await t.db.execute('INSERT INTO cold SELECT seq FROM seq_1_to_100');
  for (const name of ['hot', 'cold']) await t.db.query(`ANALYZE TABLE ${name}`);
  await t.db.execute('INSERT INTO hot SELECT seq FROM seq_101_to_200');
  // Can see the statistics, cannot ANALYZE (that needs INSERT too).
  await t.db.execute(`CREATE USER '${reader}'@'localhost' IDENTIFIED BY '${readerPassword}'`);
  await t.db.execute(`GRANT SELECT ON \`${t.name}\`.* TO '${reader}'@'localhost'`);
  await t.db.execute(`GRANT PROCESS ON *.* TO '${reader}'@'localhost'`);
});
afterAll(async () => {
  await t?.db.execute(`DROP USER IF EXISTS '${reader}'@'localhost'`);
  await t?.drop();
});

describe('parseJobs', () => {
  it('defaults to every job, in run order, and refuses unknown names', () => {
    expect(parseJobs([])).toEqual(['retention', 'partitions', 'analyze', 'optimize', 'binlog-purge']);
    expect(parseJobs(['optimize', 'analyze'])).toEqual(['analyze', 'optimize']);
    expect(() => parseJobs(['analyze', 'vacuum'])).toThrow(
      expect.objectContaining({ code: 'E_USAGE', message: 'unknown maintenance job: vacuum' }),
    );
  });
});

describe('renderMaintenance', () => {
  it('folds the untouched tables into one line and shows failures', () => {
    const text = renderMaintenance(
      [
        {
          job: 'analyze',
          dryRun: false,
          actions: [
            {
              statement: 'ANALYZE TABLE `d`.`a`',
              table: 'd.a',
              ms: 3,
              reason: '50 of 100 rows changed (50%)',
            },
          ],
          skipped: [
            { table: 'd.b', reason: UNCHANGED_REASON },
            { table: 'd.c', reason: UNCHANGED_REASON },
          ],
          failed: [{ table: 'd.e', statement: 'ANALYZE TABLE `d`.`e`', message: 'denied' }],
        },
      ],
      false,
    );
    expect(text).toMatch(/ran .*ANALYZE TABLE `d`.`a` .*3 ms/);
    expect(text).toMatch(/FAILED .*ANALYZE TABLE `d`.`e`.*denied/);
    expect(text).toMatch(/skipped .*2 table\(s\) .*no rows changed/);
    expect(text).not.toContain('d.b');
    expect(renderMaintenance([], true)).toBe('nothing to do');
  });
});

describe('mysqlops maintain', () => {
  it('exits 2 on an unknown job', async () => {
    const r = await runCliOnSandbox(['maintain', 'vacuum'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown maintenance job: vacuum');
  });

  it('--dry-run --json runs every job dry: one JSON document, nothing changed', async () => {
    const before = await modified();
    expect(before).toBeGreaterThanOrEqual(100);
    const r = await runCliOnSandbox(['maintain', '--dry-run', '--json'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      dryRun: boolean;
      jobs: Array<Record<string, unknown>>;
    };
    expect(doc.ok).toBe(true);
    expect(doc.dryRun).toBe(true);
    expect(doc.jobs.map((j) => j.job)).toEqual([
      'retention',
      'partitions',
      'analyze',
      'optimize',
      'binlog-purge',
    ]);
    expect(doc.jobs[2]).toMatchObject({
      actions: [expect.objectContaining({ statement: `ANALYZE TABLE \`${t.name}\`.\`hot\``, ms: 0 })],
    });
    expect(await modified()).toBe(before);
  });

  it('exits 1 and reports each statement the server refused, without printing the password', async () => {
    await t.db.execute('INSERT INTO cold SELECT seq FROM seq_101_to_200');
    const r = await runCliOnSandbox(['maintain', 'analyze', '--json'], {
      DB_SOCKET: sandboxEndpoint().socket,
      DB_USER: reader,
      DB_PASSWORD: readerPassword,
      DB_NAME: t.name,
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(readerPassword);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      jobs: Array<{ failed: unknown[]; actions: unknown[] }>;
    };
    expect(doc.ok).toBe(false);
    expect(doc.jobs[0]?.actions).toEqual([]);
    expect(doc.jobs[0]?.failed).toEqual([
      expect.objectContaining({
        table: `${t.name}.cold`,
        code: 'E_QUERY',
        message: expect.stringMatching(/denied/),
      }),
      expect.objectContaining({ table: `${t.name}.hot`, code: 'E_QUERY' }),
    ]);
    expect(await modified('cold')).toBeGreaterThanOrEqual(100);
  });

  it('analyze runs for real and prints what it did', async () => {
    const r = await runCliOnSandbox(['maintain', 'analyze'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ANALYZE TABLE \`${t.name}\`.\`hot\``);
    expect(r.stdout).toContain(`ANALYZE TABLE \`${t.name}\`.\`cold\``);
    expect(await modified()).toBe(0);
    expect(await modified('cold')).toBe(0);
  });
});
