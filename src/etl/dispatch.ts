/**
 * Draining the change log: each visible etl_change_log row becomes pending keys of every pipeline
 * that captures changes (etl_state.capturing), then is deleted, in bounded chunks. Rows of
 * transactions still open stay in the log for the next drain, so commit order never loses a change.
 * Callers hold the dispatch lock.
 */
import type { ContextualDatabase, Transaction } from '../db/index.js';
import { monthOf } from './pipelines/shared.js';
import { PIPELINES, type PipelineName } from './types.js';

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
 * The pipelines whose keys are committed first: the customer pipeline has the most work per key,
 * so it starts on its keys while the others' (every other pipeline: the second stage) are queued.
 */
const FIRST_STAGE: readonly PipelineName[] = ['customer_order_summary'];

const READ_COMMITTED = { isolationLevel: 'READ COMMITTED' } as const;

/**
 * Move every visible change into the pending keys of the capturing pipelines, then delete it
 * from the log. With none capturing (nothing built yet) the log is simply emptied: the first full
 * build reads everything anyway.
 *
 * `onQueued(pipelines)` is called once the keys of those pipelines are all committed, so their
 * runs can start while the rest of the drain goes on (the caller keeps the dispatch lock until
 * this resolves). It is called for the stages of the last chunk only, and not at all when the
 * log is empty: callers start whatever was not announced once this resolves. Log rows are deleted only after every capturing pipeline's keys are committed;
 * a drain that dies in between leaves them to be dispatched again, which queues the same keys.
 */
export async function dispatchChanges(
  db: ContextualDatabase,
  onQueued: (pipelines: PipelineName[]) => void = () => {},
): Promise<DispatchResult> {
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
  const ordered = PIPELINES.filter((p) => capturing.includes(p));
  const stages = [
    ordered.filter((p) => FIRST_STAGE.includes(p)),
    ordered.filter((p) => !FIRST_STAGE.includes(p)),
  ].filter((g) => g.length > 0);
  // One held connection: the chunk's temporary copy lives from the first stage to the delete.
  return db.session(async (s) => {
    for (;;) {
      const n = await s.transaction(async (tx) => {
        await tx.execute('DROP TEMPORARY TABLE IF EXISTS etl_changes');
        // In memory and without keys: every statement below scans it once (a chunk is ~1.5 MB,
        // well under max_heap_table_size), and filling it costs a third of an InnoDB copy.
        const copied = (
          await tx.execute(
            'CREATE TEMPORARY TABLE etl_changes ENGINE = MEMORY SELECT * FROM etl_change_log ORDER BY change_id LIMIT ?',
            [DISPATCH_CHUNK],
          )
        ).affectedRows;
        if (copied > 0) {
          // Items logged while their order was not visible to the writer: look the keys up now.
          await tx.execute(
            `UPDATE etl_changes ch JOIN orders o ON o.order_id = ch.order_id
             SET ch.customer_id = o.customer_id, ch.ordered_at = o.ordered_at
             WHERE ch.source = 'item' AND ch.ordered_at IS NULL`,
          );
          await queueKeys(tx, stages[0] as PipelineName[]);
        }
        return copied;
      }, READ_COMMITTED);
      rows += n;
      if (n > 0) {
        // A full chunk may have more behind it: pipelines start only once all their keys are in.
        const last = n < DISPATCH_CHUNK;
        if (last) onQueued(stages[0] as PipelineName[]);
        for (const stage of stages.slice(1)) {
          await s.transaction((tx) => queueKeys(tx, stage), READ_COMMITTED);
          if (last) onQueued(stage);
        }
        await s.transaction(
          (tx) =>
            tx.execute('DELETE l FROM etl_change_log l JOIN etl_changes c ON c.change_id = l.change_id'),
          READ_COMMITTED,
        );
      }
      await s.execute('DROP TEMPORARY TABLE etl_changes');
      if (n < DISPATCH_CHUNK) return { rows };
    }
  });
}

/** The pending keys of `pipelines` from the rows in etl_changes, and their watermarks. */
async function queueKeys(tx: Transaction, pipelines: readonly PipelineName[]): Promise<void> {
  for (const p of pipelines) {
    for (const select of TO_PENDING[p]) {
      await tx.execute(`INSERT IGNORE INTO etl_pending (pipeline, k1, k2) ${select}`);
    }
  }
  // In SQL: change ids (UUID_SHORT) exceed what a JavaScript number holds exactly.
  await tx.execute(
    `UPDATE etl_state SET last_change_id = GREATEST(last_change_id, (SELECT MAX(change_id) FROM etl_changes))
     WHERE pipeline IN (${pipelines.map(() => '?').join(', ')})`,
    [...pipelines],
  );
}
