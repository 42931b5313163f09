/**
 * ETL speed on the 1,000,000-item dataset (seed: 100,000 customers, 300,000 orders, 2,000
 * products). In alternating rounds on one throwaway sandbox: our full refresh of all four reports
 * (`runEtl({ full: true })`: change-log drain, shadow tables, RENAME swap, run log) against a
 * hand-written rebuild (TRUNCATE + one INSERT ... SELECT ... GROUP BY per report). Then steps of:
 * a full refresh, 1% new orders (3,000 orders with their lines, in the newest month) and one
 * incremental `runEtl()`. Prints both ratios; the last line is the full-refresh ratio (ours /
 * reference; goal <= 1.2). The incremental goal: <= 5% of our full refresh (the median step
 * against the mean of our full runs in the same run).
 *
 * `npm run bench -- etl [--rounds N] [--steps N] [--workers N]` (defaults 2, 3, the library's),
 * or without the build: `npx tsx bench/run.ts etl`.
 */
// From the sources (tsx), per module: no build of the whole tree, whose other parts may be mid-edit.
import { DatabaseManager } from '../src/db/index.js';
import { runEtl } from '../src/etl/index.js';
import { migrate } from '../src/migrate/index.js';
import { seed } from '../src/seed/index.js';
import { withBenchSandbox } from './_sandbox.js';

const KEPT = "o.status NOT IN ('cancelled', 'returned')";
const MONTH = (e: string) => `CAST(DATE_FORMAT(${e}, '%Y-%m-01') AS DATE)`;

/**
 * The reference: what a DBA would write by hand, one statement per report, with the same join-order
 * hints ours uses (without them MariaDB may plan the product statement laterally: 25 s instead of 5).
 */
export const REFERENCE = [
  'TRUNCATE TABLE customer_order_summary',
  `INSERT INTO customer_order_summary (customer_id, email, customer_name, customer_segment, total_orders,
     completed_orders, cancelled_orders, returned_orders, total_items, total_spent, avg_order_value,
     first_order_at, last_order_at)
   SELECT STRAIGHT_JOIN c.customer_id, c.email, CONCAT(c.first_name, ' ', c.last_name),
     CASE WHEN a.last_at < k.m - INTERVAL 365 DAY THEN 'churned' WHEN a.last_at < k.m - INTERVAL 180 DAY THEN 'at_risk'
          WHEN a.first_at >= k.m - INTERVAL 90 DAY THEN 'new' WHEN a.spent >= 2500 OR a.kept >= 10 THEN 'vip'
          ELSE 'regular' END,
     a.n, a.done, a.cancelled, a.returned, a.items, a.spent, IF(a.kept > 0, ROUND(a.spent / a.kept, 2), 0),
     a.first_at, a.last_at
   FROM (SELECT u.customer_id, SUM(u.n) n, SUM(u.done) done, SUM(u.cancelled) cancelled, SUM(u.returned) returned,
           SUM(u.kept) kept, COALESCE(SUM(u.items), 0) items, SUM(u.spent) spent, MIN(u.first_at) first_at,
           MAX(u.last_at) last_at
         FROM (SELECT o.customer_id, COUNT(*) n, SUM(o.status = 'delivered') done, SUM(o.status = 'cancelled') cancelled,
                 SUM(o.status = 'returned') returned, SUM(${KEPT}) kept, NULL items,
                 SUM(IF(${KEPT}, o.total_amount, 0)) spent, MIN(o.ordered_at) first_at, MAX(o.ordered_at) last_at
               FROM orders o GROUP BY o.customer_id
               UNION ALL
               SELECT o.customer_id, 0, 0, 0, 0, 0, SUM(oi.quantity), 0, NULL, NULL
               FROM orders o JOIN order_items oi ON oi.order_id = o.order_id WHERE ${KEPT} GROUP BY o.customer_id) u
         GROUP BY u.customer_id) a
   JOIN customers c ON c.customer_id = a.customer_id
   CROSS JOIN (SELECT MAX(ordered_at) m FROM orders) k`,
  'TRUNCATE TABLE product_performance_summary',
  `INSERT INTO product_performance_summary (product_id, sku, product_name, category_id, category_name, order_count,
     units_sold, units_returned, revenue, cost_of_goods, gross_margin, return_rate, revenue_rank, first_sold_at,
     last_sold_at)
   SELECT STRAIGHT_JOIN p.product_id, p.sku, p.name, p.category_id, c.name, s.orders, s.sold, s.returned, s.revenue,
     s.sold * p.cost, s.revenue - s.sold * p.cost,
     IF(s.sold + s.returned > 0, ROUND(s.returned / (s.sold + s.returned), 4), 0),
     RANK() OVER (ORDER BY s.revenue DESC), s.first_at, s.last_at
   FROM (SELECT oi.product_id, SUM(${KEPT}) orders, SUM(IF(${KEPT}, oi.quantity, 0)) sold,
           SUM(IF(o.status = 'returned', oi.quantity, 0)) returned, SUM(IF(${KEPT}, oi.line_total, 0)) revenue,
           MIN(IF(${KEPT}, o.ordered_at, NULL)) first_at, MAX(IF(${KEPT}, o.ordered_at, NULL)) last_at
         FROM order_items oi STRAIGHT_JOIN orders o ON o.order_id = oi.order_id
         GROUP BY oi.product_id) s
   JOIN products p ON p.product_id = s.product_id
   JOIN categories c ON c.category_id = p.category_id`,
  'TRUNCATE TABLE daily_sales_summary',
  `INSERT INTO daily_sales_summary (sales_date, order_count, cancelled_orders, returned_orders, items_sold,
     unique_customers, new_customers, gross_revenue, discount_total, net_revenue, avg_order_value)
   SELECT u.d, SUM(u.n), SUM(u.cancelled), SUM(u.returned), COALESCE(SUM(u.items), 0), SUM(u.uc), SUM(u.nc),
     SUM(u.gross), SUM(u.discount), SUM(u.net), IF(SUM(u.kept) > 0, ROUND(SUM(u.net) / SUM(u.kept), 2), 0)
   FROM (SELECT STRAIGHT_JOIN CAST(o.ordered_at AS DATE) d, COUNT(*) n, SUM(o.status = 'cancelled') cancelled,
           SUM(o.status = 'returned') returned, NULL items, COUNT(DISTINCT o.customer_id) uc,
           COUNT(DISTINCT IF(o.ordered_at = f.first_at, o.customer_id, NULL)) nc, SUM(IF(${KEPT}, o.subtotal, 0)) gross,
           SUM(IF(${KEPT}, o.discount_amount, 0)) discount, SUM(IF(${KEPT}, o.total_amount, 0)) net, SUM(${KEPT}) kept
         FROM (SELECT customer_id, MIN(ordered_at) first_at FROM orders GROUP BY customer_id) f
         JOIN orders o ON o.customer_id = f.customer_id
         GROUP BY d
         UNION ALL
         SELECT CAST(o.ordered_at AS DATE), 0, 0, 0, SUM(oi.quantity), 0, 0, 0, 0, 0, 0
         FROM orders o JOIN order_items oi ON oi.order_id = o.order_id WHERE ${KEPT}
         GROUP BY CAST(o.ordered_at AS DATE)) u
   GROUP BY u.d`,
  'TRUNCATE TABLE customer_cohort_analysis',
  `INSERT INTO customer_cohort_analysis (cohort_month, months_since_first, cohort_size, active_customers,
     retention_rate, revenue, cumulative_revenue, lifetime_value)
   SELECT g.cm, g.k, FIRST_VALUE(g.active) OVER w0, g.active, ROUND(g.active / FIRST_VALUE(g.active) OVER w0, 4),
     g.revenue, SUM(g.revenue) OVER w, ROUND(SUM(g.revenue) OVER w / FIRST_VALUE(g.active) OVER w0, 2)
   FROM (SELECT f.cm, TIMESTAMPDIFF(MONTH, f.cm, ${MONTH('o.ordered_at')}) k, COUNT(DISTINCT o.customer_id) active,
           SUM(IF(${KEPT}, o.total_amount, 0)) revenue
         FROM orders o JOIN (SELECT customer_id, ${MONTH('MIN(ordered_at)')} cm FROM orders GROUP BY customer_id) f
           ON f.customer_id = o.customer_id
         GROUP BY f.cm, k) g
   WINDOW w0 AS (PARTITION BY g.cm ORDER BY g.k), w AS (PARTITION BY g.cm ORDER BY g.k ROWS UNBOUNDED PRECEDING)`,
];

/** `--name N` from the bench's arguments, or `fallback`. */
function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} needs a positive integer (got ${args[i + 1]})`);
  return n;
}

export default async function bench(args: string[]): Promise<void> {
  const rounds = option(args, 'rounds', 2);
  const steps = option(args, 'steps', 3);
  const workers = args.includes('--workers') ? option(args, 'workers', 2) : undefined;
  await withBenchSandbox(async (sb) => {
    const config = {
      connection: { database: 'bench_etl' },
      usesSandbox: true,
      sandbox: { home: sb.home, name: sb.name },
    };
    await migrate(config);
    let t = performance.now();
    await seed(config, { customers: 100_000, orders: 300_000, products: 2_000, seed: 42 });
    console.error(`… seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    await runEtl(config); // first build + draining the seed's change log (not timed)
    console.error(`… first ETL run (full build + drain) ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const db = new DatabaseManager(config);
    // The session settings our full build uses (in-memory temporary tables up to 256 MiB).
    const refSettings = 'SET STATEMENT tmp_table_size = 268435456, max_heap_table_size = 268435456 FOR ';
    const ours: number[] = [];
    const ref: number[] = [];
    const runOurs = async () => {
      const s = performance.now();
      const r = await runEtl(config, { full: true });
      ours.push(performance.now() - s);
      console.error(`  ${r.pipelines.map((p) => `${p.pipeline} ${(p.ms / 1000).toFixed(2)} s`).join(', ')}`);
      console.error(`… ours (runEtl full) ${((ours.at(-1) ?? 0) / 1000).toFixed(2)} s`);
    };
    const runRef = async () => {
      const s = performance.now();
      const parts: string[] = [];
      for (const sql of REFERENCE) {
        const q = performance.now();
        await db.execute(sql.startsWith('INSERT') ? `${refSettings}${sql}` : sql);
        if (sql.startsWith('INSERT')) parts.push(((performance.now() - q) / 1000).toFixed(2));
      }
      console.error(`  reference per report: ${parts.join(', ')} s`);
      ref.push(performance.now() - s);
      console.error(
        `… reference (hand-written INSERT ... SELECT) ${((ref.at(-1) ?? 0) / 1000).toFixed(2)} s`,
      );
    };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        await runOurs();
        await runRef();
      } else {
        await runRef();
        await runOurs();
      }
    }
    const poolReads = async () =>
      Number(
        (
          await db.query<{ v: string }>(
            "SELECT VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_READS'",
          )
        )[0]?.v ?? 0,
      );
    const [m] = await db.query<{ hi: number }>('SELECT MAX(order_id) AS hi FROM orders');
    const seeded = Number(m?.hi ?? 0);
    // Each step starts from freshly rebuilt reports (a full refresh, timed with the others), adds
    // 1% new orders copied from a different 1% of the orders (so other customers), and runs one
    // incremental runEtl(); then the new orders go again. One incremental run alone swings by a fifth on this machine: the
    // figure is the median of the steps.
    const inc: Array<{ ms: number; lines: number; batches: number }> = [];
    for (let step = 0; step < steps; step++) {
      await runOurs();
      const off = seeded;
      await db.execute(
        `INSERT INTO orders (order_id, customer_id, status, currency, subtotal, discount_amount, tax_amount,
           shipping_amount, total_amount, ordered_at)
         SELECT order_id + ?, customer_id, 'pending', currency, subtotal, discount_amount, tax_amount, shipping_amount,
           total_amount, '2025-12-31 18:00:00' FROM orders WHERE order_id <= ? AND order_id % 100 = ?`,
        [off, seeded, step],
      );
      const added = await db.execute(
        `INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount_amount, line_total)
         SELECT order_id + ?, product_id, quantity, unit_price, discount_amount, line_total
         FROM order_items WHERE order_id <= ? AND order_id % 100 = ?`,
        [off, seeded, step],
      );
      await db.execute('TRUNCATE performance_schema.events_statements_summary_by_digest');
      const readsBefore = await poolReads();
      const s = performance.now();
      const r = await runEtl(config, workers === undefined ? {} : { workers });
      const ms = performance.now() - s;
      inc.push({ ms, lines: added.affectedRows, batches: r.pipelines.reduce((n, p) => n + p.batches, 0) });
      console.error(
        `… incremental step ${step + 1}: ${(ms / 1000).toFixed(2)} s, ${added.affectedRows} new lines, ${(await poolReads()) - readsBefore} pages read from disk`,
      );
      console.error(
        `  ${r.pipelines.map((p) => `${p.pipeline} ${(p.ms / 1000).toFixed(2)} s (${p.rowsRead} keys)`).join(', ')}`,
      );
      if (step === 0) {
        // Where the incremental run spends its time, statement by statement (server time).
        const costly = await db.query<{ ms: number; calls: number; text: string }>(
          `SELECT ROUND(SUM_TIMER_WAIT / 1e9, 1) AS ms, COUNT_STAR AS calls, LEFT(DIGEST_TEXT, 110) AS text
           FROM performance_schema.events_statements_summary_by_digest
           WHERE SCHEMA_NAME = DATABASE() ORDER BY SUM_TIMER_WAIT DESC LIMIT 12`,
        );
        for (const c of costly)
          console.error(`    ${String(c.ms).padStart(7)} ms ${String(c.calls).padStart(3)}x ${c.text}`);
      }
      // Back to the seeded data (the next step's full refresh drains these deletes), so that every
      // step adds its 1% to the same day and month rather than to a day grown by the steps before.
      await db.execute('DELETE FROM order_items WHERE order_id > ?', [seeded]);
      await db.execute('DELETE FROM orders WHERE order_id > ?', [seeded]);
    }
    // The same run with nothing to do: the fixed cost of a run (connections, locks, run log).
    await runEtl(config); // the last step's deletes
    const idle = performance.now();
    await runEtl(config);
    const idleMs = performance.now() - idle;
    console.error(`  an incremental run with nothing to do: ${(idleMs / 1000).toFixed(2)} s`);
    await db.close();
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const fullOurs = sum(ours.slice(0, rounds)) / rounds;
    const fullRef = sum(ref) / rounds;
    // Against the mean of every full refresh of ours in this run (the steps' included): one full
    // run alone swings by a fifth on this machine.
    const meanFull = sum(ours) / ours.length;
    const sorted = inc.map((i) => i.ms).sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
    console.log(
      `full refresh, all four reports: ours ${(fullOurs / 1000).toFixed(2)} s, reference ${(fullRef / 1000).toFixed(2)} s (mean of ${rounds})`,
    );
    console.log(
      `incremental after 1% new orders (${inc[0]?.lines ?? 0} lines, ${inc[0]?.batches ?? 0} batches): median of ${steps} ${(median / 1000).toFixed(2)} s = ${(median / meanFull).toFixed(3)} of our mean full refresh ${(meanFull / 1000).toFixed(2)} s (goal <= 0.05); steps ${inc.map((i) => (i.ms / meanFull).toFixed(3)).join(', ')}`,
    );
    console.log(`ratio: ${(fullOurs / fullRef).toFixed(3)}`);
  });
}
