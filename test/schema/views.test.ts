/**
 * The blueprint's views return rows with the documented columns (docs/schema.md) on seeded data,
 * and their figures agree with the base tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager, quoteId } from '../../src/db/index.js';
import { seed } from '../../src/seed/index.js';
import { sandboxConfig, type TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('views');
  db = t.db;
  await seed(t.config(), { customers: 400, orders: 1500, seed: 7 });
}, 60_000);

afterAll(async () => {
  await t?.drop();
});

/** The view's column names in order, from the server's own description. */
async function columnsOf(view: string): Promise<string[]> {
  const rows = await db.query<{ COLUMN_NAME: string }>(
    `SELECT COLUMN_NAME FROM information_schema.COLUMNS
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [view],
  );
  return rows.map((r) => r.COLUMN_NAME);
}

describe('views on seeded data', () => {
  it('customer_segment_distribution covers every customer, percentages add up to 100', async () => {
    expect(await columnsOf('customer_segment_distribution')).toEqual([
      'segment',
      'customer_count',
      'percentage',
      'order_count',
      'total_revenue',
      'avg_revenue_per_customer',
      'avg_orders_per_customer',
    ]);
    const rows = await db.query<{ segment: string; customer_count: number; percentage: string }>(
      'SELECT * FROM customer_segment_distribution',
    );
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.reduce((s, r) => s + Number(r.customer_count), 0)).toBe(400);
    expect(rows.reduce((s, r) => s + Number(r.percentage), 0)).toBeCloseTo(100, 0);
  });

  it('top_performing_products ranks by revenue that matches the order lines', async () => {
    expect(await columnsOf('top_performing_products')).toEqual([
      'product_id',
      'sku',
      'product_name',
      'category_name',
      'order_count',
      'units_sold',
      'revenue',
      'gross_margin',
      'margin_pct',
      'revenue_rank',
    ]);
    const top = await db.query<{ product_id: number; revenue: string; revenue_rank: number }>(
      'SELECT * FROM top_performing_products LIMIT 10',
    );
    expect(top).toHaveLength(10);
    expect(Number(top[0]?.revenue_rank)).toBe(1);
    for (let i = 1; i < top.length; i++) {
      expect(Number(top[i]?.revenue)).toBeLessThanOrEqual(Number(top[i - 1]?.revenue));
    }
    const [check] = await db.query<{ revenue: string }>(
      `SELECT SUM(oi.line_total) AS revenue FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
       WHERE oi.product_id = ? AND o.status NOT IN ('cancelled', 'returned')`,
      [top[0]?.product_id],
    );
    expect(check?.revenue).toBe(top[0]?.revenue);
  });

  it('product_inventory derives stock from movements and shows all three stock statuses', async () => {
    expect(await columnsOf('product_inventory')).toEqual([
      'product_id',
      'sku',
      'product_name',
      'category_name',
      'is_active',
      'stock_on_hand',
      'reorder_level',
      'stock_status',
      'stock_value',
    ]);
    const statuses = await db.query<{ stock_status: string; n: number }>(
      'SELECT stock_status, COUNT(*) AS n FROM product_inventory GROUP BY stock_status ORDER BY stock_status',
    );
    expect(statuses.map((s) => s.stock_status)).toEqual(['in_stock', 'out_of_stock', 'reorder']);
    const mismatched = await db.query(
      `SELECT v.product_id FROM product_inventory v
       LEFT JOIN (SELECT product_id, SUM(quantity) AS s FROM inventory_movements GROUP BY product_id) m
         ON m.product_id = v.product_id
       WHERE v.stock_on_hand <> COALESCE(m.s, 0)
          OR v.stock_status <> CASE WHEN COALESCE(m.s, 0) <= 0 THEN 'out_of_stock'
                                    WHEN m.s <= v.reorder_level THEN 'reorder' ELSE 'in_stock' END`,
    );
    expect(mismatched).toEqual([]);
    const reorder = await db.query(
      `SELECT * FROM product_inventory WHERE stock_status IN ('reorder', 'out_of_stock')`,
    );
    expect(reorder.length).toBeGreaterThan(0);
  });

  it('monthly_sales_trend has a row per month across 2+ years with month-over-month growth', async () => {
    expect(await columnsOf('monthly_sales_trend')).toEqual([
      'sales_month',
      'order_count',
      'cancelled_orders',
      'returned_orders',
      'unique_customers',
      'revenue',
      'avg_order_value',
      'previous_month_revenue',
      'revenue_growth_pct',
    ]);
    const rows = await db.query<{ order_count: number; previous_month_revenue: string | null }>(
      'SELECT * FROM monthly_sales_trend',
    );
    expect(rows.length).toBeGreaterThanOrEqual(24);
    expect(rows.reduce((s, r) => s + Number(r.order_count), 0)).toBe(1500);
    expect(rows[0]?.previous_month_revenue).toBeNull();
    expect(rows[1]?.previous_month_revenue).not.toBeNull();
  });

  it('database_health_dashboard reports each check with a status', async () => {
    expect(await columnsOf('database_health_dashboard')).toEqual([
      'check_name',
      'metric_value',
      'warning_at',
      'critical_at',
      'status',
      'details',
    ]);
    const rows = await db.query<{ check_name: string; status: string; metric_value: string | null }>(
      'SELECT * FROM database_health_dashboard',
    );
    const byName = new Map(rows.map((r) => [r.check_name, r]));
    expect([...byName.keys()]).toEqual(
      expect.arrayContaining([
        'connection_usage_pct',
        'long_running_queries',
        'tables_without_primary_key',
        'schema_size_mb',
      ]),
    );
    for (const r of rows) expect(['ok', 'warning', 'critical', 'info']).toContain(r.status);
    expect(byName.get('tables_without_primary_key')?.metric_value).toBe('0.00');
    expect(Number(byName.get('schema_size_mb')?.metric_value)).toBeGreaterThan(0);
  });

  it('database_health_dashboard counts tables of its own schema, whatever database the caller uses', async () => {
    await db.execute('CREATE TABLE no_pk_here (x INT)');
    // A session with no default database: DATABASE() in a view would be NULL there.
    const outside = new DatabaseManager(sandboxConfig());
    try {
      const [row] = await outside.query<{ metric_value: string }>(
        `SELECT metric_value FROM ${quoteId(t.name)}.database_health_dashboard
         WHERE check_name = 'tables_without_primary_key'`,
      );
      expect(row?.metric_value).toBe('1.00');
    } finally {
      await outside.close();
      await db.execute('DROP TABLE no_pk_here');
    }
  });
});
