/**
 * customer_order_summary: one row per customer with orders; key customer_id. Built from partial
 * sums per customer and *cell* (etl_customer_monthly): one cell for everything ordered before the
 * cell split (`etl_state.cell_split`, the first day of the newest order's month at the last full
 * build) and a calendar month from then on. New orders recompute only their (customer, month)
 * cells (index range on ix_orders_customer_ordered over recent, cached pages) and re-sum the
 * touched customers' few partial rows; a change to an older order re-reads that customer's
 * history before the split. Pending keys: k1 = customer_id, k2 = TO_DAYS(month of the changed
 * order), or 0 when only the copied attributes (email, name) or the segment clock changed.
 *
 * The segment follows the rules in docs/etl.md on the segment clock `etl_state.as_of` (the newest
 * order's time), so a rebuild and an incremental run agree; when the clock moves, `prepare`
 * queues exactly the customers whose segment a threshold crossing can change. The pipeline also
 * owns customers.segment (docs/etl.md, "Segments in customers"): batches write the segments they
 * change, and a full build (`afterSwap`) writes every customer's.
 */
import { fill, KEPT, memoryCopy, monthOf, type PipelineDef, runAll, type Targets } from './shared.js';

/** Spend (kept orders, total_amount) from which an active customer is vip. */
export const VIP_SPEND = 2500;
/** Kept orders from which an active customer is vip. */
export const VIP_ORDERS = 10;

const NAME = 'customer_order_summary';

const MONTHLY_COLUMNS = `customer_id, period_start, orders, delivered_orders, cancelled_orders, returned_orders,
  kept_orders, items, spent, first_order_at, last_order_at`;

const MONTHLY_VALUES = [
  'orders',
  'delivered_orders',
  'cancelled_orders',
  'returned_orders',
  'kept_orders',
  'items',
  'spent',
  'first_order_at',
  'last_order_at',
];

/** The first day of the single cell holding everything before the split. */
export const SETTLED = "DATE '1000-01-01'";

/** The cell of a DATETIME/DATE `expr` for the split `split` (a SQL expression). */
const cellOf = (expr: string, split: string) => `IF(${expr} >= ${split}, ${monthOf(expr)}, ${SETTLED})`;

/**
 * Full build of the partials: order-level and item-level sums aggregated separately and merged
 * with UNION ALL, so the server never groups 1M joined rows per order. Parameters: the split
 * (TO_DAYS), twice.
 */
const MONTHLY_ALL = `
INSERT INTO {monthly} (${MONTHLY_COLUMNS})
SELECT u.customer_id, u.m, SUM(u.n), SUM(u.done), SUM(u.cancelled), SUM(u.returned), SUM(u.kept),
  COALESCE(SUM(u.items), 0), SUM(u.spent), MIN(u.first_at), MAX(u.last_at)
FROM (
  SELECT o.customer_id, ${cellOf('o.ordered_at', 'FROM_DAYS(?)')} AS m, COUNT(*) AS n, SUM(o.status = 'delivered') AS done,
    SUM(o.status = 'cancelled') AS cancelled, SUM(o.status = 'returned') AS returned, SUM(${KEPT}) AS kept,
    NULL AS items, SUM(IF(${KEPT}, o.total_amount, 0)) AS spent, MIN(o.ordered_at) AS first_at,
    MAX(o.ordered_at) AS last_at
  FROM orders o GROUP BY o.customer_id, m
  UNION ALL
  SELECT o.customer_id, ${cellOf('o.ordered_at', 'FROM_DAYS(?)')} AS m, 0, 0, 0, 0, 0, SUM(oi.quantity), 0, NULL, NULL
  FROM order_items oi STRAIGHT_JOIN orders o ON o.order_id = oi.order_id
  WHERE ${KEPT} GROUP BY o.customer_id, m
) u
GROUP BY u.customer_id, u.m`;

/** The partial cells in {cells}, into {fresh}: each from its customer's orders in [start, end). */
const MONTHLY_BATCH = `
INSERT INTO {fresh} (${MONTHLY_COLUMNS})
SELECT x.customer_id, x.m, COUNT(*), SUM(x.status = 'delivered'), SUM(x.status = 'cancelled'),
  SUM(x.status = 'returned'), SUM(x.kept), COALESCE(SUM(IF(x.kept, x.units, 0)), 0),
  SUM(IF(x.kept, x.total_amount, 0)), MIN(x.ordered_at), MAX(x.ordered_at)
FROM (
  SELECT STRAIGHT_JOIN o.order_id, o.customer_id, c.period_start AS m, o.status, o.total_amount, o.ordered_at,
    ${KEPT} AS kept, SUM(oi.quantity) AS units
  FROM {cells} c
  JOIN orders o FORCE INDEX (ix_orders_customer_ordered) ON o.customer_id = c.customer_id
    AND o.ordered_at >= c.period_start AND o.ordered_at < c.period_end
  LEFT JOIN order_items oi ON oi.order_id = o.order_id
  GROUP BY o.order_id, o.customer_id, c.period_start, o.status, o.total_amount, o.ordered_at
) x
GROUP BY x.customer_id, x.m`;

/** The split of the live partials (never set: every cell a month, as before splits existed). */
const SPLIT = `(SELECT COALESCE(cell_split, DATE '1000-01-01') AS split FROM etl_state WHERE pipeline = '${NAME}')`;

/** The split of a full build: the first day of the newest order's month (this month without orders). */
export const SPLIT_FOR_BUILD = `SELECT TO_DAYS(${monthOf('COALESCE(MAX(ordered_at), UTC_TIMESTAMP())')}) AS d FROM orders`;

/** The segment rules (docs/etl.md), over the aggregate `a` and the clock `k`. */
const SEGMENT = `CASE
    WHEN a.last_order_at < k.as_of - INTERVAL 365 DAY THEN 'churned'
    WHEN a.last_order_at < k.as_of - INTERVAL 180 DAY THEN 'at_risk'
    WHEN a.first_order_at >= k.as_of - INTERVAL 90 DAY THEN 'new'
    WHEN a.total_spent >= ${VIP_SPEND} OR a.kept_orders >= ${VIP_ORDERS} THEN 'vip'
    ELSE 'regular'
  END`;

const AGGREGATE = (source: string, extra = '') => `(
  SELECT cm.customer_id, SUM(cm.orders) AS total_orders, SUM(cm.delivered_orders) AS completed_orders,
    SUM(cm.cancelled_orders) AS cancelled_orders, SUM(cm.returned_orders) AS returned_orders,
    SUM(cm.kept_orders) AS kept_orders, SUM(cm.items) AS total_items, SUM(cm.spent) AS total_spent,
    MIN(cm.first_order_at) AS first_order_at, MAX(cm.last_order_at) AS last_order_at${extra}
  FROM ${source}
  GROUP BY cm.customer_id
) a`;

const REPORT_COLUMNS = `customer_id, email, customer_name, customer_segment, total_orders, completed_orders,
  cancelled_orders, returned_orders, total_items, total_spent, avg_order_value, first_order_at, last_order_at`;

const FIGURES = `a.total_orders, a.completed_orders, a.cancelled_orders, a.returned_orders, a.total_items, a.total_spent,
  IF(a.kept_orders > 0, ROUND(a.total_spent / a.kept_orders, 2), 0), a.first_order_at, a.last_order_at`;

/**
 * The report rows from all partials (full build). STRAIGHT_JOIN keeps the aggregate first and
 * customers second: otherwise MariaDB may pick a lateral plan (split materialization) that
 * recomputes the aggregate once per customer.
 */
const SUMMARY_ALL = `
INSERT INTO {report} (${REPORT_COLUMNS})
SELECT STRAIGHT_JOIN c.customer_id, c.email, CONCAT(c.first_name, ' ', c.last_name), ${SEGMENT}, ${FIGURES}
FROM ${AGGREGATE('{monthly} cm')}
JOIN customers c ON c.customer_id = a.customer_id
CROSS JOIN (SELECT as_of FROM etl_state WHERE pipeline = '${NAME}') k`;

/**
 * The batch's report rows into {rows}. Email and name come from the current report row, and from
 * customers only for customers new to the report or queued with k2 = 0 (their attributes changed,
 * or the segment clock moved): the guarded join reads customers for those alone, sparing the
 * random page reads of ~3,000 customer rows per 1% of new orders.
 */
const SUMMARY_BATCH = `
INSERT INTO {rows} (${REPORT_COLUMNS})
SELECT STRAIGHT_JOIN a.customer_id, COALESCE(s.email, c.email),
  COALESCE(s.customer_name, CONCAT(c.first_name, ' ', c.last_name)), ${SEGMENT}, ${FIGURES}
FROM ${AGGREGATE('{cust} u JOIN {monthly} cm ON cm.customer_id = u.customer_id', ', MAX(u.attrs) AS attrs')}
LEFT JOIN {report} s ON s.customer_id = a.customer_id AND a.attrs = 0
LEFT JOIN customers c ON c.customer_id = a.customer_id AND s.customer_id IS NULL
CROSS JOIN (SELECT as_of FROM etl_state WHERE pipeline = '${NAME}') k`;

const REPORT_VALUES = [
  'email',
  'customer_name',
  'customer_segment',
  'total_orders',
  'completed_orders',
  'cancelled_orders',
  'returned_orders',
  'total_items',
  'total_spent',
  'avg_order_value',
  'first_order_at',
  'last_order_at',
];

/** The batch's recomputed rows ({rows}) into the report; unchanged rows are not written. */
const UPSERT_ROWS = `
INSERT INTO {report} (customer_id, ${REPORT_VALUES.join(', ')})
SELECT customer_id, ${REPORT_VALUES.join(', ')} FROM {rows}
ON DUPLICATE KEY UPDATE ${REPORT_VALUES.map((c) => `${c} = VALUES(${c})`).join(', ')}`;

/**
 * The batch's segments back to customers.segment (docs/etl.md, "Segments"), before {rows} replace
 * the report rows: written where the segment differs from the report's previous one (or the
 * customer is new to the report, or queued with k2 = 0), so customers' pages are read for those
 * alone. The capture trigger on customers ignores the segment column: this queues nothing.
 */
const SEGMENTS_BACK = `
UPDATE {rows} r STRAIGHT_JOIN {cust} u ON u.customer_id = r.customer_id
LEFT JOIN {report} s ON s.customer_id = r.customer_id
STRAIGHT_JOIN customers c ON c.customer_id = r.customer_id
SET c.segment = r.customer_segment
WHERE (u.attrs = 1 OR s.customer_id IS NULL OR s.customer_segment <> r.customer_segment)
  AND c.segment <> r.customer_segment`;

/** Customers the batch left without orders: 'new', as before their first order. */
const SEGMENTS_GONE = `
UPDATE {cust} u LEFT JOIN {rows} r ON r.customer_id = u.customer_id
STRAIGHT_JOIN customers c ON c.customer_id = u.customer_id
SET c.segment = 'new'
WHERE r.customer_id IS NULL AND c.segment <> 'new'`;

/**
 * After a full build: every customer's segment from the report, one range of `SEGMENT_SYNC_RANGE`
 * customer ids per statement and transaction (parameters: from, to), so no statement holds the
 * locks of many customers at once.
 */
const SEGMENTS_SYNC = `
UPDATE customers c LEFT JOIN customer_order_summary s ON s.customer_id = c.customer_id
SET c.segment = COALESCE(s.customer_segment, 'new')
WHERE c.customer_id >= ? AND c.customer_id < ? AND c.segment <> COALESCE(s.customer_segment, 'new')`;
const SEGMENT_SYNC_RANGE = 10_000;

/** The segment clock: the newest order's time (NULL without orders). */
export const SET_AS_OF = `UPDATE etl_state SET as_of = (SELECT MAX(ordered_at) FROM orders) WHERE pipeline = '${NAME}'`;

const CLOCK_MOVED = `
SELECT COUNT(*) AS moved FROM etl_state e CROSS JOIN (SELECT MAX(ordered_at) AS m FROM orders) n
WHERE e.pipeline = '${NAME}' AND NOT (e.as_of <=> n.m)`;

/** Customers whose segment may differ between the old and the new clock (thresholds crossed). */
const QUEUE_CLOCK_CROSSINGS = `
INSERT IGNORE INTO etl_pending (pipeline, k1, k2)
SELECT '${NAME}', s.customer_id, 0
FROM customer_order_summary s
CROSS JOIN (
  SELECT LEAST(COALESCE(e.as_of, n.m), COALESCE(n.m, e.as_of)) AS lo,
         GREATEST(COALESCE(e.as_of, n.m), COALESCE(n.m, e.as_of)) AS hi
  FROM etl_state e CROSS JOIN (SELECT MAX(ordered_at) AS m FROM orders) n
  WHERE e.pipeline = '${NAME}'
) w
WHERE s.last_order_at BETWEEN w.lo - INTERVAL 365 DAY AND w.hi - INTERVAL 365 DAY
   OR s.last_order_at BETWEEN w.lo - INTERVAL 180 DAY AND w.hi - INTERVAL 180 DAY
   OR s.first_order_at BETWEEN w.lo - INTERVAL 90 DAY AND w.hi - INTERVAL 90 DAY`;

export const customerOrderSummary: PipelineDef = {
  name: NAME,
  keyColumns: ['customer_id'],
  helpers: ['customerMonthly'],
  partitioned: true,
  build: async (sql, t: Targets) => {
    const [row] = await sql.query<{ d: number }>(SPLIT_FOR_BUILD);
    const split = Number(row?.d);
    await sql.execute(fill(MONTHLY_ALL, t, { monthly: t.customerMonthly }), [split, split]);
    const written = (await sql.execute(fill(SUMMARY_ALL, t, { monthly: t.customerMonthly }))).affectedRows;
    // Only the live partials define the cells incremental runs recompute (not verify's copies).
    if (t.customerMonthly === 'etl_customer_monthly') {
      await sql.execute('UPDATE etl_state SET cell_split = FROM_DAYS(?) WHERE pipeline = ?', [split, NAME]);
    }
    return written;
  },
  batch: (sql, t) => {
    const f = (s: string) =>
      fill(s, t, {
        monthly: t.customerMonthly,
        cust: 'etl_batch_customers',
        cells: 'etl_batch_cells',
        fresh: 'etl_batch_fresh',
        rows: 'etl_batch_rows',
      });
    return runAll(sql, [
      { text: f('DROP TEMPORARY TABLE IF EXISTS {cust}, {cells}, {fresh}, {rows}') },
      {
        text: f(`CREATE TEMPORARY TABLE {cust} (customer_id BIGINT UNSIGNED NOT NULL,
                   attrs TINYINT NOT NULL, PRIMARY KEY (customer_id) USING BTREE) ENGINE = MEMORY`),
      },
      {
        text: f(`CREATE TEMPORARY TABLE {cells} (customer_id BIGINT UNSIGNED NOT NULL, period_start DATE NOT NULL,
                   period_end DATE NOT NULL, PRIMARY KEY (customer_id, period_start) USING BTREE) ENGINE = MEMORY`),
      },
      // attrs: a k2 = 0 key (attributes changed, or the segment clock moved) re-reads customers.
      { text: f('INSERT INTO {cust} (customer_id, attrs) SELECT k1, MAX(k2 = 0) FROM {batch} GROUP BY k1') },
      {
        text: f(`INSERT IGNORE INTO {cells} (customer_id, period_start, period_end)
                 SELECT b.k1, ${cellOf('FROM_DAYS(b.k2)', 's.split')},
                   IF(FROM_DAYS(b.k2) >= s.split, FROM_DAYS(b.k2) + INTERVAL 1 MONTH, s.split)
                 FROM {batch} b CROSS JOIN ${SPLIT} s
                 WHERE b.k2 > 0`),
      },
      { text: f(memoryCopy('fresh', 'monthly', 'customer_id, period_start')) },
      { text: f(MONTHLY_BATCH) },
      // Cells left without orders go (looked up only for those: the join order is forced); the
      // others are updated in place where they changed.
      {
        text: f(`DELETE cm FROM {cells} c
                 LEFT JOIN {fresh} n ON n.customer_id = c.customer_id AND n.period_start = c.period_start
                 STRAIGHT_JOIN {monthly} cm ON cm.customer_id = c.customer_id AND cm.period_start = c.period_start
                 WHERE n.customer_id IS NULL`),
      },
      {
        text: f(`INSERT INTO {monthly} (${MONTHLY_COLUMNS}) SELECT ${MONTHLY_COLUMNS} FROM {fresh}
                 ON DUPLICATE KEY UPDATE ${MONTHLY_VALUES.map((c) => `${c} = VALUES(${c})`).join(', ')}`),
      },
      { text: f(memoryCopy('rows', 'report', 'customer_id')) },
      { text: f(SUMMARY_BATCH), count: true },
      ...(t.report === NAME ? [{ text: f(SEGMENTS_BACK) }, { text: f(SEGMENTS_GONE) }] : []),
      // In place, and only where a value changed: every recomputed row moves in the secondary
      // indexes of the columns that changed, not in all three plus the primary key.
      { text: f(UPSERT_ROWS) },
      {
        text: f(`DELETE s FROM {cust} u LEFT JOIN {rows} r ON r.customer_id = u.customer_id
                 STRAIGHT_JOIN {report} s ON s.customer_id = u.customer_id WHERE r.customer_id IS NULL`),
      },
      { text: f('DROP TEMPORARY TABLE {cust}, {cells}, {fresh}, {rows}') },
    ]);
  },
  afterSwap: async (db) => {
    const [range] = await db.query<{ lo: number | null; hi: number | null }>(
      'SELECT MIN(customer_id) AS lo, MAX(customer_id) AS hi FROM customers',
    );
    if (range?.lo == null || range.hi == null) return;
    for (let from = Number(range.lo); from <= Number(range.hi); from += SEGMENT_SYNC_RANGE) {
      // READ COMMITTED: the customers scanned but not changed are not left locked.
      await db.transaction((tx) => tx.execute(SEGMENTS_SYNC, [from, from + SEGMENT_SYNC_RANGE]), {
        isolationLevel: 'READ COMMITTED',
      });
    }
  },
  prepare: async (sql) => {
    const [row] = await sql.query<{ moved: number }>(CLOCK_MOVED);
    if (Number(row?.moved ?? 0) === 0) return;
    await sql.execute(QUEUE_CLOCK_CROSSINGS);
    await sql.execute(SET_AS_OF);
  },
};
