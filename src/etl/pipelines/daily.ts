/**
 * daily_sales_summary: one row per calendar day with orders; key sales_date (k1 = TO_DAYS(day)).
 * new_customers counts customers whose first order (any status) fell on that day.
 */
import { fill, KEPT, type PipelineDef, runAll } from './shared.js';

/** Full build: order-level and item-level sums merged with UNION ALL (see customer.ts). */
const INSERT_ALL = `
INSERT INTO {report} (sales_date, order_count, cancelled_orders, returned_orders, items_sold, unique_customers,
  new_customers, gross_revenue, discount_total, net_revenue, avg_order_value)
SELECT u.d, SUM(u.n), SUM(u.cancelled), SUM(u.returned), COALESCE(SUM(u.items), 0), SUM(u.customers),
  SUM(u.new_customers), SUM(u.gross), SUM(u.discount), SUM(u.net),
  IF(SUM(u.kept) > 0, ROUND(SUM(u.net) / SUM(u.kept), 2), 0)
FROM (
  SELECT STRAIGHT_JOIN CAST(o.ordered_at AS DATE) AS d, COUNT(*) AS n, SUM(o.status = 'cancelled') AS cancelled,
    SUM(o.status = 'returned') AS returned, NULL AS items, COUNT(DISTINCT o.customer_id) AS customers,
    COUNT(DISTINCT IF(o.ordered_at = f.first_at, o.customer_id, NULL)) AS new_customers,
    SUM(IF(${KEPT}, o.subtotal, 0)) AS gross, SUM(IF(${KEPT}, o.discount_amount, 0)) AS discount,
    SUM(IF(${KEPT}, o.total_amount, 0)) AS net, SUM(${KEPT}) AS kept
  FROM (SELECT customer_id, MIN(ordered_at) AS first_at FROM orders GROUP BY customer_id) f
  JOIN orders o ON o.customer_id = f.customer_id
  GROUP BY d
  UNION ALL
  SELECT CAST(o.ordered_at AS DATE), 0, 0, 0, SUM(oi.quantity), 0, 0, 0, 0, 0, 0
  FROM orders o JOIN order_items oi ON oi.order_id = o.order_id
  WHERE ${KEPT} GROUP BY CAST(o.ordered_at AS DATE)
) u
GROUP BY u.d`;

const INSERT_FROM = (source: string) => `
INSERT INTO {report} (sales_date, order_count, cancelled_orders, returned_orders, items_sold, unique_customers,
  new_customers, gross_revenue, discount_total, net_revenue, avg_order_value)
SELECT x.d, COUNT(*), SUM(x.status = 'cancelled'), SUM(x.status = 'returned'),
  COALESCE(SUM(IF(x.kept, x.units, 0)), 0), COUNT(DISTINCT x.customer_id),
  COUNT(DISTINCT IF(x.ordered_at = x.first_at, x.customer_id, NULL)),
  SUM(IF(x.kept, x.subtotal, 0)), SUM(IF(x.kept, x.discount_amount, 0)), SUM(IF(x.kept, x.total_amount, 0)),
  IF(SUM(x.kept) > 0, ROUND(SUM(IF(x.kept, x.total_amount, 0)) / SUM(x.kept), 2), 0)
FROM (
  -- ORDER BY ... LIMIT 1 reads one index entry; MIN() in a correlated subquery read them all.
  SELECT y.*, (SELECT f.ordered_at FROM orders f WHERE f.customer_id = y.customer_id ORDER BY f.ordered_at LIMIT 1)
    AS first_at
  FROM (
    SELECT STRAIGHT_JOIN o.order_id, CAST(o.ordered_at AS DATE) AS d, o.customer_id, o.status, o.subtotal, o.discount_amount,
      o.total_amount, o.ordered_at, ${KEPT} AS kept, SUM(oi.quantity) AS units
    FROM ${source}
    LEFT JOIN order_items oi ON oi.order_id = o.order_id
    GROUP BY o.order_id, o.ordered_at, o.customer_id, o.status, o.subtotal, o.discount_amount, o.total_amount
  ) y
) x
GROUP BY x.d`;

export const dailySalesSummary: PipelineDef = {
  name: 'daily_sales_summary',
  keyColumns: ['sales_date'],
  helpers: [],
  build: (sql, t) => runAll(sql, [{ text: fill(INSERT_ALL, t), count: true }]),
  batch: (sql, t) =>
    runAll(sql, [
      { text: fill('DELETE s FROM {report} s JOIN {batch} b ON s.sales_date = FROM_DAYS(b.k1)', t) },
      {
        text: fill(
          INSERT_FROM(
            '{batch} b JOIN orders o FORCE INDEX (ix_orders_ordered_at) ON o.ordered_at >= FROM_DAYS(b.k1) AND o.ordered_at < FROM_DAYS(b.k1) + INTERVAL 1 DAY',
          ),
          t,
        ),
        count: true,
      },
    ]),
};
