/**
 * `retention` on a migrated database: old ETL run records go in batches, except each pipeline's
 * newest run and running ones; a dry run counts and deletes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRetention } from '../../src/maintenance/index.js';

import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
const runIds = async () =>
  (await t.db.query<{ id: number }>('SELECT run_id AS id FROM etl_runs ORDER BY run_id')).map((r) =>
    Number(r.id),
  );

beforeAll(async () => {
  t = await createMigratedDatabase('maint_retention');
  const run = (pipeline: string, status: string, daysAgo: number) =>
    t.db.execute(
      `INSERT INTO etl_runs (pipeline, mode, status, started_at, finished_at)
       VALUES (?, 'incremental', ?, UTC_TIMESTAMP(3) - INTERVAL ? DAY, UTC_TIMESTAMP(3) - INTERVAL ? DAY)`,
      [pipeline, status, daysAgo, daysAgo],
    );
  await run('daily_sales_summary', 'success', 200); // 1: old
  await run('daily_sales_summary', 'failed', 150); // 2: old
  await run('daily_sales_summary', 'running', 140); // 3: running: stays
  await run('daily_sales_summary', 'success', 100); // 4: old
  await run('daily_sales_summary', 'success', 1); // 5: recent
  await run('customer_cohort_analysis', 'success', 300); // 6: old but its pipeline's newest: stays
}, 120_000);
afterAll(async () => {
  await t?.drop();
});

describe('retention', () => {
  it('a dry run counts the old runs and deletes nothing', async () => {
    const report = await applyRetention(t.db, { dryRun: true, etlRunsRetentionDays: 90, batchSize: 2 });
    expect(report.failed).toEqual([]);
    expect(report.actions).toEqual([
      expect.objectContaining({ table: 'etl_runs', ms: 0, reason: '3 runs older than 90 days' }),
    ]);
    expect(report.skipped).toEqual([{ reason: 'audit: no sealed block past its retention' }]);
    expect(await runIds()).toHaveLength(6);
  });

  it('deletes old runs in batches, keeping running ones and each pipeline newest', async () => {
    const ids = await runIds();
    const report = await applyRetention(t.db, { etlRunsRetentionDays: 90, batchSize: 2 });
    expect(report.failed).toEqual([]);
    expect(report.actions).toEqual([
      expect.objectContaining({ table: 'etl_runs', reason: '3 runs older than 90 days, in 2 batch(es)' }),
    ]);
    expect(await runIds()).toEqual([ids[2], ids[4], ids[5]]);
    const again = await applyRetention(t.db, { etlRunsRetentionDays: 90 });
    expect(again.actions).toEqual([]);
    expect(again.skipped).toContainEqual({ table: 'etl_runs', reason: 'no run older than 90 days' });
  });

  it('on a database without the mysqlops schema, says there is nothing to do', async () => {
    const bare = await createTestDatabase('maint_bare');
    try {
      const report = await applyRetention(bare.db);
      expect(report.actions).toEqual([]);
      expect(report.skipped).toEqual([
        { reason: 'audit: no audit tables in this database' },
        { reason: 'etl_runs: no such table in this database' },
      ]);
    } finally {
      await bare.drop();
    }
  });
});
