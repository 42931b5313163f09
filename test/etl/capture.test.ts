/**
 * Change capture edge cases: an item written while its order was invisible, the segment clock
 * moving, and the session context every ETL write carries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchChanges } from '../../src/etl/dispatch.js';
import { runEtl, verifyEtl } from '../../src/etl/index.js';
import type { TestDatabase } from '../support/db.js';
import { insertOrder, seededDatabase } from './helpers.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await seededDatabase('etl_capture');
  await runEtl(t.config());
});
afterAll(async () => {
  await t?.drop();
});

describe('change capture', () => {
  it('picks up an item loaded before its order was visible (foreign_key_checks = 0)', async () => {
    const [m] = await t.db.query<{ next: number }>('SELECT MAX(order_id) + 1000 AS next FROM orders');
    const orderId = Number(m?.next);
    const [p] = await t.db.query<{ product_id: number; price: string }>(
      'SELECT product_id, price FROM products ORDER BY product_id DESC LIMIT 1',
    );
    await t.db.transaction(async (tx) => {
      await tx.execute('SET SESSION foreign_key_checks = 0');
      await tx.execute(
        'INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) VALUES (?, ?, 3, ?, 3 * ?)',
        [orderId, p?.product_id, p?.price, p?.price],
      );
      await tx.execute('SET SESSION foreign_key_checks = 1');
    });
    const [logged] = await t.db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM etl_change_log WHERE source = 'item' AND order_id = ? AND ordered_at IS NULL",
      [orderId],
    );
    expect(Number(logged?.n)).toBe(1);
    await t.db.execute(
      `INSERT INTO orders (order_id, customer_id, status, ordered_at, paid_at, subtotal, total_amount)
       SELECT ?, MIN(customer_id), 'paid', '2025-06-15 08:00:00', '2025-06-15 08:00:00', 3 * ?, 3 * ? FROM customers`,
      [orderId, p?.price, p?.price],
    );
    await runEtl(t.config());
    const v = await verifyEtl(t.config());
    expect(v.pipelines.filter((x) => !x.ok)).toEqual([]);
  });

  it('empties the change log as it drains it, rows that yield no key included', async () => {
    // An item whose order never arrives: no customer, no day, so no key for any pipeline.
    const [m] = await t.db.query<{ next: number }>('SELECT MAX(order_id) + 5000 AS next FROM orders');
    const [p] = await t.db.query<{ product_id: number; price: string }>(
      'SELECT product_id, price FROM products ORDER BY product_id LIMIT 1',
    );
    await t.db.transaction(async (tx) => {
      await tx.execute('SET SESSION foreign_key_checks = 0');
      await tx.execute(
        'INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) VALUES (?, ?, 1, ?, ?)',
        [m?.next, p?.product_id, p?.price, p?.price],
      );
      await tx.execute('DELETE FROM order_items WHERE order_id = ?', [m?.next]);
      await tx.execute('SET SESSION foreign_key_checks = 1');
    });
    const [c] = await t.db.query<{ id: number }>('SELECT MIN(customer_id) AS id FROM customers');
    await insertOrder(t.db, Number(c?.id), '2025-05-05 05:05:00');
    const [before] = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_change_log');
    expect(Number(before?.n)).toBeGreaterThanOrEqual(5);
    await runEtl(t.config(), { pipelines: ['daily_sales_summary'] });
    const [after] = await t.db.query<{ n: number }>(
      'SELECT (SELECT COUNT(*) FROM etl_change_log) AS n, (SELECT COUNT(*) FROM etl_pending) AS pending',
    );
    // Drained once for every capturing pipeline: the other pipelines' keys wait in etl_pending.
    expect(Number(after?.n)).toBe(0);
    await runEtl(t.config());
    const [done] = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_pending');
    expect(Number(done?.n)).toBe(0);
    expect((await verifyEtl(t.config())).ok).toBe(true);
  });

  it('re-segments the customers a moving clock affects, and only those', async () => {
    const [c] = await t.db.query<{ id: number }>('SELECT MAX(customer_id) AS id FROM customer_order_summary');
    // Half a year after the newest order: many customers cross the 180 and 365 day thresholds.
    await insertOrder(t.db, Number(c?.id), '2026-07-01 12:00:00');
    const before = await t.db.query<{ s: string; n: number }>(
      'SELECT customer_segment AS s, COUNT(*) AS n FROM customer_order_summary GROUP BY 1 ORDER BY 1',
    );
    const r = await runEtl(t.config(), { pipelines: ['customer_order_summary'] });
    expect(r.pipelines[0]?.mode).toBe('incremental');
    const after = await t.db.query<{ s: string; n: number }>(
      'SELECT customer_segment AS s, COUNT(*) AS n FROM customer_order_summary GROUP BY 1 ORDER BY 1',
    );
    expect(after).not.toEqual(before);
    const [total] = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM customer_order_summary');
    expect(r.pipelines[0]?.rowsRead).toBeLessThan(Number(total?.n));
    const v = await verifyEtl(t.config(), { pipelines: ['customer_order_summary'] });
    expect(v.pipelines[0]?.differences).toEqual([]);
  });

  it("writes with the session context { user: 'etl' }, so audit triggers can attribute its changes", async () => {
    await t.db.execute('CREATE TABLE etl_who (app_user VARCHAR(64) NULL, request_id VARCHAR(255) NULL)');
    await t.db.execute(
      `CREATE TRIGGER etl_who_ai AFTER INSERT ON daily_sales_summary FOR EACH ROW
       INSERT INTO etl_who VALUES (@app_user, @app_request_id)`,
    );
    const [c] = await t.db.query<{ id: number }>('SELECT MIN(customer_id) AS id FROM customers');
    await insertOrder(t.db, Number(c?.id), '2025-03-03 03:03:00');
    await runEtl(t.config(), { pipelines: ['daily_sales_summary'] });
    const who = await t.db.query<{ app_user: string; request_id: string }>('SELECT * FROM etl_who');
    expect(who.length).toBeGreaterThan(0);
    expect(who.every((w) => w.app_user === 'etl' && /^etl-[0-9a-f-]{36}$/.test(w.request_id))).toBe(true);
  });
});

describe('draining in stages', () => {
  const count = async (sql: string) => Number((await t.db.query<{ n: number }>(sql))[0]?.n);
  const pending = (pipeline: string) =>
    count(`SELECT COUNT(*) AS n FROM etl_pending WHERE pipeline = '${pipeline}'`);
  const logRows = () => count('SELECT COUNT(*) AS n FROM etl_change_log');

  it('announces the customer keys first, then the others, and empties the log', async () => {
    const [c] = await t.db.query<{ id: number }>('SELECT MAX(customer_id) AS id FROM customers');
    await insertOrder(t.db, Number(c?.id), '2025-07-07 07:07:00');
    const logged = await logRows();
    expect(logged).toBeGreaterThan(0);
    const stages: string[][] = [];
    const r = await dispatchChanges(t.db.withContext({ user: 'etl' }), (stage) => stages.push(stage));
    expect(r.rows).toBe(logged);
    expect(stages).toEqual([
      ['customer_order_summary'],
      ['product_performance_summary', 'daily_sales_summary', 'customer_cohort_analysis'],
    ]);
    expect(await logRows()).toBe(0);
    await runEtl(t.config());
    expect((await verifyEtl(t.config())).ok).toBe(true);
  });

  // Throwing from the announcement stops the drain right there, so each stage's state is seen as
  // a crash at that point would leave it.
  it.each([
    { stage: 1, customer: true, product: false },
    { stage: 2, customer: true, product: true },
  ])(
    'a drain that dies after stage $stage has committed that far and left the log whole for the next run',
    async ({ stage, customer, product }) => {
      const [c] = await t.db.query<{ id: number }>('SELECT MIN(customer_id) + ? AS id FROM customers', [
        stage,
      ]);
      await insertOrder(t.db, Number(c?.id), `2025-08-0${stage} 08:08:00`);
      const logged = await logRows();
      let announced = 0;
      const died = await dispatchChanges(t.db.withContext({ user: 'etl' }), () => {
        if (++announced === stage) throw new Error(`simulated death after stage ${stage}`);
      }).catch((e: unknown) => e as Error);
      expect((died as Error).message).toBe(`simulated death after stage ${stage}`);
      expect((await pending('customer_order_summary')) > 0).toBe(customer);
      expect((await pending('product_performance_summary')) > 0).toBe(product);
      expect(await logRows()).toBe(logged);
      // The next run dispatches the same rows again (keys queued twice are queued once).
      await runEtl(t.config());
      expect(await logRows()).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM etl_pending')).toBe(0);
      expect((await verifyEtl(t.config())).ok).toBe(true);
    },
  );
});
