/**
 * product_performance_summary: one row per product that was ever ordered; key product_id. Built
 * from per-product partial sums over *cells* (etl_product_monthly): a calendar month before the
 * cell split (`etl_state.cell_split`, the first day of the newest order's month at the last full
 * build) and a single day from then on. New orders land in the newest days, so an incremental run
 * re-reads one day of orders for the products they touch, not a whole month, and re-sums the
 * touched products' partial rows; the full build still writes only one row per product and month
 * for the settled history.
 * Pending keys: k1 = product_id, k2 = TO_DAYS(day of the changed order) (0: only the copied
 * attributes changed). Margin uses today's products.cost (products keep no cost history), as the
 * analytics views do.
 */
import type { SqlRunner } from '../types.js';
import { fill, KEPT, memoryCopy, monthOf, type PipelineDef, runAll, type Targets } from './shared.js';

const NAME = 'product_performance_summary';

/** The cell a DATETIME/DATE `expr` falls in, given the split date `split` (a SQL expression). */
export const cellOf = (expr: string, split: string) =>
  `IF(${expr} >= ${split}, CAST(${expr} AS DATE), ${monthOf(expr)})`;

const PARTIAL_COLUMNS = `product_id, period_start, order_lines, order_count, units_sold, units_returned, revenue,
  first_sold_at, last_sold_at`;

const PARTIAL_VALUES = [
  'order_lines',
  'order_count',
  'units_sold',
  'units_returned',
  'revenue',
  'first_sold_at',
  'last_sold_at',
];

const PARTIAL_SUMS = `COUNT(*), SUM(${KEPT}), SUM(IF(${KEPT}, oi.quantity, 0)),
  SUM(IF(o.status = 'returned', oi.quantity, 0)), SUM(IF(${KEPT}, oi.line_total, 0)),
  MIN(IF(${KEPT}, o.ordered_at, NULL)), MAX(IF(${KEPT}, o.ordered_at, NULL))`;

/** Full build of the partials; the split is the first parameter (TO_DAYS). */
const PARTIALS_ALL = `
INSERT INTO {monthly} (${PARTIAL_COLUMNS})
SELECT STRAIGHT_JOIN oi.product_id, ${cellOf('o.ordered_at', 'FROM_DAYS(?)')} AS cell, ${PARTIAL_SUMS}
FROM order_items oi JOIN orders o ON o.order_id = oi.order_id
GROUP BY oi.product_id, cell`;

/**
 * One cell period of the batch, into {fresh}: the orders in [start, end) (an index range with
 * constant bounds: MariaDB would scan all orders for bounds taken from a joined table) and the
 * lines of the products whose cell it is. Parameters: start, start, end (TO_DAYS).
 */
const PARTIALS_PERIOD = `
INSERT INTO {fresh} (${PARTIAL_COLUMNS})
SELECT STRAIGHT_JOIN oi.product_id, c.period_start, ${PARTIAL_SUMS}
FROM orders o FORCE INDEX (ix_orders_ordered_at)
JOIN order_items oi ON oi.order_id = o.order_id
JOIN {cells} c ON c.product_id = oi.product_id AND c.period_start = FROM_DAYS(?)
WHERE o.ordered_at >= FROM_DAYS(?) AND o.ordered_at < FROM_DAYS(?)
GROUP BY oi.product_id, c.period_start`;

/**
 * The report rows from `aggregate`, a derived table `a` with one row per product (product_id,
 * order_count, units_sold, units_returned, revenue, first_sold_at, last_sold_at), joined to
 * products and categories afterwards (grouping by the copied text columns costs 4x more).
 */
const SUMMARY_OF = (aggregate: string, target = '{report}') => `
INSERT INTO ${target} (product_id, sku, product_name, category_id, category_name, order_count, units_sold,
  units_returned, revenue, cost_of_goods, gross_margin, return_rate, first_sold_at, last_sold_at)
SELECT STRAIGHT_JOIN p.product_id, p.sku, p.name, p.category_id, c.name, a.order_count, a.units_sold,
  a.units_returned, a.revenue, a.units_sold * p.cost, a.revenue - a.units_sold * p.cost,
  IF(a.units_sold + a.units_returned > 0, ROUND(a.units_returned / (a.units_sold + a.units_returned), 4), 0),
  a.first_sold_at, a.last_sold_at
FROM ${aggregate}
JOIN products p ON p.product_id = a.product_id
JOIN categories c ON c.category_id = p.category_id`;

/** The per-product sums of the partials in `source` (alias m). */
const SUMMED = (source: string) => `(
  SELECT m.product_id, SUM(m.order_count) AS order_count, SUM(m.units_sold) AS units_sold,
    SUM(m.units_returned) AS units_returned, SUM(m.revenue) AS revenue, MIN(m.first_sold_at) AS first_sold_at,
    MAX(m.last_sold_at) AS last_sold_at
  FROM ${source}
  GROUP BY m.product_id
) a`;

/** The later of two nullable DATETIME expressions (GREATEST is NULL when either is). */
const later = (x: string, y: string) => `COALESCE(GREATEST(${x}, ${y}), ${x}, ${y})`;
const earlier = (x: string, y: string) => `COALESCE(LEAST(${x}, ${y}), ${x}, ${y})`;
const signed = (x: string) => `CAST(COALESCE(${x}, 0) AS SIGNED)`;

/**
 * Per product of the batch, what its changed cells ({fresh} against the stored {monthly}) add
 * to its report row, before the cells are written. `exact` says the report row plus the delta is
 * the new row: the product has a report row, no cell of it emptied, and no changed cell held the
 * product's first or last sale unless its new value extends it (a MIN or MAX cannot be undone by
 * a delta). Products that are not exact are re-summed from all their cells.
 */
const DELTA = `
INSERT INTO {delta} (product_id, order_count, units_sold, units_returned, revenue, first_sold_at, last_sold_at, exact)
SELECT STRAIGHT_JOIN c.product_id,
  SUM(${signed('n.order_count')} - ${signed('m.order_count')}),
  SUM(${signed('n.units_sold')} - ${signed('m.units_sold')}),
  SUM(${signed('n.units_returned')} - ${signed('m.units_returned')}),
  SUM(COALESCE(n.revenue, 0) - COALESCE(m.revenue, 0)),
  MIN(n.first_sold_at), MAX(n.last_sold_at),
  MIN(COALESCE(s.product_id IS NOT NULL AND n.product_id IS NOT NULL
    AND (m.first_sold_at IS NULL OR m.first_sold_at > s.first_sold_at OR n.first_sold_at <= m.first_sold_at)
    AND (m.last_sold_at IS NULL OR m.last_sold_at < s.last_sold_at OR n.last_sold_at >= m.last_sold_at), 0))
FROM {cells} c
LEFT JOIN {fresh} n ON n.product_id = c.product_id AND n.period_start = c.period_start
LEFT JOIN {monthly} m ON m.product_id = c.product_id AND m.period_start = c.period_start
LEFT JOIN {report} s ON s.product_id = c.product_id
GROUP BY c.product_id`;

/** The batch's exact products: their report row plus the delta (none for attribute-only keys). */
const PATCHED = `(
  SELECT STRAIGHT_JOIN s.product_id, s.order_count + COALESCE(d.order_count, 0) AS order_count,
    s.units_sold + COALESCE(d.units_sold, 0) AS units_sold,
    s.units_returned + COALESCE(d.units_returned, 0) AS units_returned,
    s.revenue + COALESCE(d.revenue, 0) AS revenue,
    ${earlier('s.first_sold_at', 'd.first_sold_at')} AS first_sold_at,
    ${later('s.last_sold_at', 'd.last_sold_at')} AS last_sold_at
  FROM {products} bp
  JOIN {report} s ON s.product_id = bp.product_id
  LEFT JOIN {delta} d ON d.product_id = bp.product_id
  WHERE COALESCE(d.exact, 1) = 1
) a`;

const REPORT_VALUES = [
  'sku',
  'product_name',
  'category_id',
  'category_name',
  'order_count',
  'units_sold',
  'units_returned',
  'revenue',
  'cost_of_goods',
  'gross_margin',
  'return_rate',
  'first_sold_at',
  'last_sold_at',
];

/** The batch's recomputed rows ({rows}) into the report; unchanged rows are not written. */
const UPSERT_ROWS = `
INSERT INTO {report} (product_id, ${REPORT_VALUES.join(', ')})
SELECT product_id, ${REPORT_VALUES.join(', ')} FROM {rows}
ON DUPLICATE KEY UPDATE ${REPORT_VALUES.map((c) => `${c} = VALUES(${c})`).join(', ')}`;

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

/** The split of a full build: the first day of the newest order's month (this month without orders). */
const SPLIT_FOR_BUILD = `SELECT TO_DAYS(${monthOf('COALESCE(MAX(ordered_at), UTC_TIMESTAMP())')}) AS d FROM orders`;

export const productPerformanceSummary: PipelineDef = {
  name: NAME,
  keyColumns: ['product_id'],
  helpers: ['monthly'],
  build: async (sql, t) => {
    const [row] = await sql.query<{ d: number }>(SPLIT_FOR_BUILD);
    const split = Number(row?.d);
    await sql.execute(fill(PARTIALS_ALL, t), [split]);
    const written = (await sql.execute(fill(SUMMARY_OF(SUMMED('{monthly} m')), t))).affectedRows;
    await rank(sql, t);
    // Only the live partials define the cells incremental runs recompute (not verify's copies).
    if (t.monthly === 'etl_product_monthly') {
      await sql.execute('UPDATE etl_state SET cell_split = FROM_DAYS(?) WHERE pipeline = ?', [split, NAME]);
    }
    return written;
  },
  batch: async (sql, t) => {
    const x = {
      cells: 'etl_batch_cells',
      products: 'etl_batch_products',
      fresh: 'etl_batch_fresh',
      rows: 'etl_batch_rows',
      delta: 'etl_batch_delta',
    };
    const f = (s: string) => fill(s, t, x);
    await runAll(sql, [
      { text: f('DROP TEMPORARY TABLE IF EXISTS {cells}, {products}, {fresh}, {rows}, {delta}') },
      {
        text: f(`CREATE TEMPORARY TABLE {cells} (product_id INT UNSIGNED NOT NULL, period_start DATE NOT NULL,
                   PRIMARY KEY (period_start, product_id) USING BTREE) ENGINE = MEMORY`),
      },
      {
        text: f(
          'CREATE TEMPORARY TABLE {products} (product_id INT UNSIGNED NOT NULL, PRIMARY KEY (product_id) USING BTREE) ENGINE = MEMORY',
        ),
      },
      {
        text: f(`INSERT IGNORE INTO {cells} (product_id, period_start)
                 SELECT b.k1, ${cellOf('FROM_DAYS(b.k2)', 's.split')}
                 FROM {batch} b
                 CROSS JOIN (SELECT COALESCE(cell_split, '1000-01-01') AS split FROM etl_state WHERE pipeline = ?) s
                 WHERE b.k2 > 0`),
        params: [NAME],
      },
      { text: f('INSERT INTO {products} SELECT DISTINCT k1 FROM {batch}') },
      { text: f(memoryCopy('fresh', 'monthly', 'product_id, period_start')) },
    ]);
    const periods = await sql.query<{ s: number; e: number }>(
      f(`SELECT TO_DAYS(p.period_start) AS s,
           TO_DAYS(IF(p.period_start >= s.split, p.period_start + INTERVAL 1 DAY, p.period_start + INTERVAL 1 MONTH)) AS e
         FROM (SELECT DISTINCT period_start FROM {cells}) p
         CROSS JOIN (SELECT COALESCE(cell_split, '1000-01-01') AS split FROM etl_state WHERE pipeline = ?) s
         ORDER BY p.period_start`),
      [NAME],
    );
    for (const p of periods) {
      await sql.execute(f(PARTIALS_PERIOD), [p.s, p.s, p.e]);
    }
    return runAll(sql, [
      {
        text: f(`CREATE TEMPORARY TABLE {delta} (product_id INT UNSIGNED NOT NULL, order_count BIGINT NOT NULL,
                   units_sold BIGINT NOT NULL, units_returned BIGINT NOT NULL, revenue DECIMAL(16,2) NOT NULL,
                   first_sold_at DATETIME NULL, last_sold_at DATETIME NULL, exact TINYINT NOT NULL,
                   PRIMARY KEY (product_id) USING BTREE) ENGINE = MEMORY`),
      },
      { text: f(DELTA) },
      // Cells left without lines go; the others are updated in place where they changed.
      {
        text: f(`DELETE m FROM {cells} c
                 LEFT JOIN {fresh} n ON n.product_id = c.product_id AND n.period_start = c.period_start
                 STRAIGHT_JOIN {monthly} m ON m.product_id = c.product_id AND m.period_start = c.period_start
                 WHERE n.product_id IS NULL`),
      },
      {
        text: f(`INSERT INTO {monthly} (${PARTIAL_COLUMNS}) SELECT ${PARTIAL_COLUMNS} FROM {fresh}
                 ON DUPLICATE KEY UPDATE ${PARTIAL_VALUES.map((c) => `${c} = VALUES(${c})`).join(', ')}`),
      },
      { text: f(memoryCopy('rows', 'report', 'product_id')) },
      // New orders only add to a product's cells: most rows are patched, not re-summed.
      { text: f(SUMMARY_OF(PATCHED, '{rows}')), count: true },
      {
        text: f(
          SUMMARY_OF(
            SUMMED(`{delta} d STRAIGHT_JOIN {monthly} m ON m.product_id = d.product_id WHERE d.exact = 0`),
            '{rows}',
          ),
        ),
        count: true,
      },
      // In place, and only where a value changed (ranks are left to `finish`).
      { text: f(UPSERT_ROWS) },
      {
        text: f(`DELETE s FROM {products} bp LEFT JOIN {rows} r ON r.product_id = bp.product_id
                 STRAIGHT_JOIN {report} s ON s.product_id = bp.product_id WHERE r.product_id IS NULL`),
      },
      { text: f('DROP TEMPORARY TABLE {cells}, {products}, {fresh}, {rows}, {delta}') },
    ]);
  },
  finish: async (sql, t) => {
    await rank(sql, t);
  },
};
