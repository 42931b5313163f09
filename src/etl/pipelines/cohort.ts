/**
 * customer_cohort_analysis: cohorts by the month of a customer's first order (any status); one row
 * per cohort and month since then in which any cohort member ordered. Keeps each customer's cohort
 * in etl_customer_cohort, so new orders recompute only the activity months they fall in.
 * Pending keys: k1 = customer_id, k2 = TO_DAYS(month of the changed order).
 * A cohort's size is its active customers in month 0 (every member first ordered then).
 */
import { fill, KEPT, monthOf, type PipelineDef, runAll } from './shared.js';

const MEMBERSHIP_FULL = `
INSERT INTO {cohort} (customer_id, cohort_month)
SELECT customer_id, ${monthOf('MIN(ordered_at)')} FROM orders GROUP BY customer_id`;

const REPORT_FULL = `
INSERT INTO {report} (cohort_month, months_since_first, cohort_size, active_customers, retention_rate, revenue,
  cumulative_revenue, lifetime_value)
SELECT g.cohort_month, g.k, FIRST_VALUE(g.active) OVER w0, g.active,
  ROUND(g.active / FIRST_VALUE(g.active) OVER w0, 4), g.revenue, SUM(g.revenue) OVER w,
  ROUND(SUM(g.revenue) OVER w / FIRST_VALUE(g.active) OVER w0, 2)
FROM (
  SELECT c.cohort_month, TIMESTAMPDIFF(MONTH, c.cohort_month, ${monthOf('o.ordered_at')}) AS k,
    COUNT(DISTINCT o.customer_id) AS active, SUM(IF(${KEPT}, o.total_amount, 0)) AS revenue
  FROM orders o JOIN {cohort} c ON c.customer_id = o.customer_id
  GROUP BY c.cohort_month, k
) g
WINDOW w0 AS (PARTITION BY g.cohort_month ORDER BY g.k),
       w AS (PARTITION BY g.cohort_month ORDER BY g.k ROWS UNBOUNDED PRECEDING)`;

/**
 * Cells of the months in {months}; size and cumulative figures are fixed by ROLLUP next. The
 * month's orders are summed per customer first, so the cohort lookups run once per customer and in
 * customer order (a third faster than one lookup per order with COUNT(DISTINCT)).
 */
const CELLS_FOR_MONTHS = `
INSERT INTO {report} (cohort_month, months_since_first, cohort_size, active_customers, retention_rate, revenue,
  cumulative_revenue, lifetime_value)
SELECT STRAIGHT_JOIN c.cohort_month, TIMESTAMPDIFF(MONTH, c.cohort_month, a.month_start), COUNT(*), COUNT(*), 1,
  SUM(a.revenue), 0, 0
FROM (
  SELECT STRAIGHT_JOIN m.month_start, o.customer_id, SUM(IF(${KEPT}, o.total_amount, 0)) AS revenue
  FROM {months} m
  JOIN orders o FORCE INDEX (ix_orders_ordered_at)
    ON o.ordered_at >= m.month_start AND o.ordered_at < m.month_start + INTERVAL 1 MONTH
  GROUP BY m.month_start, o.customer_id
) a
JOIN {cohort} c ON c.customer_id = a.customer_id
-- A customer whose earlier first order is queued in a later batch still has their old cohort
-- here; their cells are skipped now and rebuilt when that batch moves them.
WHERE c.cohort_month <= a.month_start
GROUP BY c.cohort_month, a.month_start`;

const ROLLUP = [
  'DROP TEMPORARY TABLE IF EXISTS {roll}',
  `CREATE TEMPORARY TABLE {roll} (cohort_month DATE NOT NULL, k SMALLINT UNSIGNED NOT NULL,
     size INT UNSIGNED NOT NULL, cum DECIMAL(14,2) NOT NULL, PRIMARY KEY (cohort_month, k))`,
  `INSERT INTO {roll} (cohort_month, k, size, cum)
   SELECT cohort_month, months_since_first,
     FIRST_VALUE(active_customers) OVER (PARTITION BY cohort_month ORDER BY months_since_first),
     SUM(revenue) OVER (PARTITION BY cohort_month ORDER BY months_since_first ROWS UNBOUNDED PRECEDING)
   FROM {report}`,
  `UPDATE {report} t JOIN {roll} r ON r.cohort_month = t.cohort_month AND r.k = t.months_since_first
   SET t.cohort_size = r.size, t.retention_rate = ROUND(t.active_customers / r.size, 4),
       t.cumulative_revenue = r.cum, t.lifetime_value = ROUND(r.cum / r.size, 2)
   WHERE NOT (t.cohort_size <=> r.size AND t.retention_rate <=> ROUND(t.active_customers / r.size, 4)
              AND t.cumulative_revenue <=> r.cum AND t.lifetime_value <=> ROUND(r.cum / r.size, 2))`,
  'DROP TEMPORARY TABLE {roll}',
];

export const customerCohortAnalysis: PipelineDef = {
  name: 'customer_cohort_analysis',
  keyColumns: ['cohort_month', 'months_since_first'],
  helpers: ['cohort'],
  build: async (sql, t) => {
    await sql.execute(fill(MEMBERSHIP_FULL, t));
    return (await sql.execute(fill(REPORT_FULL, t))).affectedRows;
  },
  batch: (sql, t) => {
    const x = {
      cust: 'etl_batch_customers',
      moved: 'etl_batch_moved',
      months: 'etl_batch_months',
      roll: 'etl_roll',
    };
    const f = (s: string) => fill(s, t, x);
    return runAll(sql, [
      { text: f('DROP TEMPORARY TABLE IF EXISTS {cust}, {moved}, {months}') },
      {
        text: f(
          'CREATE TEMPORARY TABLE {cust} (customer_id BIGINT UNSIGNED NOT NULL, PRIMARY KEY (customer_id) USING BTREE) ENGINE = MEMORY',
        ),
      },
      {
        text: f(`CREATE TEMPORARY TABLE {moved} (customer_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
                   old_cohort DATE NULL, new_cohort DATE NULL)`),
      },
      { text: f('CREATE TEMPORARY TABLE {months} (month_start DATE NOT NULL PRIMARY KEY)') },
      { text: f('INSERT INTO {cust} SELECT DISTINCT k1 FROM {batch}') },
      // Customers whose first-order month changed (or who have no orders left).
      {
        text: f(`INSERT INTO {moved} (customer_id, old_cohort, new_cohort)
                 SELECT z.customer_id, z.old_cohort, z.new_cohort FROM (
                   SELECT u.customer_id, c.cohort_month AS old_cohort,
                     ${monthOf('(SELECT o.ordered_at FROM orders o WHERE o.customer_id = u.customer_id ORDER BY o.ordered_at LIMIT 1)')}
                       AS new_cohort
                   FROM {cust} u LEFT JOIN {cohort} c ON c.customer_id = u.customer_id
                 ) z WHERE NOT (z.old_cohort <=> z.new_cohort)`),
      },
      { text: f('DELETE c FROM {cohort} c JOIN {moved} m ON m.customer_id = c.customer_id') },
      {
        text: f(`INSERT INTO {cohort} (customer_id, cohort_month)
                 SELECT customer_id, new_cohort FROM {moved} WHERE new_cohort IS NOT NULL`),
      },
      { text: f('INSERT IGNORE INTO {months} SELECT DISTINCT FROM_DAYS(k2) FROM {batch}') },
      // A customer who changed cohort moves all their activity: every month they ordered in.
      {
        text: f(`INSERT IGNORE INTO {months}
                 SELECT DISTINCT ${monthOf('o.ordered_at')} FROM {moved} m JOIN orders o ON o.customer_id = m.customer_id`),
      },
      {
        text: f(`DELETE t FROM {report} t JOIN {months} m
                 ON m.month_start = t.cohort_month + INTERVAL t.months_since_first MONTH`),
      },
      { text: f(CELLS_FOR_MONTHS), count: true },
      ...ROLLUP.map((s) => ({ text: f(s) })),
      { text: f('DROP TEMPORARY TABLE {cust}, {moved}, {months}') },
    ]);
  },
};
