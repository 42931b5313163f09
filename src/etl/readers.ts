/**
 * Typed readers of the reports, for applications: `getCustomerOrderSummary(db, id)` and friends.
 * DatabaseManager exposes them as methods (db.getCustomerOrderSummary(id)); they live here so
 * src/db does not depend on the report shapes.
 */
import type { Params } from '../db/index.js';

/** What a reader needs: anything with `query` (DatabaseManager, a context view, a transaction). */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
}

/**
 * A customer's segment as the ETL computes it (docs/etl.md, "Segment rules"), measured against the
 * newest order rather than the wall clock; also kept in `customers.segment`.
 */
export type CustomerSegment = 'new' | 'regular' | 'vip' | 'at_risk' | 'churned';

/**
 * One row of the customer_order_summary report, as `getCustomerOrderSummary` and
 * `getCustomersBySegment` return it. Only customers with orders have one; `totalOrders` counts all
 * orders, while items, `totalSpent` and `avgOrderValue` cover kept ones (neither cancelled nor
 * returned).
 */
export interface CustomerOrderSummary {
  customerId: number;
  email: string;
  customerName: string;
  segment: CustomerSegment;
  totalOrders: number;
  completedOrders: number;
  cancelledOrders: number;
  returnedOrders: number;
  totalItems: number;
  /** Decimal strings: money is never a float. */
  totalSpent: string;
  avgOrderValue: string;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
}

/**
 * One row of the product_performance_summary report (`getTopProducts`): a product ever ordered.
 * Money and `returnRate` are decimal strings; cost and margin use today's `products.cost`, and
 * `revenueRank` is 1 for the best seller (ties share a rank).
 */
export interface ProductPerformance {
  productId: number;
  sku: string;
  productName: string;
  categoryName: string;
  orderCount: number;
  unitsSold: number;
  unitsReturned: number;
  revenue: string;
  costOfGoods: string;
  grossMargin: string;
  returnRate: string;
  revenueRank: number | null;
}

/**
 * One row of the daily_sales_summary report (`getDailySales`): a UTC day with orders, `salesDate`
 * as `YYYY-MM-DD`. Revenue covers kept orders only and comes as decimal strings.
 */
export interface DailySales {
  salesDate: string;
  orderCount: number;
  cancelledOrders: number;
  returnedOrders: number;
  itemsSold: number;
  uniqueCustomers: number;
  newCustomers: number;
  grossRevenue: string;
  discountTotal: string;
  netRevenue: string;
  avgOrderValue: string;
}

/**
 * One cell of the customer_cohort_analysis report (`getCohortAnalysis`): the customers whose first
 * order fell in `cohortMonth` (its first day, `YYYY-MM-DD`), `monthsSinceFirst` months later. Rates and money are
 * decimal strings; `lifetimeValue` is cumulative revenue per cohort member.
 */
export interface CohortCell {
  cohortMonth: string;
  monthsSinceFirst: number;
  cohortSize: number;
  activeCustomers: number;
  retentionRate: string;
  revenue: string;
  cumulativeRevenue: string;
  lifetimeValue: string;
}

const CUSTOMER_COLUMNS = `customer_id AS customerId, email, customer_name AS customerName,
  customer_segment AS segment, total_orders AS totalOrders, completed_orders AS completedOrders,
  cancelled_orders AS cancelledOrders, returned_orders AS returnedOrders, total_items AS totalItems,
  CAST(total_spent AS CHAR) AS totalSpent, CAST(avg_order_value AS CHAR) AS avgOrderValue,
  first_order_at AS firstOrderAt, last_order_at AS lastOrderAt`;

/** One customer's summary, or null when the customer has no orders (or the ETL has not run). */
export async function getCustomerOrderSummary(
  db: Queryable,
  customerId: number,
): Promise<CustomerOrderSummary | null> {
  const [row] = await db.query<CustomerOrderSummary>(
    `SELECT ${CUSTOMER_COLUMNS} FROM customer_order_summary WHERE customer_id = ?`,
    [customerId],
  );
  return row ? numbers(row, ['customerId']) : null;
}

/** Customers of one segment, biggest spenders first (default 100). */
export async function getCustomersBySegment(
  db: Queryable,
  segment: CustomerSegment,
  limit = 100,
): Promise<CustomerOrderSummary[]> {
  const rows = await db.query<CustomerOrderSummary>(
    `SELECT ${CUSTOMER_COLUMNS} FROM customer_order_summary WHERE customer_segment = ?
     ORDER BY total_spent DESC, customer_id LIMIT ?`,
    [segment, clamp(limit)],
  );
  return rows.map((r) => numbers(r, ['customerId']));
}

/** The best products by revenue (rank 1 first; default 10). */
export async function getTopProducts(db: Queryable, limit = 10): Promise<ProductPerformance[]> {
  return db.query<ProductPerformance>(
    `SELECT product_id AS productId, sku, product_name AS productName, category_name AS categoryName,
       order_count AS orderCount, units_sold AS unitsSold, units_returned AS unitsReturned,
       CAST(revenue AS CHAR) AS revenue, CAST(cost_of_goods AS CHAR) AS costOfGoods,
       CAST(gross_margin AS CHAR) AS grossMargin, CAST(return_rate AS CHAR) AS returnRate,
       revenue_rank AS revenueRank
     FROM product_performance_summary s ORDER BY s.revenue DESC, s.product_id LIMIT ?`,
    [clamp(limit)],
  );
}

/** Daily sales from `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first. */
export async function getDailySales(db: Queryable, from: string, to: string): Promise<DailySales[]> {
  return db.query<DailySales>(
    `SELECT DATE_FORMAT(sales_date, '%Y-%m-%d') AS salesDate, order_count AS orderCount,
       cancelled_orders AS cancelledOrders, returned_orders AS returnedOrders, items_sold AS itemsSold,
       unique_customers AS uniqueCustomers, new_customers AS newCustomers,
       CAST(gross_revenue AS CHAR) AS grossRevenue, CAST(discount_total AS CHAR) AS discountTotal,
       CAST(net_revenue AS CHAR) AS netRevenue, CAST(avg_order_value AS CHAR) AS avgOrderValue
     FROM daily_sales_summary WHERE sales_date BETWEEN ? AND ? ORDER BY sales_date`,
    [from, to],
  );
}

/** Cohort cells of the cohorts starting on or after `since` (`YYYY-MM-DD`), by cohort and month. */
export async function getCohortAnalysis(db: Queryable, since = '1970-01-01'): Promise<CohortCell[]> {
  return db.query<CohortCell>(
    `SELECT DATE_FORMAT(cohort_month, '%Y-%m-%d') AS cohortMonth, months_since_first AS monthsSinceFirst,
       cohort_size AS cohortSize, active_customers AS activeCustomers,
       CAST(retention_rate AS CHAR) AS retentionRate, CAST(revenue AS CHAR) AS revenue,
       CAST(cumulative_revenue AS CHAR) AS cumulativeRevenue, CAST(lifetime_value AS CHAR) AS lifetimeValue
     FROM customer_cohort_analysis WHERE cohort_month >= ? ORDER BY cohort_month, months_since_first`,
    [since],
  );
}

function clamp(limit: number): number {
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, 10_000) : 100;
}

function numbers<T>(row: T, keys: ReadonlyArray<keyof T>): T {
  for (const k of keys) (row as Record<keyof T, unknown>)[k] = Number(row[k]);
  return row;
}
