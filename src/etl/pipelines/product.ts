/**
 * product_performance_summary: one row per product that was ever ordered; key product_id. Built
 * from per-product-per-month partials (etl_product_monthly), so new orders recompute only the
 * (product, month) cells they touch and then re-sum the touched products' few partial rows.
 * Pending keys: k1 = product_id, k2 = TO_DAYS(month) (0: only the copied attributes changed).
 * Margin uses today's products.cost (products keep no cost history), as the analytics views do.
 */
import type { SqlRunner } from '../types.js';
import { fill, KEPT, monthOf, type PipelineDef, runAll, type Targets } from './shared.js';

const MONTHLY_FROM = (source: string) => `
INSERT INTO {monthly} (product_id, month_start, order_lines, order_count, units_sold, units_returned, revenue,
  first_sold_at, last_sold_at)
SELECT STRAIGHT_JOIN oi.product_id, ${monthOf('o.ordered_at')} AS m, COUNT(*), SUM(${KEPT}),
  SUM(IF(${KEPT}, oi.quantity, 0)), SUM(IF(o.status = 'returned', oi.quantity, 0)),
  SUM(IF(${KEPT}, oi.line_total, 0)), MIN(IF(${KEPT}, o.ordered_at, NULL)), MAX(IF(${KEPT}, o.ordered_at, NULL))
FROM ${source}
GROUP BY oi.product_id, m`;

const SUMMARY_FROM = (source: string) => `
INSERT INTO {report} (product_id, sku, product_name, category_id, category_name, order_count, units_sold,
  units_returned, revenue, cost_of_goods, gross_margin, return_rate, first_sold_at, last_sold_at)
SELECT p.product_id, p.sku, p.name, p.category_id, c.name, SUM(m.order_count), SUM(m.units_sold),
  SUM(m.units_returned), SUM(m.revenue), SUM(m.units_sold) * p.cost, SUM(m.revenue) - SUM(m.units_sold) * p.cost,
  IF(SUM(m.units_sold) + SUM(m.units_returned) > 0,
     ROUND(SUM(m.units_returned) / (SUM(m.units_sold) + SUM(m.units_returned)), 4), 0),
  MIN(m.first_sold_at), MAX(m.last_sold_at)
FROM ${source}
JOIN products p ON p.product_id = m.product_id
JOIN categories c ON c.category_id = p.category_id
GROUP BY p.product_id, p.sku, p.name, p.category_id, c.name, p.cost`;

/** Ranks by revenue (1 = best; ties share a rank), rewritten only where they changed. */
const RANK_STATEMENTS = [
  'DROP TEMPORARY TABLE IF EXISTS {ranks}',
  'CREATE TEMPORARY TABLE {ranks} (product_id INT UNSIGNED NOT NULL PRIMARY KEY, r INT UNSIGNED NOT NULL)',
  'INSERT INTO {ranks} (product_id, r) SELECT product_id, RANK() OVER (ORDER BY revenue DESC) FROM {report}',
  `UPDATE {report} s JOIN {ranks} x ON x.product_id = s.product_id
   SET s.revenue_rank = x.r WHERE NOT (s.revenue_rank <=> x.r)`,
  'DROP TEMPORARY TABLE {ranks}',
];

const rank = (sql: SqlRunner, t: Targets) =>
  runAll(
    sql,
    RANK_STATEMENTS.map((text) => ({ text: fill(text, t, { ranks: 'etl_ranks' }) })),
  );

export const productPerformanceSummary: PipelineDef = {
  name: 'product_performance_summary',
  keyColumns: ['product_id'],
  helpers: ['monthly'],
  build: async (sql, t) => {
    await sql.execute(fill(MONTHLY_FROM('order_items oi JOIN orders o ON o.order_id = oi.order_id'), t));
    const written = (await sql.execute(fill(SUMMARY_FROM('{monthly} m'), t))).affectedRows;
    await rank(sql, t);
    return written;
  },
  batch: (sql, t) => {
    const x = { months: 'etl_batch_months', products: 'etl_batch_products' };
    const f = (s: string) => fill(s, t, x);
    return runAll(sql, [
      { text: f('DROP TEMPORARY TABLE IF EXISTS {months}, {products}') },
      { text: f('CREATE TEMPORARY TABLE {months} (month_start DATE NOT NULL PRIMARY KEY)') },
      { text: f('CREATE TEMPORARY TABLE {products} (product_id INT UNSIGNED NOT NULL PRIMARY KEY)') },
      { text: f('INSERT INTO {months} SELECT DISTINCT FROM_DAYS(k2) FROM {batch} WHERE k2 > 0') },
      { text: f('INSERT INTO {products} SELECT DISTINCT k1 FROM {batch}') },
      {
        text: f(`DELETE m FROM {monthly} m JOIN {batch} b
                 ON b.k2 > 0 AND m.product_id = b.k1 AND m.month_start = FROM_DAYS(b.k2)`),
      },
      {
        text: f(
          MONTHLY_FROM(`{months} mm
            JOIN orders o FORCE INDEX (ix_orders_ordered_at)
              ON o.ordered_at >= mm.month_start AND o.ordered_at < mm.month_start + INTERVAL 1 MONTH
            JOIN order_items oi ON oi.order_id = o.order_id
            JOIN {batch} b ON b.k1 = oi.product_id AND b.k2 = TO_DAYS(mm.month_start)`),
        ),
      },
      { text: f('DELETE s FROM {report} s JOIN {products} bp ON s.product_id = bp.product_id') },
      {
        text: f(SUMMARY_FROM('{products} bp JOIN {monthly} m ON m.product_id = bp.product_id')),
        count: true,
      },
      { text: f('DROP TEMPORARY TABLE {months}, {products}') },
    ]);
  },
  finish: async (sql, t) => {
    await rank(sql, t);
  },
};
