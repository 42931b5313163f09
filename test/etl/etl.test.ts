import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etlStatus, runEtl, verifyEtl } from '../../src/etl/index.js';
import type { TestDatabase } from '../support/db.js';
import { mutate, seededDatabase, snapshot } from './helpers.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await seededDatabase('etl');
});
afterAll(async () => {
  await t?.drop();
});

describe('etl run and verify', () => {
  it('builds every report in full on the first run, and verify agrees', async () => {
    const r = await runEtl(t.config());
    expect(r.pipelines.map((p) => [p.pipeline, p.mode, p.status])).toEqual([
      ['customer_order_summary', 'full', 'success'],
      ['product_performance_summary', 'full', 'success'],
      ['daily_sales_summary', 'full', 'success'],
      ['customer_cohort_analysis', 'full', 'success'],
    ]);
    for (const p of r.pipelines) expect(p.rowsWritten).toBeGreaterThan(0);
    const v = await verifyEtl(t.config());
    expect(v.pipelines.filter((p) => !p.ok)).toEqual([]);
    expect(v.ok).toBe(true);
  });

  it('changes nothing when run twice in a row', async () => {
    const before = await snapshot(t.db);
    const r = await runEtl(t.config());
    expect(r.pipelines.every((p) => p.mode === 'incremental' && p.rowsWritten === 0)).toBe(true);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('catches up with inserts, status changes, refunds and deletes incrementally', async () => {
    await mutate(t.db, 1);
    const stale = await verifyEtl(t.config());
    expect(stale.ok).toBe(false);
    expect(stale.pendingChanges).toBeGreaterThan(0);
    const r = await runEtl(t.config());
    expect(r.pipelines.every((p) => p.mode === 'incremental' && p.batches > 0)).toBe(true);
    const v = await verifyEtl(t.config());
    expect(v.pipelines.filter((p) => !p.ok)).toEqual([]);
  });

  it('resumes a run interrupted after some batches and ends where a clean run ends', async () => {
    await mutate(t.db, 2);
    await mutate(t.db, 3);
    const abort = new AbortController();
    let batches = 0;
    await expect(
      runEtl(t.config(), {
        batchSize: 1,
        signal: abort.signal,
        onProgress: (e) => {
          if (e.phase === 'batch' && ++batches === 3) abort.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'E_ETL' });
    const status = await etlStatus(t.db);
    expect(status.runs[0]?.status).toBe('failed');
    expect(status.pipelines[0]?.pendingKeys).toBeGreaterThan(0);
    await runEtl(t.config(), { batchSize: 2 });
    const resumed = await snapshot(t.db);
    await runEtl(t.config(), { full: true });
    expect(await snapshot(t.db)).toEqual(resumed);
    expect((await verifyEtl(t.config())).ok).toBe(true);
  });

  it('works through the customer keys with several connections and ends where one connection ends', async () => {
    await mutate(t.db, 4);
    // Three workers, two keys per batch: several batches per worker, committing side by side.
    const r = await runEtl(t.config(), { workers: 3, batchSize: 2 });
    const customers = r.pipelines.find((p) => p.pipeline === 'customer_order_summary');
    expect(customers?.rowsRead).toBeGreaterThanOrEqual(5);
    expect(customers?.batches).toBeGreaterThanOrEqual(Math.ceil((customers?.rowsRead ?? 0) / 2));
    expect((await verifyEtl(t.config())).ok).toBe(true);
    const parallel = await snapshot(t.db);
    await runEtl(t.config(), { full: true });
    expect(await snapshot(t.db)).toEqual(parallel);
  });

  it('refuses a workers count outside 1..16 before touching anything', async () => {
    for (const workers of [0, 17, 1.5]) {
      await expect(runEtl(t.config(), { workers })).rejects.toMatchObject({ code: 'E_USAGE' });
    }
  });

  it('reads reports through the typed readers on DatabaseManager', async () => {
    const [row] = await t.db.query<{ customer_id: number; total_orders: number }>(
      'SELECT customer_id, total_orders FROM customer_order_summary ORDER BY customer_id LIMIT 1',
    );
    const s = await t.db.getCustomerOrderSummary(Number(row?.customer_id));
    expect(s?.customerId).toBe(Number(row?.customer_id));
    expect(s?.totalOrders).toBe(row?.total_orders);
    expect(await t.db.getCustomerOrderSummary(999_999_999)).toBeNull();
    const top = await t.db.getTopProducts(3);
    expect(top.map((p) => p.revenueRank)).toEqual([1, 2, 3]);
    expect((await t.db.getCohortAnalysis('2024-01-01')).length).toBeGreaterThan(0);
    expect((await t.db.getDailySales('2025-01-01', '2025-12-31')).length).toBeGreaterThan(0);
  });
});
