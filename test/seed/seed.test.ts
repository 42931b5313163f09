/**
 * seed() against the real server: integrity (every CHECK and foreign key, although the loading
 * sessions ran without foreign key and unique checks), consistency (totals, stock, payments,
 * segments), realism (repeat buyers, status mix, seasons), determinism, and its refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseManager } from '../../src/db/index.js';
import { SeedError, UsageError } from '../../src/errors.js';
import { SEED_TABLES, type SeedProgress, type SeedResult, seed } from '../../src/seed/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

const SIZE = { customers: 300, orders: 1000, products: 40, seed: 'test-seed' } as const;
/** The end of the default end date (2025-12-31): the dataset's "now". */
const NOW = '2026-01-01 00:00:00';

let a: TestDatabase;
let b: TestDatabase;
let c: TestDatabase;
let db: DatabaseManager;
let result: SeedResult;
const events: SeedProgress[] = [];

beforeAll(async () => {
  [a, b, c] = await Promise.all([
    createMigratedDatabase('seed_a'),
    createMigratedDatabase('seed_b'),
    createMigratedDatabase('seed_c'),
  ]);
  db = a.db;
  result = await seed(a.config(), { ...SIZE, onProgress: (e) => events.push(e) });
  await seed(b.config(), SIZE);
  await seed(c.config(), { ...SIZE, seed: 'another-seed' });
});

afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop(), c?.drop()]);
});

async function value(sql: string): Promise<number> {
  const [row] = await db.query<Record<string, unknown>>(sql);
  return Number(Object.values(row ?? {})[0]);
}

describe('seed()', () => {
  it('loads every table with the counts it reports, sizes as requested', async () => {
    for (const t of SEED_TABLES) expect(await value(`SELECT COUNT(*) FROM ${t}`), t).toBe(result.rows[t]);
    expect(result.rows).toMatchObject({ customers: 300, orders: 1000, products: 40 });
    expect(result.totalRows).toBe(Object.values(result.rows).reduce((x, y) => x + y, 0));
    expect(result.rows.order_items).toBeGreaterThan(3000);
  });

  it('satisfies every CHECK constraint: each row re-inserted through a copy of its table', async () => {
    for (const t of SEED_TABLES) {
      const copy = `check_copy_${t}`;
      await db.execute(`CREATE TABLE ${copy} LIKE ${t}`);
      try {
        const columns = await db.query<{ c: string }>(
          `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS
           WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND GENERATION_EXPRESSION IS NULL
           ORDER BY ORDINAL_POSITION`,
          [t],
        );
        const list = columns.map((r) => r.c).join(', ');
        await db.execute(`INSERT INTO ${copy} (${list}) SELECT ${list} FROM ${t}`);
        expect(await value(`SELECT COUNT(*) FROM ${copy}`)).toBe(result.rows[t]);
      } finally {
        await db.execute(`DROP TABLE ${copy}`);
      }
    }
    // The copies do enforce the constraints (CREATE TABLE ... LIKE keeps CHECKs):
    await db.execute('CREATE TABLE check_copy_probe LIKE orders');
    try {
      await expect(
        db.execute(
          `INSERT INTO check_copy_probe (customer_id, subtotal, total_amount, ordered_at) VALUES (1, 10, 11, '2025-01-01')`,
        ),
      ).rejects.toMatchObject({ errno: 4025 });
    } finally {
      await db.execute('DROP TABLE check_copy_probe');
    }
  });

  it('leaves no orphan rows although foreign key checks were off while loading', async () => {
    const orphans: Record<string, string> = {
      addresses:
        'SELECT COUNT(*) FROM addresses x LEFT JOIN customers p USING (customer_id) WHERE p.customer_id IS NULL',
      categories:
        'SELECT COUNT(*) FROM categories x LEFT JOIN categories p ON p.category_id = x.parent_id WHERE x.parent_id IS NOT NULL AND p.category_id IS NULL',
      products:
        'SELECT COUNT(*) FROM products x LEFT JOIN categories p USING (category_id) WHERE p.category_id IS NULL',
      orders:
        'SELECT COUNT(*) FROM orders x LEFT JOIN customers p USING (customer_id) WHERE p.customer_id IS NULL',
      'orders.billing': `SELECT COUNT(*) FROM orders x LEFT JOIN addresses p ON p.address_id = x.billing_address_id
        AND p.customer_id = x.customer_id AND p.address_type = 'billing' WHERE p.address_id IS NULL`,
      'orders.shipping': `SELECT COUNT(*) FROM orders x LEFT JOIN addresses p ON p.address_id = x.shipping_address_id
        AND p.customer_id = x.customer_id AND p.address_type = 'shipping' WHERE p.address_id IS NULL`,
      order_items:
        'SELECT COUNT(*) FROM order_items x LEFT JOIN orders p USING (order_id) WHERE p.order_id IS NULL',
      'order_items.product':
        'SELECT COUNT(*) FROM order_items x LEFT JOIN products p USING (product_id) WHERE p.product_id IS NULL',
      inventory_movements:
        'SELECT COUNT(*) FROM inventory_movements x LEFT JOIN products p USING (product_id) WHERE p.product_id IS NULL',
      'inventory_movements.order': `SELECT COUNT(*) FROM inventory_movements x LEFT JOIN orders p ON p.order_id = x.reference_id
        WHERE x.reference_type = 'order' AND p.order_id IS NULL`,
      payments:
        'SELECT COUNT(*) FROM payments x LEFT JOIN orders p USING (order_id) WHERE p.order_id IS NULL',
    };
    for (const [what, sql] of Object.entries(orphans)) expect(await value(sql), what).toBe(0);
  });

  it('keeps unique keys unique (unique checks were off too)', async () => {
    expect(await value('SELECT COUNT(*) - COUNT(DISTINCT email) FROM customers')).toBe(0);
    expect(await value('SELECT COUNT(*) - COUNT(DISTINCT sku) FROM products')).toBe(0);
    expect(await value('SELECT COUNT(*) - COUNT(DISTINCT slug) FROM categories')).toBe(0);
    expect(await value('SELECT COUNT(*) - COUNT(DISTINCT order_id, product_id) FROM order_items')).toBe(0);
  });

  it('adds up: subtotal = sum of lines, total = subtotal - discount + tax + shipping, refunds and captures match', async () => {
    expect(
      await value(`SELECT COUNT(*) FROM orders o JOIN (SELECT order_id, SUM(line_total) s FROM order_items GROUP BY order_id) i
        USING (order_id) WHERE i.s <> o.subtotal`),
    ).toBe(0);
    expect(
      await value('SELECT COUNT(*) FROM orders WHERE order_id NOT IN (SELECT order_id FROM order_items)'),
    ).toBe(0);
    expect(
      await value(`SELECT COUNT(*) FROM orders o WHERE paid_at IS NOT NULL AND 1 <> (SELECT COUNT(*) FROM payments p
        WHERE p.order_id = o.order_id AND p.status = 'captured' AND p.amount = o.total_amount AND p.processed_at = o.paid_at)`),
    ).toBe(0);
    expect(
      await value(`SELECT COUNT(*) FROM orders o WHERE status = 'returned' AND NOT EXISTS (SELECT 1 FROM payments p
        WHERE p.order_id = o.order_id AND p.status = 'refunded' AND p.processed_at = o.returned_at)`),
    ).toBe(0);
    expect(await value(`SELECT COUNT(*) FROM payments WHERE status = 'failed'`)).toBeGreaterThan(0);
    expect(await value('SELECT COUNT(*) FROM products WHERE cost >= price')).toBe(0);
  });

  it('books every sale, cancellation and return as stock movements', async () => {
    expect(
      await value(`SELECT COUNT(*) FROM order_items i LEFT JOIN inventory_movements m ON m.reference_type = 'order'
        AND m.reference_id = i.order_id AND m.product_id = i.product_id AND m.reason = 'sale' AND m.quantity = -i.quantity
        WHERE m.movement_id IS NULL`),
    ).toBe(0);
    expect(await value(`SELECT COUNT(*) FROM inventory_movements WHERE reason = 'sale'`)).toBe(
      result.rows.order_items,
    );
    for (const [status, reason] of [
      ['cancelled', 'cancellation'],
      ['returned', 'return'],
    ]) {
      expect(
        await value(`SELECT COUNT(*) FROM order_items i JOIN orders o USING (order_id)
          LEFT JOIN inventory_movements m ON m.reference_id = i.order_id AND m.product_id = i.product_id
          AND m.reason = '${reason}' AND m.quantity = i.quantity
          WHERE o.status = '${status}' AND m.movement_id IS NULL`),
      ).toBe(0);
    }
  });

  it('never lets stock go negative, and ends with products in stock, at reorder level and sold out', async () => {
    const lowest = await value(`SELECT MIN(running) FROM (SELECT SUM(quantity) OVER (PARTITION BY product_id
      ORDER BY moved_at, movement_id ROWS UNBOUNDED PRECEDING) AS running FROM inventory_movements) x`);
    expect(lowest).toBeGreaterThanOrEqual(0);
    const states = await db.query<{ s: string; n: number }>(
      'SELECT stock_status AS s, COUNT(*) AS n FROM product_inventory GROUP BY stock_status',
    );
    expect(states.map((r) => r.s).sort()).toEqual(['in_stock', 'out_of_stock', 'reorder']);
    expect(await value(`SELECT MAX(moved_at) <= '2025-12-31 23:59:59' FROM inventory_movements`)).toBe(1);
  });

  it('gives customers unique emails, exactly one default address of each kind, and first orders after signup', async () => {
    expect(
      await value(`SELECT COUNT(*) FROM customers c WHERE 1 <> (SELECT COUNT(*) FROM addresses x WHERE x.customer_id = c.customer_id
        AND x.address_type = 'shipping' AND x.is_default = 1) OR 1 <> (SELECT COUNT(*) FROM addresses x
        WHERE x.customer_id = c.customer_id AND x.address_type = 'billing' AND x.is_default = 1)`),
    ).toBe(0);
    expect(
      await value(
        'SELECT COUNT(*) FROM (SELECT customer_id FROM addresses GROUP BY customer_id HAVING COUNT(*) > 2) x',
      ),
    ).toBeGreaterThan(0);
    expect(
      await value(`SELECT COUNT(*) FROM customers c JOIN (SELECT customer_id, MIN(ordered_at) f FROM orders GROUP BY customer_id) o
        USING (customer_id) WHERE o.f <= c.created_at`),
    ).toBe(0);
    expect(await value('SELECT COUNT(DISTINCT country_code) FROM addresses')).toBeGreaterThan(3);
  });

  it('sets each segment by the documented rule, and all five occur', async () => {
    const mismatches =
      await value(`SELECT COUNT(*) FROM customers c LEFT JOIN (SELECT customer_id, COUNT(*) n,
        MIN(ordered_at) f, MAX(ordered_at) l FROM orders GROUP BY customer_id) o USING (customer_id)
      WHERE c.segment <> CASE
        WHEN o.n IS NULL THEN 'new'
        WHEN TIMESTAMPDIFF(SECOND, o.l, '${NOW}') > 365 * 86400 THEN 'churned'
        WHEN TIMESTAMPDIFF(SECOND, o.l, '${NOW}') > 180 * 86400 THEN 'at_risk'
        WHEN TIMESTAMPDIFF(SECOND, o.f, '${NOW}') <= 90 * 86400 THEN 'new'
        WHEN o.n >= 10 THEN 'vip'
        ELSE 'regular' END`);
    expect(mismatches).toBe(0);
    expect(await value('SELECT COUNT(DISTINCT segment) FROM customers')).toBe(5);
  });

  it('looks like a shop: repeat buyers, a realistic status mix, 1 to 6 lines averaging ~3.3', async () => {
    const perCustomer = await db.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM orders GROUP BY customer_id',
    );
    const counts = perCustomer.map((r) => Number(r.n)).sort((x, y) => x - y);
    expect(counts.filter((n) => n >= 2).length / counts.length).toBeGreaterThan(0.3);
    expect(counts[Math.floor(counts.length / 2)]).toBeLessThanOrEqual(3);
    expect(counts[counts.length - 1]).toBeGreaterThanOrEqual(10);

    const share = async (status: string) =>
      (await value(`SELECT COUNT(*) FROM orders WHERE status = '${status}'`)) / SIZE.orders;
    expect(await share('delivered')).toBeGreaterThan(0.75);
    expect(await share('cancelled')).toBeGreaterThan(0.02);
    expect(await share('cancelled')).toBeLessThan(0.09);
    expect(await share('returned')).toBeGreaterThan(0.01);
    expect(await share('returned')).toBeLessThan(0.06);
    // Orders still on their way are recent.
    expect(
      await value(
        `SELECT COUNT(*) FROM orders WHERE status IN ('pending', 'paid', 'shipped') AND ordered_at < '${NOW}' - INTERVAL 21 DAY`,
      ),
    ).toBe(0);

    const [lines] = await db.query<{ lo: number; hi: number; avg: number }>(
      'SELECT MIN(n) AS lo, MAX(n) AS hi, AVG(n) AS avg FROM (SELECT COUNT(*) n FROM order_items GROUP BY order_id) x',
    );
    expect(Number(lines?.lo)).toBe(1);
    expect(Number(lines?.hi)).toBe(6);
    expect(Number(lines?.avg)).toBeGreaterThan(3.0);
    expect(Number(lines?.avg)).toBeLessThan(3.7);
  });

  it('spreads orders over 2+ years with a November/December peak', async () => {
    expect(
      await value('SELECT DATEDIFF(MAX(ordered_at), MIN(ordered_at)) FROM orders'),
    ).toBeGreaterThanOrEqual(730);
    const perDay = async (months: string) =>
      (await value(`SELECT COUNT(*) FROM orders WHERE MONTH(ordered_at) IN (${months})`)) / (61 * 3);
    expect(await perDay('11, 12')).toBeGreaterThan(1.2 * (await perDay('9, 10')));
  });

  it('reports progress for every table: planned totals first, then loads, then done with exact counts', () => {
    for (const t of SEED_TABLES) {
      const own = events.filter((e) => e.table === t);
      expect(own[0]?.phase, t).toBe('plan');
      expect(own.at(-1), t).toEqual({
        phase: 'done',
        table: t,
        rows: result.rows[t],
        totalRows: result.rows[t],
      });
      expect(
        own.some((e) => e.phase === 'load'),
        t,
      ).toBe(true);
    }
  });

  it('is deterministic: the same seed gives identical CHECKSUM TABLE in two databases, another seed differs', async () => {
    const checksums = async (name: string) => {
      const rows = await db.query<{ Table: string; Checksum: number }>(
        `CHECKSUM TABLE ${SEED_TABLES.map((t) => `${name}.${t}`).join(', ')}`,
      );
      const out = new Map(rows.map((r) => [r.Table.split('.')[1] as string, String(r.Checksum)]));
      return SEED_TABLES.map((t) => out.get(t));
    };
    const [sa, sb, sc] = await Promise.all([checksums(a.name), checksums(b.name), checksums(c.name)]);
    expect(sa.every((x) => x !== undefined && x !== 'null')).toBe(true);
    expect(sb).toEqual(sa);
    for (const [i, t] of SEED_TABLES.entries()) {
      if (t !== 'categories') expect(sc[i], t).not.toBe(sa[i]);
    }
  });

  it('refuses a database that already holds data, naming the tables, and changes nothing', async () => {
    const checksum = async () => (await db.query<{ Checksum: number }>('CHECKSUM TABLE orders'))[0]?.Checksum;
    const before = await checksum();
    const err = await seed(a.config(), SIZE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeedError);
    expect((err as SeedError).code).toBe('E_SEED');
    expect((err as SeedError).exitCode).toBe(1);
    expect((err as SeedError).message).toMatch(/already holds data.*customers.*orders/);
    expect((err as SeedError).hint).toMatch(/freshly migrated database/);
    expect(await value('SELECT COUNT(*) FROM orders')).toBe(SIZE.orders);
    expect(await checksum()).toBe(before);
  });

  it('refuses a database without the schema and says to migrate', async () => {
    const empty = await createTestDatabase('seed_empty');
    try {
      const err = await seed(empty.config(), SIZE).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SeedError);
      expect((err as SeedError).message).toMatch(
        /schema is missing.*no table categories, products, customers/,
      );
      expect((err as SeedError).hint).toMatch(/mysqlops migrate up/);
    } finally {
      await empty.drop();
    }
  });

  it('rejects invalid options with a UsageError before connecting', async () => {
    const nowhere = { connection: { host: '127.0.0.1', port: 1, database: 'x' } };
    await expect(seed(nowhere, { customers: -1 })).rejects.toBeInstanceOf(UsageError);
    await expect(seed(nowhere, { endDate: '2025-13-01' })).rejects.toMatchObject({
      code: 'E_USAGE',
      exitCode: 2,
    });
  });
});
