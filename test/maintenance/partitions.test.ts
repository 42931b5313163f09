/**
 * `partitions`: monthly RANGE partitions are kept ahead of the data, expired months are dropped only
 * with a retention, tables outside the convention are left alone with the reason, and a dry run
 * changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotatePartitions } from '../../src/maintenance/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
const now = new Date('2026-03-15T12:00:00Z');

async function partitions(table: string): Promise<string[]> {
  const rows = await t.db.query<{ p: string }>(
    `SELECT PARTITION_NAME AS p FROM information_schema.PARTITIONS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY PARTITION_ORDINAL_POSITION`,
    [table],
  );
  return rows.map((r) => r.p);
}

async function count(table: string): Promise<number> {
  const [row] = await t.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(row?.n);
}

beforeAll(async () => {
  t = await createTestDatabase('partitions');
  // By TO_DAYS with a MAXVALUE catch-all, and by RANGE COLUMNS without one.
  await t.db.execute(`CREATE TABLE events (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at))
    PARTITION BY RANGE (TO_DAYS(at)) (
      PARTITION p202512 VALUES LESS THAN (TO_DAYS('2026-01-01')),
      PARTITION p202601 VALUES LESS THAN (TO_DAYS('2026-02-01')),
      PARTITION p202602 VALUES LESS THAN (TO_DAYS('2026-03-01')),
      PARTITION p202603 VALUES LESS THAN (TO_DAYS('2026-04-01')),
      PARTITION pmax VALUES LESS THAN MAXVALUE)`);
  await t.db.execute(`CREATE TABLE ledger (id INT NOT NULL, day DATE NOT NULL, PRIMARY KEY (id, day))
    PARTITION BY RANGE COLUMNS (day) (
      PARTITION p202602 VALUES LESS THAN ('2026-03-01'),
      PARTITION p202603 VALUES LESS THAN ('2026-04-01'))`);
  await t.db.execute(`CREATE TABLE hashed (id INT NOT NULL PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2`);
  await t.db.execute(
    `INSERT INTO events VALUES (1, '2025-12-10'), (2, '2026-01-10'), (3, '2026-02-10'), (4, '2026-03-10'), (5, '2026-09-01')`,
  );
  await t.db.execute(`INSERT INTO ledger VALUES (1, '2026-02-10'), (2, '2026-03-10')`);
});

afterAll(async () => {
  await t?.drop();
});

describe('rotatePartitions', () => {
  it('a dry run reports the statements and changes nothing', async () => {
    const r = await rotatePartitions(t.db, { now, aheadMonths: 2, retentionMonths: 1, dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.actions.map((a) => a.table?.split('.')[1])).toEqual(['events', 'events', 'ledger']);
    expect(await partitions('events')).toEqual(['p202512', 'p202601', 'p202602', 'p202603', 'pmax']);
    expect(await partitions('ledger')).toEqual(['p202602', 'p202603']);
  });

  it('adds the months ahead (splitting MAXVALUE, or adding), and leaves other tables alone with the reason', async () => {
    const r = await rotatePartitions(t.db, { now, aheadMonths: 2 });
    expect(r.failed).toEqual([]);
    expect(await partitions('events')).toEqual([
      'p202512',
      'p202601',
      'p202602',
      'p202603',
      'p202604',
      'p202605',
      'pmax',
    ]);
    expect(await partitions('ledger')).toEqual(['p202602', 'p202603', 'p202604', 'p202605']);
    expect(r.skipped).toEqual([
      expect.objectContaining({ table: `${t.name}.hashed`, reason: expect.stringContaining('HASH') }),
    ]);
    // Rows stay where they belong: the September row is still in the catch-all.
    expect(await count('events')).toBe(5);
    const [row] = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM events PARTITION (pmax)');
    expect(Number(row?.n)).toBe(1);
    // A ledger row for May now has a home.
    await t.db.execute(`INSERT INTO ledger VALUES (3, '2026-05-20')`);

    const again = await rotatePartitions(t.db, { now, aheadMonths: 2 });
    expect(again.actions).toEqual([]);
  });

  it('drops only the months past the retention, with their rows', async () => {
    const r = await rotatePartitions(t.db, { now, aheadMonths: 2, retentionMonths: 2 });
    expect(r.failed).toEqual([]);
    // March 2026 minus 2 months: January stays, December goes.
    expect(await partitions('events')).toEqual([
      'p202601',
      'p202602',
      'p202603',
      'p202604',
      'p202605',
      'pmax',
    ]);
    expect(await count('events')).toBe(4);
    expect(await partitions('ledger')).toEqual(['p202602', 'p202603', 'p202604', 'p202605']);
  });

  it('leaves tables whose partitions break the naming or order convention alone', async () => {
    await t.db.execute(`CREATE TABLE odd (id INT NOT NULL, at DATE NOT NULL, PRIMARY KEY (id, at))
      PARTITION BY RANGE (TO_DAYS(at)) (
        PARTITION p202601 VALUES LESS THAN (TO_DAYS('2026-02-01')),
        PARTITION later VALUES LESS THAN (TO_DAYS('2026-06-01')))`);
    const r = await rotatePartitions(t.db, { now, aheadMonths: 1, dryRun: true });
    expect(r.skipped).toContainEqual({ table: `${t.name}.odd`, reason: expect.stringContaining('later') });
    expect(r.actions.some((a) => a.table === `${t.name}.odd`)).toBe(false);
  });
});
