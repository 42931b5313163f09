/**
 * Business KPIs for the dashboard, from the reporting tables the ETL fills: revenue per day (the
 * 30 days ending at the newest day with sales), customers and revenue by segment, the top products by revenue.
 * Money arrives as decimal strings and leaves as numbers: these feed charts, not ledgers.
 */
import type { DatabaseManager } from '../../db/index.js';
import type { DailySales } from '../../etl/index.js';
import type { Kpis } from '../types.js';
import { isMissingTable } from './missing-table.js';

const DAYS = 30;
const TOP_PRODUCTS = 10;

// Seeded and real shops alike may have no sales "today": the window ends at the newest day with data.
const SALES_WINDOW_SQL = `SELECT DATE_FORMAT(MAX(sales_date) - INTERVAL ${DAYS - 1} DAY, '%Y-%m-%d') AS first,
  DATE_FORMAT(MAX(sales_date), '%Y-%m-%d') AS last FROM daily_sales_summary`;

const SEGMENTS_SQL = `SELECT customer_segment AS segment, COUNT(*) AS customers,
  CAST(COALESCE(SUM(total_spent), 0) AS CHAR) AS revenue
  FROM customer_order_summary GROUP BY customer_segment
  ORDER BY FIELD(customer_segment, 'new', 'regular', 'vip', 'at_risk', 'churned')`;

export async function kpis(db: DatabaseManager): Promise<Kpis> {
  try {
    const [window] = await db.query<{ first: string | null; last: string | null }>(SALES_WINDOW_SQL);
    const days = window?.first && window.last ? await db.getDailySales(window.first, window.last) : [];
    const segments = await db.query<{ segment: string; customers: number; revenue: string }>(SEGMENTS_SQL);
    const products = await db.getTopProducts(TOP_PRODUCTS);
    return {
      available: true,
      revenueByDay: window?.first && window.last ? everyDay(window.first, window.last, days) : [],
      segments: segments.map((s) => ({
        segment: s.segment,
        customers: Number(s.customers),
        revenue: Number(s.revenue),
      })),
      topProducts: products.map((p) => ({
        productId: Number(p.productId),
        name: p.productName,
        revenue: Number(p.revenue),
        unitsSold: Number(p.unitsSold),
      })),
    };
  } catch (err) {
    if (isMissingTable(err)) {
      return { available: false, reason: 'the reporting tables do not exist here (run mysqlops migrate)' };
    }
    throw err;
  }
}

/** One entry per calendar day from `first` to `last`: a day without sales has no row but is a zero on the chart. */
function everyDay(first: string, last: string, rows: readonly DailySales[]) {
  const byDate = new Map(rows.map((r) => [r.salesDate, r]));
  const out: { date: string; netRevenue: number; orders: number }[] = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= end; t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    const row = byDate.get(date);
    out.push({
      date,
      netRevenue: row ? Number(row.netRevenue) : 0,
      orders: row ? Number(row.orderCount) : 0,
    });
  }
  return out;
}
