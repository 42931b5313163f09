/**
 * Draining the change log: each visible etl_change_log row becomes pending keys of every pipeline
 * that captures changes (etl_state.capturing), then is deleted, in bounded transactions. Rows of
 * transactions still open stay in the log for the next drain, so commit order never loses a change.
 * Callers hold the dispatch lock.
 */
import type { ContextualDatabase } from '../db/index.js';
import { monthOf } from './pipelines/shared.js';
import type { PipelineName } from './types.js';

/** Log rows moved per transaction. */
export const DISPATCH_CHUNK = 20_000;

const ORDER_ROWS = "ch.source IN ('order', 'item') AND ch.ordered_at IS NOT NULL";

/** Per pipeline: statements turning the rows in etl_changes into its pending keys. */
const TO_PENDING: Record<PipelineName, string[]> = {
  customer_order_summary: [
    `SELECT DISTINCT 'customer_order_summary', ch.customer_id, TO_DAYS(${monthOf('ch.ordered_at')})
     FROM etl_changes ch WHERE ${ORDER_ROWS}`,
    `SELECT DISTINCT 'customer_order_summary', ch.customer_id, 0 FROM etl_changes ch WHERE ch.source = 'customer'`,
  ],
  product_performance_summary: [
    `SELECT DISTINCT 'product_performance_summary', ch.product_id, TO_DAYS(ch.ordered_at)
     FROM etl_changes ch WHERE ch.source = 'item' AND ch.ordered_at IS NOT NULL`,
    `SELECT DISTINCT 'product_performance_summary', oi.product_id, TO_DAYS(ch.ordered_at)
     FROM etl_changes ch JOIN order_items oi ON oi.order_id = ch.order_id WHERE ch.source = 'order'`,
    `SELECT DISTINCT 'product_performance_summary', ch.product_id, 0 FROM etl_changes ch WHERE ch.source = 'product'`,
    `SELECT DISTINCT 'product_performance_summary', p.product_id, 0
     FROM etl_changes ch JOIN products p ON p.category_id = ch.category_id WHERE ch.source = 'category'`,
  ],
  daily_sales_summary: [
    `SELECT DISTINCT 'daily_sales_summary', TO_DAYS(ch.ordered_at), 0 FROM etl_changes ch WHERE ${ORDER_ROWS}`,
    // new_customers: when a change may have moved a customer's first order (a changed order at or
    // before their current first one), every day they ordered on is recomputed.
    `SELECT DISTINCT 'daily_sales_summary', TO_DAYS(o.ordered_at), 0
     FROM (
       SELECT ch.customer_id FROM etl_changes ch WHERE ${ORDER_ROWS}
       GROUP BY ch.customer_id
       HAVING MIN(ch.ordered_at) <= COALESCE(
         (SELECT f.ordered_at FROM orders f WHERE f.customer_id = ch.customer_id ORDER BY f.ordered_at LIMIT 1),
         MIN(ch.ordered_at))
     ) t JOIN orders o ON o.customer_id = t.customer_id`,
  ],
  customer_cohort_analysis: [
    `SELECT DISTINCT 'customer_cohort_analysis', ch.customer_id, TO_DAYS(${monthOf('ch.ordered_at')})
     FROM etl_changes ch WHERE ${ORDER_ROWS}`,
  ],
};

export interface DispatchResult {
  rows: number;
}

/**
 * Move every visible change into the pending keys of the capturing pipelines. With none capturing
 * (nothing built yet) the log is simply emptied: the first full build reads everything anyway.
 */
export async function dispatchChanges(db: ContextualDatabase): Promise<DispatchResult> {
  const capturing = (
    await db.query<{ pipeline: PipelineName }>('SELECT pipeline FROM etl_state WHERE capturing = 1')
  ).map((r) => r.pipeline);
  let rows = 0;
  if (capturing.length === 0) {
    // Nobody needs these rows (we hold the dispatch lock, so no pipeline starts capturing now).
    for (;;) {
      const r = await db.execute('DELETE FROM etl_change_log ORDER BY change_id LIMIT 50000');
      rows += r.affectedRows;
      if (r.affectedRows < 50_000) break;
    }
    return { rows };
  }
  for (;;) {
    const moved = await db.transaction(
      async (tx) => {
        await tx.execute('DROP TEMPORARY TABLE IF EXISTS etl_changes');
        // In memory and without keys: every statement below scans it once (a chunk is ~1.5 MB,
        // well under max_heap_table_size), and filling it costs a third of an InnoDB copy.
        const n = (
          await tx.execute(
            'CREATE TEMPORARY TABLE etl_changes ENGINE = MEMORY SELECT * FROM etl_change_log ORDER BY change_id LIMIT ?',
            [DISPATCH_CHUNK],
          )
        ).affectedRows;
        if (n > 0) {
          // Items logged while their order was not visible to the writer: look the keys up now.
          await tx.execute(
            `UPDATE etl_changes ch JOIN orders o ON o.order_id = ch.order_id
             SET ch.customer_id = o.customer_id, ch.ordered_at = o.ordered_at
             WHERE ch.source = 'item' AND ch.ordered_at IS NULL`,
          );
          for (const p of capturing) {
            for (const select of TO_PENDING[p]) {
              await tx.execute(`INSERT IGNORE INTO etl_pending (pipeline, k1, k2) ${select}`);
            }
          }
          await tx.execute('DELETE l FROM etl_change_log l JOIN etl_changes c ON c.change_id = l.change_id');
          // In SQL: change ids (UUID_SHORT) exceed what a JavaScript number holds exactly.
          await tx.execute(
            `UPDATE etl_state SET last_change_id = GREATEST(last_change_id, (SELECT MAX(change_id) FROM etl_changes))
             WHERE capturing = 1`,
          );
        }
        await tx.execute('DROP TEMPORARY TABLE etl_changes');
        return { n };
      },
      { isolationLevel: 'READ COMMITTED' },
    );
    rows += moved.n;
    if (moved.n < DISPATCH_CHUNK) break;
  }
  return { rows };
}
