/**
 * The OLTP schema enforces its rules on the server: foreign keys, CHECK constraints, unique keys,
 * and the conventions (InnoDB, utf8mb4, DECIMAL money, created_at/updated_at everywhere).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

const OLTP_TABLES = [
  'customers',
  'addresses',
  'categories',
  'products',
  'orders',
  'order_items',
  'inventory_movements',
  'payments',
];
const REPORTING_TABLES = [
  'customer_order_summary',
  'product_performance_summary',
  'daily_sales_summary',
  'customer_cohort_analysis',
];

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('constraints');
  db = t.db;
  await db.execute(
    `INSERT INTO customers (customer_id, email, first_name, last_name) VALUES (1, 'ann@example.com', 'Ann', 'Lee')`,
  );
  await db.execute(
    `INSERT INTO categories (category_id, parent_id, name, slug) VALUES (1, NULL, 'Root', 'root')`,
  );
  await db.execute(
    `INSERT INTO products (product_id, sku, name, category_id, price, cost) VALUES (1, 'SKU-1', 'Lamp', 1, 20.00, 8.00)`,
  );
  await db.execute(
    `INSERT INTO orders (order_id, customer_id, subtotal, total_amount, ordered_at)
     VALUES (1, 1, 40.00, 40.00, '2025-01-01 10:00:00')`,
  );
});

afterAll(async () => {
  await t?.drop();
});

/** The server error number of a rejected statement. */
async function errnoOf(sql: string, params: unknown[] = []): Promise<number | undefined> {
  try {
    await db.execute(sql, params as never);
  } catch (err) {
    return (err as { errno?: number }).errno;
  }
  throw new Error(`statement was accepted but should have been rejected: ${sql}`);
}

// MariaDB reports a failed CHECK as 4025, MySQL as 3819.
const CHECK_FAILED = [4025, 3819];

describe('conventions', () => {
  it('creates every table as InnoDB with utf8mb4_unicode_ci', async () => {
    const rows = await db.query<{ TABLE_NAME: string; ENGINE: string; TABLE_COLLATION: string }>(
      `SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`,
    );
    const names = rows.map((r) => r.TABLE_NAME);
    for (const table of [...OLTP_TABLES, ...REPORTING_TABLES]) expect(names).toContain(table);
    for (const r of rows) {
      expect(r.ENGINE, r.TABLE_NAME).toBe('InnoDB');
      expect(r.TABLE_COLLATION, r.TABLE_NAME).toBe('utf8mb4_unicode_ci');
    }
  });

  it('keeps money in DECIMAL and never in FLOAT or DOUBLE', async () => {
    const floats = await db.query(
      `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE IN ('float', 'double', 'real')`,
    );
    expect(floats).toEqual([]);
    const money = await db.query<{ COLUMN_NAME: string; DATA_TYPE: string; NUMERIC_SCALE: number }>(
      `SELECT COLUMN_NAME, DATA_TYPE, NUMERIC_SCALE FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE()
         AND (COLUMN_NAME IN ('price', 'cost', 'amount', 'subtotal', 'line_total', 'unit_price', 'revenue')
              OR COLUMN_NAME LIKE '%\\_amount' OR COLUMN_NAME LIKE 'total\\_%')
         AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.TABLES
                            WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE')
         AND COLUMN_NAME NOT IN ('total_orders', 'total_items')`,
    );
    expect(money.length).toBeGreaterThan(10);
    for (const c of money) {
      expect(c.DATA_TYPE, c.COLUMN_NAME).toBe('decimal');
      expect(Number(c.NUMERIC_SCALE), c.COLUMN_NAME).toBe(2);
    }
  });

  it('has created_at and updated_at on every table', async () => {
    const rows = await db.query<{ TABLE_NAME: string; n: number }>(
      `SELECT t.TABLE_NAME, COUNT(c.COLUMN_NAME) AS n
       FROM information_schema.TABLES t
       LEFT JOIN information_schema.COLUMNS c
         ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
        AND c.COLUMN_NAME IN ('created_at', 'updated_at')
       WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
         AND t.TABLE_NAME NOT IN ('mysqlops_schema_history', 'audit_log', 'audit_seal')
         AND t.TABLE_NAME NOT LIKE 'etl\\_%'
       GROUP BY t.TABLE_NAME`,
    );
    // audit_log is append-only (changed_at); audit_seal rows are written once (sealed_at, purged_at).
    // etl_* tables are the ETL's own queue, state and run log (V0005, docs/etl.md).
    expect(rows.length).toBe(OLTP_TABLES.length + REPORTING_TABLES.length + 1);
    for (const r of rows) expect(Number(r.n), r.TABLE_NAME).toBe(2);
  });

  it('declares no cascading foreign keys (cascades fire no audit triggers)', async () => {
    const cascades = await db.query(
      `SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
       WHERE CONSTRAINT_SCHEMA = DATABASE() AND (DELETE_RULE <> 'RESTRICT' AND DELETE_RULE <> 'NO ACTION')`,
    );
    expect(cascades).toEqual([]);
  });
});

describe('foreign keys', () => {
  it('rejects an address of a customer that does not exist', async () => {
    expect(
      await errnoOf(
        `INSERT INTO addresses (customer_id, address_type, recipient_name, line1, city, postal_code, country_code)
         VALUES (999, 'billing', 'X', '1 Road', 'Town', '1000', 'US')`,
      ),
    ).toBe(1452);
  });

  it('rejects an order item for an unknown product', async () => {
    expect(
      await errnoOf(
        `INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) VALUES (1, 999, 1, 1.00, 1.00)`,
      ),
    ).toBe(1452);
  });

  it('refuses to delete a customer who has orders', async () => {
    expect(await errnoOf(`DELETE FROM customers WHERE customer_id = 1`)).toBe(1451);
  });
});

describe('CHECK constraints and unique keys', () => {
  it('rejects an unknown customer segment', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO customers (email, first_name, last_name, segment) VALUES ('b@example.com', 'B', 'C', 'gold')`,
      ),
    );
  });

  it('rejects a duplicate e-mail address', async () => {
    expect(
      await errnoOf(
        `INSERT INTO customers (email, first_name, last_name) VALUES ('ann@example.com', 'A', 'L')`,
      ),
    ).toBe(1062);
  });

  it('rejects a negative price', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO products (sku, name, category_id, price, cost) VALUES ('SKU-2', 'Bad', 1, -1.00, 0.00)`,
      ),
    );
  });

  it('rejects an order whose total does not add up', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO orders (customer_id, subtotal, tax_amount, shipping_amount, total_amount)
         VALUES (1, 10.00, 1.00, 2.00, 12.00)`,
      ),
    );
  });

  it('rejects an order shipped before it was paid', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO orders (customer_id, status, ordered_at, shipped_at)
         VALUES (1, 'shipped', '2025-01-01 10:00:00', '2025-01-02 10:00:00')`,
      ),
    );
  });

  it('rejects an order line whose total is not quantity x price - discount', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO order_items (order_id, product_id, quantity, unit_price, line_total) VALUES (1, 1, 2, 20.00, 30.00)`,
      ),
    );
    await db.execute(
      `INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount_amount, line_total)
       VALUES (1, 1, 2, 20.00, 0.00, 40.00)`,
    );
  });

  it('rejects a sale movement that adds stock and a zero movement', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(`INSERT INTO inventory_movements (product_id, quantity, reason) VALUES (1, 5, 'sale')`),
    );
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO inventory_movements (product_id, quantity, reason) VALUES (1, 0, 'adjustment')`,
      ),
    );
  });

  it('allows one default address of each kind per customer, and any number of others', async () => {
    const insert = `INSERT INTO addresses (customer_id, address_type, is_default, recipient_name, line1, city, postal_code, country_code)
                    VALUES (1, ?, ?, 'Ann Lee', '1 Road', 'Town', '1000', 'US')`;
    await db.execute(insert, ['shipping', 1]);
    await db.execute(insert, ['billing', 1]);
    await db.execute(insert, ['shipping', null]);
    await db.execute(insert, ['shipping', null]);
    expect(await errnoOf(insert, ['shipping', 1])).toBe(1062);
    // "not default" is NULL, never 0 (a 0 would collide with the next 0 in the unique key).
    expect(CHECK_FAILED).toContain(await errnoOf(insert, ['billing', 0]));
    const [row] = await db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM addresses WHERE customer_id = 1 AND address_type = 'shipping'`,
    );
    expect(Number(row?.n)).toBe(3);
  });

  it('compares formats case-sensitively (a lower-case country or currency code is refused)', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(
        `INSERT INTO addresses (customer_id, address_type, recipient_name, line1, city, postal_code, country_code)
         VALUES (1, 'billing', 'X', '1 Road', 'Town', '1000', 'us')`,
      ),
    );
    expect(CHECK_FAILED).toContain(
      await errnoOf(`INSERT INTO orders (customer_id, currency) VALUES (1, 'usd')`),
    );
    expect(CHECK_FAILED).toContain(
      await errnoOf(`INSERT INTO categories (parent_id, name, slug) VALUES (1, 'Upper', 'Upper-Case')`),
    );
  });

  it('keeps the status in agreement with the step timestamps', async () => {
    // shipped without a shipped_at; cancelled with no cancelled_at; pending but paid
    for (const [status, paid, shipped] of [
      ['shipped', '2025-01-01 11:00:00', null],
      ['cancelled', null, null],
      ['pending', '2025-01-01 11:00:00', null],
    ] as const) {
      expect(CHECK_FAILED).toContain(
        await errnoOf(
          `INSERT INTO orders (customer_id, status, ordered_at, paid_at, shipped_at)
           VALUES (1, ?, '2025-01-01 10:00:00', ?, ?)`,
          [status, paid, shipped],
        ),
      );
    }
  });

  it('rejects a category slug that is not URL-safe', async () => {
    expect(CHECK_FAILED).toContain(
      await errnoOf(`INSERT INTO categories (parent_id, name, slug) VALUES (1, 'Bad', 'Bad Slug')`),
    );
  });
});

describe('category tree', () => {
  it('returns a whole subtree, at any depth, with the recursive CTE from docs/schema.md', async () => {
    // Root(1) > A(10) > A1(11) > A1x(12) > A1xy(13); Root > B(20); a separate root C(30) > C1(31).
    const rows: Array<[number, number | null, string]> = [
      [10, 1, 'A'],
      [11, 10, 'A1'],
      [12, 11, 'A1x'],
      [13, 12, 'A1xy'],
      [14, 10, 'A2'],
      [20, 1, 'B'],
      [30, null, 'C'],
      [31, 30, 'C1'],
    ];
    for (const [id, parent, name] of rows) {
      await db.execute(`INSERT INTO categories (category_id, parent_id, name, slug) VALUES (?, ?, ?, ?)`, [
        id,
        parent,
        name,
        `cat-${name.toLowerCase()}`,
      ]);
    }
    const subtree = await db.query<{ category_id: number; depth: number }>(
      `WITH RECURSIVE subtree AS (
         SELECT category_id, parent_id, name, 0 AS depth FROM categories WHERE category_id = ?
         UNION ALL
         SELECT c.category_id, c.parent_id, c.name, s.depth + 1
         FROM categories c JOIN subtree s ON c.parent_id = s.category_id
       )
       SELECT category_id, depth FROM subtree ORDER BY category_id`,
      [10],
    );
    expect(subtree.map((r) => [Number(r.category_id), Number(r.depth)])).toEqual([
      [10, 0],
      [11, 1],
      [12, 2],
      [13, 3],
      [14, 1],
    ]);
    const [deep] = await db.query<{ path: string; depth: number }>(
      `SELECT path, depth FROM category_tree WHERE category_id = 13`,
    );
    expect(deep).toEqual({ path: 'Root > A > A1 > A1x > A1xy', depth: 4 });
    const roots = await db.query(`SELECT category_id FROM category_tree WHERE depth = 0 ORDER BY sort_path`);
    expect(roots.length).toBe(2);
  });
});
