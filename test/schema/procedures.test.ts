/**
 * place_order / cancel_order: the order, its items, its stock movements and its totals change
 * together or not at all, and concurrent orders cannot oversell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

const CUSTOMER = 1;
const OTHER_CUSTOMER = 2;
const SHIPPING = 1;
const BILLING = 2;
const OTHERS_SHIPPING = 3;

beforeAll(async () => {
  t = await createMigratedDatabase('procedures');
  db = t.db;
  await db.execute(`INSERT INTO customers (customer_id, email, first_name, last_name) VALUES
    (1, 'ann@example.com', 'Ann', 'Lee'), (2, 'bob@example.com', 'Bob', 'Ray')`);
  await db.execute(`INSERT INTO addresses
    (address_id, customer_id, address_type, is_default, recipient_name, line1, city, postal_code, country_code) VALUES
    (1, 1, 'shipping', 1, 'Ann Lee', '1 Road', 'Town', '1000', 'US'),
    (2, 1, 'billing', 1, 'Ann Lee', '1 Road', 'Town', '1000', 'US'),
    (3, 2, 'shipping', 1, 'Bob Ray', '2 Road', 'Town', '1000', 'US')`);
  await db.execute(`INSERT INTO categories (category_id, name, slug) VALUES (1, 'Home', 'home')`);
  await db.execute(`INSERT INTO products (product_id, sku, name, category_id, price, cost, is_active) VALUES
    (1, 'LAMP', 'Lamp', 1, 19.99, 7.00, 1),
    (2, 'RUG', 'Rug', 1, 120.00, 50.00, 1),
    (3, 'OLD', 'Discontinued', 1, 5.00, 1.00, 0),
    (4, 'LAST', 'Last units', 1, 9.00, 3.00, 1)`);
  await db.execute(`INSERT INTO inventory_movements (product_id, quantity, reason, reference_type, reference_id) VALUES
    (1, 50, 'purchase', 'purchase_order', 1), (2, 3, 'purchase', 'purchase_order', 1),
    (3, 10, 'purchase', 'purchase_order', 1), (4, 5, 'purchase', 'purchase_order', 2)`);
});

afterAll(async () => {
  await t?.drop();
});

type Item = { product_id?: number; quantity: number };

async function placeOrder(
  items: Item[] | string,
  opts: {
    customer?: number;
    shipping?: number | null;
    billing?: number | null;
    manager?: DatabaseManager;
  } = {},
): Promise<number> {
  const rows = await (opts.manager ?? db).query<{ order_id: number }>(
    'CALL place_order(?, ?, ?, ?, ?, ?, ?, @order_id)',
    [
      opts.customer ?? CUSTOMER,
      opts.shipping === undefined ? SHIPPING : opts.shipping,
      opts.billing === undefined ? BILLING : opts.billing,
      typeof items === 'string' ? items : JSON.stringify(items),
      2.5,
      4.99,
      0.08,
    ],
  );
  const id = rows[0]?.order_id;
  if (id === undefined) throw new Error(`place_order returned no order_id: ${JSON.stringify(rows)}`);
  return Number(id);
}

async function stock(productId: number): Promise<number> {
  const [row] = await db.query<{ s: number | null }>(
    'SELECT SUM(quantity) AS s FROM inventory_movements WHERE product_id = ?',
    [productId],
  );
  return Number(row?.s ?? 0);
}

async function counts() {
  const [row] = await db.query<{ o: number; i: number; m: number }>(
    `SELECT (SELECT COUNT(*) FROM orders) AS o, (SELECT COUNT(*) FROM order_items) AS i,
            (SELECT COUNT(*) FROM inventory_movements) AS m`,
  );
  return { orders: Number(row?.o), items: Number(row?.i), movements: Number(row?.m) };
}

async function rejection(fn: () => Promise<unknown>): Promise<{ sqlState?: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    return { sqlState: (err as { sqlState?: string }).sqlState, message: (err as Error).message };
  }
  throw new Error('the call succeeded but should have been refused');
}

describe('place_order', () => {
  it('creates the order, items at current prices, sale movements and consistent totals', async () => {
    const before = { lamp: await stock(1), rug: await stock(2) };
    const id = await placeOrder([
      { product_id: 1, quantity: 2 },
      { product_id: 2, quantity: 1 },
      { product_id: 1, quantity: 1 },
    ]);
    const [order] = await db.query<Record<string, string>>('SELECT * FROM orders WHERE order_id = ?', [id]);
    const items = await db.query<{
      product_id: number;
      quantity: number;
      unit_price: string;
      line_total: string;
    }>(
      'SELECT product_id, quantity, unit_price, line_total FROM order_items WHERE order_id = ? ORDER BY product_id',
      [id],
    );
    expect(items.map((i) => [i.product_id, i.quantity, i.unit_price, i.line_total])).toEqual([
      [1, 3, '19.99', '59.97'],
      [2, 1, '120.00', '120.00'],
    ]);
    // subtotal 179.97, discount 2.50, tax round(177.47 * 0.08) = 14.20, shipping 4.99
    expect(order).toMatchObject({
      status: 'pending',
      subtotal: '179.97',
      discount_amount: '2.50',
      tax_amount: '14.20',
      shipping_amount: '4.99',
      total_amount: '196.66',
    });
    expect(await stock(1)).toBe(before.lamp - 3);
    expect(await stock(2)).toBe(before.rug - 1);
    const movements = await db.query<{ reason: string; reference_type: string; reference_id: number }>(
      'SELECT reason, reference_type, reference_id FROM inventory_movements WHERE reference_id = ? AND reference_type = ?',
      [id, 'order'],
    );
    expect(movements).toHaveLength(2);
    for (const m of movements) expect(m.reason).toBe('sale');
  });

  it('rolls back entirely when one line lacks stock', async () => {
    const before = await counts();
    const lamp = await stock(1);
    const err = await rejection(() =>
      placeOrder([
        { product_id: 1, quantity: 1 },
        { product_id: 2, quantity: 99 },
      ]),
    );
    expect(err.sqlState).toBe('45000');
    expect(err.message).toContain('insufficient stock for product 2');
    expect(await counts()).toEqual(before);
    expect(await stock(1)).toBe(lamp);
  });

  it.each([
    ['an inactive product', [{ product_id: 3, quantity: 1 }], {}, 'unknown or inactive product'],
    ['an unknown product', [{ product_id: 999, quantity: 1 }], {}, 'unknown or inactive product'],
    ['a zero quantity', [{ product_id: 1, quantity: 0 }], {}, 'positive quantity'],
    ['an empty item list', [], {}, 'non-empty JSON array'],
    ['an item without a product_id', [{ quantity: 1 }], {}, 'needs a product_id'],
    [
      "another customer's address",
      [{ product_id: 1, quantity: 1 }],
      { shipping: OTHERS_SHIPPING },
      'addresses',
    ],
    [
      'an unknown customer',
      [{ product_id: 1, quantity: 1 }],
      { customer: 999, shipping: null, billing: null },
      'customer',
    ],
  ] as const)('refuses %s and changes nothing', async (_label, items, opts, message) => {
    const before = await counts();
    const err = await rejection(() => placeOrder([...items], opts));
    expect(err.sqlState).toBe('45000');
    expect(err.message).toContain(message);
    expect(await counts()).toEqual(before);
  });

  it('refuses to run inside an open transaction (it would commit the caller’s work)', async () => {
    const err = await rejection(() =>
      db.transaction(async (tx) => {
        await tx.execute(`UPDATE customers SET phone = '555' WHERE customer_id = ?`, [OTHER_CUSTOMER]);
        await tx.query('CALL place_order(?, ?, ?, ?, 0, 0, 0, @o)', [
          CUSTOMER,
          SHIPPING,
          BILLING,
          JSON.stringify([{ product_id: 1, quantity: 1 }]),
        ]);
      }),
    );
    expect(err.message).toContain('outside an open transaction');
    const [row] = await db.query<{ phone: string | null }>(
      'SELECT phone FROM customers WHERE customer_id = ?',
      [OTHER_CUSTOMER],
    );
    expect(row?.phone).toBeNull();
  });

  it("leaves the caller's open transaction intact when it refuses to run inside it", async () => {
    await db.transaction(async (tx) => {
      await tx.execute(`UPDATE customers SET phone = '777' WHERE customer_id = ?`, [OTHER_CUSTOMER]);
      const refused = await tx
        .query('CALL place_order(?, NULL, NULL, ?, 0, 0, 0, @o)', [
          CUSTOMER,
          JSON.stringify([{ product_id: 1, quantity: 1 }]),
        ])
        .then(
          () => false,
          () => true,
        );
      expect(refused).toBe(true);
    });
    const [row] = await db.query<{ phone: string | null }>(
      'SELECT phone FROM customers WHERE customer_id = ?',
      [OTHER_CUSTOMER],
    );
    expect(row?.phone).toBe('777');
    await db.execute('UPDATE customers SET phone = NULL WHERE customer_id = ?', [OTHER_CUSTOMER]);
  });

  it('refuses a discount larger than the subtotal and changes nothing', async () => {
    const before = await counts();
    const err = await rejection(() =>
      db.query('CALL place_order(?, NULL, NULL, ?, 100000, 0, 0, @o)', [
        CUSTOMER,
        JSON.stringify([{ product_id: 1, quantity: 1 }]),
      ]),
    );
    expect(err.message).toContain('discount is larger than the subtotal');
    expect(await counts()).toEqual(before);
  });

  it('never oversells: 12 concurrent orders for 5 units, exactly 5 succeed', async () => {
    expect(await stock(4)).toBe(5);
    const managers = Array.from({ length: 4 }, () => new DatabaseManager(t.config({ pool: { size: 3 } })));
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          placeOrder([{ product_id: 4, quantity: 1 }], { manager: managers[i % managers.length] }),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter(
        (r) => r.status === 'rejected' && String((r.reason as Error).message).includes('insufficient stock'),
      ).length;
      expect({ ok, refused }).toEqual({ ok: 5, refused: 7 });
      expect(await stock(4)).toBe(0);
    } finally {
      await Promise.all(managers.map((m) => m.close()));
    }
  });
});

describe('cancel_order', () => {
  it('cancels a pending order and puts its stock back', async () => {
    const lamp = await stock(1);
    const id = await placeOrder([{ product_id: 1, quantity: 4 }]);
    expect(await stock(1)).toBe(lamp - 4);
    await db.query('CALL cancel_order(?)', [id]);
    expect(await stock(1)).toBe(lamp);
    const [order] = await db.query<{ status: string; cancelled_at: Date | null }>(
      'SELECT status, cancelled_at FROM orders WHERE order_id = ?',
      [id],
    );
    expect(order?.status).toBe('cancelled');
    expect(order?.cancelled_at).not.toBeNull();
  });

  it('refuses a shipped order and an unknown one, changing nothing', async () => {
    const id = await placeOrder([{ product_id: 1, quantity: 1 }]);
    await db.execute(
      `UPDATE orders SET status = 'shipped', paid_at = ordered_at, shipped_at = ordered_at WHERE order_id = ?`,
      [id],
    );
    const before = await counts();
    expect((await rejection(() => db.query('CALL cancel_order(?)', [id]))).message).toContain(
      'only pending or paid',
    );
    expect((await rejection(() => db.query('CALL cancel_order(?)', [987654]))).message).toContain(
      'unknown order',
    );
    expect(await counts()).toEqual(before);
  });
});
