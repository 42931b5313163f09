/**
 * The partial cells the customer and product reports are summed from: settled history before the
 * cell split (one cell per customer; one per product and month), small cells after it (customer
 * months; product days), and incremental runs on either side of the split ending where a rebuild
 * ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEtl, verifyEtl } from '../../src/etl/index.js';
import type { TestDatabase } from '../support/db.js';
import { deleteOrder, insertOrder, seededDatabase, snapshot } from './helpers.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await seededDatabase('etl_cells');
  await runEtl(t.config());
});
afterAll(async () => {
  await t?.drop();
});

/** How the live partials break the rules (0 when they follow them), and the split. */
async function cellShape() {
  const [state] = await t.db.query<{ c: string | null; p: string | null; newest: string }>(
    `SELECT CAST(MAX(IF(pipeline = 'customer_order_summary', cell_split, NULL)) AS CHAR) AS c,
       CAST(MAX(IF(pipeline = 'product_performance_summary', cell_split, NULL)) AS CHAR) AS p,
       (SELECT CAST(DATE_FORMAT(MAX(ordered_at), '%Y-%m-01') AS CHAR) FROM orders) AS newest
     FROM etl_state`,
  );
  const [bad] = await t.db.query<{ customer: number; product: number; productDays: number }>(
    `SELECT
       (SELECT COUNT(*) FROM etl_customer_monthly cm JOIN etl_state s ON s.pipeline = 'customer_order_summary'
         WHERE (cm.period_start < s.cell_split AND cm.period_start <> '1000-01-01')
            OR (cm.period_start >= s.cell_split AND DAYOFMONTH(cm.period_start) <> 1)
            OR cm.first_order_at < cm.period_start
            OR (cm.period_start < s.cell_split AND cm.last_order_at >= s.cell_split)) AS customer,
       (SELECT COUNT(*) FROM etl_product_monthly pm JOIN etl_state s ON s.pipeline = 'product_performance_summary'
         WHERE pm.period_start < s.cell_split AND DAYOFMONTH(pm.period_start) <> 1) AS product,
       (SELECT COUNT(*) FROM etl_product_monthly pm JOIN etl_state s ON s.pipeline = 'product_performance_summary'
         WHERE pm.period_start >= s.cell_split) AS productDays`,
  );
  return { state, bad };
}

describe('etl partial cells', () => {
  it('splits at the first day of the newest order month: settled history, then small cells', async () => {
    const { state, bad } = await cellShape();
    expect(state?.c).toBe(state?.newest);
    expect(state?.p).toBe(state?.newest);
    expect(Number(bad?.customer)).toBe(0);
    expect(Number(bad?.product)).toBe(0);
    expect(Number(bad?.productDays)).toBeGreaterThan(0);
    const [settled] = await t.db.query<{ n: number; customers: number }>(
      `SELECT COUNT(*) AS n, COUNT(DISTINCT customer_id) AS customers FROM etl_customer_monthly
       WHERE period_start = '1000-01-01'`,
    );
    expect(Number(settled?.n)).toBe(Number(settled?.customers));
  });

  it('recomputes cells on both sides of the split incrementally and ends where a rebuild ends', async () => {
    const [c] = await t.db.query<{ id: number; newest: string }>(
      `SELECT MIN(customer_id) AS id, (SELECT CAST(MAX(ordered_at) AS CHAR) FROM orders) AS newest FROM customers`,
    );
    const id = Number(c?.id);
    await insertOrder(t.db, id, String(c?.newest)); // the newest day: a product day cell
    await insertOrder(t.db, id + 2, '2023-03-15 08:00:00'); // settled history
    const [old] = await t.db.query<{ order_id: number }>(
      "SELECT order_id FROM orders WHERE status = 'delivered' AND ordered_at < '2024-01-01' ORDER BY order_id LIMIT 1",
    );
    await t.db.execute(
      "UPDATE orders SET status = 'returned', returned_at = delivered_at WHERE order_id = ?",
      [old?.order_id],
    );
    // An order after the split but in a later day than any cell so far.
    await insertOrder(t.db, id + 3, '2025-12-31 23:59:59');
    const r = await runEtl(t.config(), { batchSize: 3 });
    expect(r.pipelines.every((p) => p.mode === 'incremental')).toBe(true);
    const v = await verifyEtl(t.config());
    expect(v.pipelines.filter((p) => !p.ok)).toEqual([]);
    const { bad } = await cellShape();
    expect(Number(bad?.customer)).toBe(0);
    expect(Number(bad?.product)).toBe(0);
    const incremental = await snapshot(t.db);
    await runEtl(t.config(), { full: true });
    expect(await snapshot(t.db)).toEqual(incremental);
  });

  it('patches product rows by the delta of their changed cells, and re-sums when a first or last sale goes', async () => {
    const [p] = await t.db.query<{ id: number; newest: string }>(
      `SELECT MIN(product_id) AS id, (SELECT CAST(MAX(ordered_at) + INTERVAL 1 SECOND AS CHAR) FROM orders) AS newest
       FROM products`,
    );
    const id = Number(p?.id); // insertOrder's lines include the first product of the catalogue
    const row = async () =>
      (
        await t.db.query<{ first: string | null; last: string | null; units: number }>(
          `SELECT CAST(first_sold_at AS CHAR) AS first, CAST(last_sold_at AS CHAR) AS last, units_sold AS units
           FROM product_performance_summary WHERE product_id = ?`,
          [id],
        )
      )[0];
    const cancel = (orderId: number) =>
      t.db.execute(
        "UPDATE orders SET status = 'cancelled', cancelled_at = GREATEST(ordered_at, paid_at) WHERE order_id = ?",
        [orderId],
      );
    const checked = async () => {
      await runEtl(t.config());
      expect((await verifyEtl(t.config())).pipelines.filter((x) => !x.ok)).toEqual([]);
      return row();
    };
    const before = await row();
    // A sale after every other one and one before every other one extend the row: patched by the delta.
    const late = await insertOrder(t.db, 1, String(p?.newest));
    const early = await insertOrder(t.db, 2, '2019-06-01 12:00:00');
    const extended = await checked();
    expect(extended?.last).toBe(String(p?.newest));
    expect(extended?.first).toBe('2019-06-01 12:00:00');
    expect(Number(extended?.units)).toBe(Number(before?.units) + 4);
    // Cancelling them takes away the cells holding the first and the last sale: re-summed.
    await cancel(late);
    await cancel(early);
    const back = await checked();
    expect(back).toEqual(before);
    const incremental = await snapshot(t.db);
    await runEtl(t.config(), { full: true });
    expect(await snapshot(t.db)).toEqual(incremental);
  });

  it('drops the report row of a customer left without orders', async () => {
    const [one] = await t.db.query<{ customer_id: number; order_id: number }>(
      `SELECT customer_id, MIN(order_id) AS order_id FROM orders GROUP BY customer_id HAVING COUNT(*) = 1
       ORDER BY customer_id LIMIT 1`,
    );
    await deleteOrder(t.db, Number(one?.order_id));
    await runEtl(t.config());
    const gone = await t.db.query('SELECT 1 FROM customer_order_summary WHERE customer_id = ?', [
      one?.customer_id,
    ]);
    expect(gone).toEqual([]);
    const partials = await t.db.query('SELECT 1 FROM etl_customer_monthly WHERE customer_id = ?', [
      one?.customer_id,
    ]);
    expect(partials).toEqual([]);
    expect((await verifyEtl(t.config())).ok).toBe(true);
  });
});
