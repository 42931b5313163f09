/**
 * `analyze` and `optimize` on the run's sandbox, each in a private database: only tables with
 * enough changes are analyzed (and their change counter resets), only fragmented tables are
 * rebuilt (and their free space drops), big ones only with force.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseManager } from '../../src/db/index.js';
import {
  analyzeTables,
  needsAnalyze,
  optimizeTables,
  type TableSpace,
  tableChangeStats,
  tableSpace,
  UNCHANGED_REASON,
} from '../../src/maintenance/index.js';
import { pollUntil } from '../monitor/health-helpers.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describe('needsAnalyze', () => {
  it('leaves untouched tables alone and analyzes at the threshold', () => {
    expect(needsAnalyze(1000, 0, 0.1)).toBe(false);
    expect(needsAnalyze(0, 0, 0.1)).toBe(false);
    expect(needsAnalyze(1000, 99, 0.1)).toBe(false);
    expect(needsAnalyze(1000, 100, 0.1)).toBe(true);
    expect(needsAnalyze(0, 5, 0.1)).toBe(true);
  });
});

describe('analyze', () => {
  let t: TestDatabase;
  let db: DatabaseManager;
  const counter = async (table: string) =>
    (await tableChangeStats(db, [t.name])).find((s) => s.table === table)?.modified;

  beforeAll(async () => {
    t = await createTestDatabase('maint_analyze');
    db = t.db;
    // Without automatic recalculation the counters only move with our changes and our ANALYZE.
    for (const name of ['changed', 'untouched', 'few']) {
      await db.execute(
        `CREATE TABLE ${name} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB STATS_PERSISTENT=1 STATS_AUTO_RECALC=0`,
      );
      await db.execute(`INSERT INTO ${name} SELECT seq, seq FROM seq_1_to_1000`);
      await db.query(`ANALYZE TABLE ${name}`);
    }
    await db.execute('INSERT INTO changed SELECT seq, seq FROM seq_1001_to_1500');
    await db.execute('INSERT INTO few SELECT seq, seq FROM seq_1001_to_1005');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('reports without running anything in a dry run', async () => {
    const before = await counter('changed');
    expect(before).toBeGreaterThanOrEqual(500);
    const report = await analyzeTables(db, { dryRun: true, threshold: 0.1 });
    expect(report.actions.map((a) => a.table)).toEqual([`${t.name}.changed`]);
    expect(report.actions[0]?.statement).toBe(`ANALYZE TABLE \`${t.name}\`.\`changed\``);
    expect(await counter('changed')).toBe(before);
  });

  it('analyzes only the table whose changes pass the threshold, and its counter resets', async () => {
    const report = await analyzeTables(db, { threshold: 0.1 });
    expect(report.failed).toEqual([]);
    expect(report.actions.map((a) => a.table)).toEqual([`${t.name}.changed`]);
    expect(report.actions[0]?.reason).toMatch(/rows changed/);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { table: `${t.name}.untouched`, reason: UNCHANGED_REASON },
        { table: `${t.name}.few`, reason: expect.stringMatching(/below 10%/) },
      ]),
    );
    expect(await counter('changed')).toBe(0);
    expect(await counter('few')).toBeGreaterThan(0);
    // Nothing left above the threshold: a second run does nothing.
    expect((await analyzeTables(db, { threshold: 0.1 })).actions).toEqual([]);
  });

  it('a lower threshold picks up the slightly changed table too', async () => {
    const report = await analyzeTables(db, { threshold: 0.001 });
    expect(report.actions.map((a) => a.table)).toEqual([`${t.name}.few`]);
  });
});

describe('optimize', () => {
  let t: TestDatabase;
  let db: DatabaseManager;
  const MIB = 1024 * 1024;
  const space = async () => {
    const rows = await tableSpace(db, [t.name]);
    return (name: string): TableSpace => {
      const row = rows.find((r) => r.table === name);
      if (!row) throw new Error(`no table ${name}`);
      return row;
    };
  };
  // A rebuild gives the table a new InnoDB id; free space alone can't tell, purge keeps freeing pages.
  const tableId = async (name: string): Promise<string> => {
    const [row] = await db.query<{ id: string | number }>(
      'SELECT TABLE_ID AS id FROM information_schema.INNODB_SYS_TABLES WHERE NAME = ?',
      [`${t.name}/${name}`],
    );
    if (!row) throw new Error(`no InnoDB table ${name}`);
    return String(row.id);
  };

  /** `rows` rows of 1000 bytes, then everything after the first `keep` rows deleted. */
  async function fragmented(name: string, rows: number, keep: number): Promise<void> {
    await db.execute(`CREATE TABLE ${name} (id INT PRIMARY KEY, pad VARCHAR(1000)) ENGINE=InnoDB`);
    await db.execute(`INSERT INTO ${name} SELECT seq, REPEAT('x', 1000) FROM seq_1_to_${rows}`);
    // A contiguous range, so whole extents come free once purge has removed the rows.
    await db.execute(`DELETE FROM ${name} WHERE id > ${keep}`);
  }

  beforeAll(async () => {
    t = await createTestDatabase('maint_optimize');
    db = t.db;
    await fragmented('small', 8000, 500);
    await fragmented('big', 16000, 6000);
    await db.execute('CREATE TABLE tidy (id INT PRIMARY KEY) ENGINE=InnoDB');
    await db.execute('INSERT INTO tidy SELECT seq FROM seq_1_to_100');
    // The deleted rows' pages are freed by InnoDB's background purge.
    await pollUntil(
      () => space(),
      (s) => s('small').freeBytes >= 6 * MIB && s('big').freeBytes >= 8 * MIB,
      120_000,
    );
    // DATA_LENGTH comes from the persistent statistics: bring them up to date after the delete.
    for (const name of ['small', 'big']) await db.query(`ANALYZE TABLE ${name}`);
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('rebuilds the fragmented table online, skips the one above the size limit, leaves the tidy one', async () => {
    const s = await space();
    const before = s('small');
    expect(before.freeBytes).toBeGreaterThanOrEqual(4 * MIB);
    expect(s('big').usedBytes).toBeGreaterThan(before.usedBytes);
    const limit = Math.floor((before.usedBytes + s('big').usedBytes) / 2);
    const ids = { small: await tableId('small'), big: await tableId('big'), tidy: await tableId('tidy') };
    const options = { freeRatio: 0.2, minFreeBytes: 2 * MIB, maxBytes: limit };

    const dry = await optimizeTables(db, { ...options, dryRun: true });
    expect(dry.actions.map((a) => a.statement)).toEqual([
      `ALTER TABLE \`${t.name}\`.\`small\` FORCE, ALGORITHM=INPLACE, LOCK=NONE`,
    ]);
    expect(await tableId('small')).toBe(ids.small);

    const report = await optimizeTables(db, options);
    expect(report.failed).toEqual([]);
    expect(report.actions.map((a) => a.table)).toEqual([`${t.name}.small`]);
    expect(report.actions[0]?.lockMs).toBeUndefined();
    expect(report.skipped).toEqual([
      { table: `${t.name}.big`, reason: expect.stringMatching(/above the .* limit \(use --force\)/) },
    ]);
    const rebuilt = await space();
    expect(rebuilt('small').freeBytes).toBeLessThan(before.freeBytes);
    expect(await tableId('small')).not.toBe(ids.small);
    expect(await tableId('big')).toBe(ids.big);
    expect(await tableId('tidy')).toBe(ids.tidy);
    const [count] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM small');
    expect(Number(count?.n)).toBe(500);
  });

  it('rebuilds the big table too with force', async () => {
    const s = await space();
    const id = await tableId('big');
    const report = await optimizeTables(db, {
      freeRatio: 0.2,
      minFreeBytes: 2 * MIB,
      maxBytes: 1,
      force: true,
    });
    expect(report.failed).toEqual([]);
    expect(report.actions.map((a) => a.table)).toEqual([`${t.name}.big`]);
    expect((await space())('big').freeBytes).toBeLessThan(s('big').freeBytes);
    expect(await tableId('big')).not.toBe(id);
  });
});

describe('optimize of a table that cannot be rebuilt online', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase('maint_fulltext');
    await t.db.execute('CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, FULLTEXT (body)) ENGINE=InnoDB');
    await t.db.execute("INSERT INTO notes SELECT seq, CONCAT('note ', seq) FROM seq_1_to_100");
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('skips it with the server reason instead of locking it', async () => {
    const created = async () =>
      t.db.query(
        "SELECT CREATE_TIME AS c FROM information_schema.TABLES WHERE TABLE_NAME = 'notes' AND TABLE_SCHEMA = DATABASE()",
      );
    const before = await created();
    // Every table counts as fragmented at these thresholds.
    const report = await optimizeTables(t.db, { freeRatio: 0, minFreeBytes: 0 });
    expect(report.actions).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(report.skipped).toEqual([
      { table: `${t.name}.notes`, reason: expect.stringMatching(/cannot be rebuilt online: .*LOCK=NONE/) },
    ]);
    expect(await created()).toEqual(before);
  });
});
