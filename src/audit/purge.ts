/**
 * `audit purge`: delete the rows of sealed blocks past their table's retention, oldest block
 * first, in short transactions. Only whole sealed blocks go: unsealed rows are never purged, and
 * a block is purged only when its newest row (last_changed_at) is past retention, so a row may
 * outlive its retention by up to one block. The seal rows stay (the chain still verifies); the
 * block is marked (purged_at when its purge starts, purged_rows grown in the same transaction as
 * each deleted batch), so `audit verify` reports the deletion instead of flagging it, and an
 * interrupted purge is finished by the next run.
 */
import type { DatabaseManager } from '../db/index.js';
import { readAuditConfig } from './config.js';

/**
 * Options of `purgeAudit`. It deletes whole sealed blocks older than their table's retention, in batches so
 * no transaction holds many locks.
 */
export interface PurgeAuditOptions {
  /** Count what would be removed, remove nothing; default false. */
  dryRun?: boolean;
  /** Rows per delete transaction; default 1,000. */
  batchSize?: number;
  /** Called after each deleted batch (progress); with dryRun, once per block. */
  onBatch?: (table: string, rows: number) => void;
}

/** What `purgeAudit` removed (or, with `dryRun`, would remove), per table and in total. */
export interface PurgeAuditResult {
  dryRun: boolean;
  tables: Array<{ table: string; retentionDays: number; blocks: number; purged: number; batches: number }>;
  /** Blocks purged (or that would be). */
  blocks: number;
  /** Rows deleted (or that would be). */
  purged: number;
}

interface BlockRow {
  seal_id: number;
  row_count: number;
  purged_rows: number;
  started: number;
  expired: number;
}

/**
 * Purge every table in audit_config (enabled or not) by its retention_days (server clock).
 * WARNING: needs DELETE on audit_log and UPDATE on audit_seal, which no role of the access file
 * has: run it as the database owner (the account that ran the migrations and `audit apply`).
 */
export async function purgeAudit(
  db: DatabaseManager,
  options: PurgeAuditOptions = {},
): Promise<PurgeAuditResult> {
  const batch = options.batchSize ?? 1000;
  const dryRun = options.dryRun ?? false;
  const result: PurgeAuditResult = { dryRun, tables: [], blocks: 0, purged: 0 };
  for (const row of await readAuditConfig(db)) {
    const done = { table: row.table, retentionDays: row.retentionDays, blocks: 0, purged: 0, batches: 0 };
    let cursor = 0;
    for (;;) {
      // The table's oldest block not wholly purged: one whose purge was interrupted is finished
      // whatever its age; otherwise purging stops at the first block still within retention.
      const [block] = await db.query<BlockRow>(
        `SELECT seal_id, row_count, purged_rows, purged_at IS NOT NULL AS started,
                last_changed_at < NOW(6) - INTERVAL ? DAY AS expired
         FROM audit_seal WHERE table_name = ? AND seal_id > ? AND (purged_at IS NULL OR purged_rows < row_count)
         ORDER BY seal_id LIMIT 1`,
        [row.retentionDays, row.table, cursor],
      );
      if (!block || (Number(block.started) !== 1 && Number(block.expired) !== 1)) break;
      const sealId = Number(block.seal_id);
      cursor = sealId;
      done.blocks++;
      if (dryRun) {
        const left = Number(block.row_count) - Number(block.purged_rows);
        done.purged += left;
        options.onBatch?.(row.table, left);
        continue;
      }
      await db.execute('UPDATE audit_seal SET purged_at = NOW(6) WHERE seal_id = ? AND purged_at IS NULL', [
        sealId,
      ]);
      for (;;) {
        const n = await db.transaction(async (tx) => {
          const del = await tx.execute(
            'DELETE FROM audit_log WHERE table_name = ? AND seal_id = ? ORDER BY audit_id LIMIT ?',
            [row.table, sealId, batch],
          );
          if (del.affectedRows > 0) {
            await tx.execute('UPDATE audit_seal SET purged_rows = purged_rows + ? WHERE seal_id = ?', [
              del.affectedRows,
              sealId,
            ]);
          }
          return del.affectedRows;
        });
        if (n > 0) {
          done.purged += n;
          done.batches++;
          options.onBatch?.(row.table, n);
        }
        if (n < batch) break;
      }
    }
    result.tables.push(done);
    result.blocks += done.blocks;
    result.purged += done.purged;
  }
  return result;
}
