/**
 * ETL test helpers: a migrated, seeded database, report snapshots, and writes that change orders
 * the way the shop does (new orders, status changes, refunds, deletes).
 */
import type { DatabaseManager } from '../../src/db/index.js';
import { PIPELINES } from '../../src/etl/index.js';
import { seed } from '../../src/seed/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

export async function seededDatabase(label: string): Promise<TestDatabase> {
  const t = await createMigratedDatabase(label);
  await seed(t.config(), { customers: 300, orders: 1200, products: 30, seed: 5 });
  return t;
}

/** Every report's rows (without created_at/updated_at), for exact comparisons. */
export async function snapshot(db: DatabaseManager): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const p of PIPELINES) {
    const rows = await db.query<Record<string, unknown>>(`SELECT * FROM ${p} ORDER BY 1, 2`);
    out[p] = rows.map(({ created_at: _c, updated_at: _u, ...rest }) => rest);
  }
  return out;
}

/** A new order for `customerId` with two lines, totals consistent with the CHECK constraints. */
export async function insertOrder(
  db: DatabaseManager,
  customerId: number,
  orderedAt: string,
): Promise<number> {
  const products = await db.query<{ product_id: number; price: string }>(
    'SELECT product_id, price FROM products ORDER BY product_id LIMIT 2',
  );
  return db.transaction(async (tx) => {
    const { insertId } = await tx.execute(
      `INSERT INTO orders (customer_id, status, ordered_at, paid_at) VALUES (?, 'paid', ?, ?)`,
      [customerId, orderedAt, orderedAt],
    );
    for (const p of products) {
      await tx.execute(
        'INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) VALUES (?, ?, 2, ?, 2 * ?)',
        [insertId, p.product_id, p.price, p.price],
      );
    }
    await tx.execute(
      `UPDATE orders SET subtotal = (SELECT SUM(line_total) FROM order_items WHERE order_id = ?),
         total_amount = (SELECT SUM(line_total) FROM order_items WHERE order_id = ?) WHERE order_id = ?`,
      [insertId, insertId, insertId],
    );
    return insertId;
  });
}

/** Hard-delete an order with everything that refers to it. */
export async function deleteOrder(db: DatabaseManager, orderId: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute('DELETE FROM payments WHERE order_id = ?', [orderId]);
    await tx.execute("DELETE FROM inventory_movements WHERE reference_type = 'order' AND reference_id = ?", [
      orderId,
    ]);
    await tx.execute('DELETE FROM order_items WHERE order_id = ?', [orderId]);
    await tx.execute('DELETE FROM orders WHERE order_id = ?', [orderId]);
  });
}

/** A mix of writes: new orders (one for a brand-new customer), a cancellation, a refund, deletes. */
export async function mutate(db: DatabaseManager, round: number): Promise<void> {
  const [c] = await db.query<{ id: number }>('SELECT MIN(customer_id) + ? AS id FROM customers', [round * 7]);
  await insertOrder(db, Number(c?.id), '2025-12-30 10:00:00');
  await insertOrder(db, Number(c?.id) + 1, '2023-02-01 09:00:00'); // earlier than most: moves first orders
  const { insertId: fresh } = await db.execute(
    "INSERT INTO customers (email, first_name, last_name) VALUES (?, 'New', 'Buyer')",
    [`new${round}-${Date.now()}@example.com`],
  );
  await insertOrder(db, fresh, '2025-11-15 12:00:00');
  const [paid] = await db.query<{ order_id: number }>(
    "SELECT order_id FROM orders WHERE status = 'paid' ORDER BY order_id LIMIT 1 OFFSET ?",
    [round],
  );
  await db.execute(
    "UPDATE orders SET status = 'cancelled', cancelled_at = GREATEST(ordered_at, paid_at) WHERE order_id = ?",
    [paid?.order_id],
  );
  const [delivered] = await db.query<{ order_id: number }>(
    "SELECT order_id FROM orders WHERE status = 'delivered' ORDER BY order_id LIMIT 1 OFFSET ?",
    [round],
  );
  await db.execute("UPDATE orders SET status = 'returned', returned_at = delivered_at WHERE order_id = ?", [
    delivered?.order_id,
  ]);
  const [victim] = await db.query<{ order_id: number }>(
    'SELECT order_id FROM orders ORDER BY order_id LIMIT 1 OFFSET ?',
    [10 + round * 3],
  );
  await deleteOrder(db, Number(victim?.order_id));
  await db.execute("UPDATE customers SET last_name = CONCAT(last_name, 'x') WHERE customer_id = ?", [c?.id]);
}
