/** The four pipeline definitions by name. */
import type { PipelineName } from '../types.js';
import { customerCohortAnalysis } from './cohort.js';
import { customerOrderSummary } from './customer.js';
import { dailySalesSummary } from './daily.js';
import { productPerformanceSummary } from './product.js';
import type { PipelineDef } from './shared.js';

export { SET_AS_OF, VIP_ORDERS, VIP_SPEND } from './customer.js';
export { fill, LIVE_TARGETS, type PipelineDef, type Targets } from './shared.js';

export const DEFINITIONS: Record<PipelineName, PipelineDef> = {
  customer_order_summary: customerOrderSummary,
  product_performance_summary: productPerformanceSummary,
  daily_sales_summary: dailySalesSummary,
  customer_cohort_analysis: customerCohortAnalysis,
};
