/**
 * `audit purge`: delete audit rows older than their table's retention, oldest first, in short
 * transactions. Only a prefix of a table's chain is ever removed (purge stops at the first row
 * still within retention), and the hash of the last row removed is kept in the chain head
 * (`purged_seq`, `purged_hash`) in the same transaction, so `audit verify` checks the first
 * remaining row against it.
 */
import type { DatabaseManager } from '../db/index.js';
import { readAuditConfig } from './config.js';

export interface PurgeAuditOptions {
  /** Count what would be removed, remove nothing; default false. */
  dryRun?: boolean;
  /** Rows per transaction; default 1,000. Each batch holds the table's chain head lock briefly. */
  batchSize?: number;
  /** Called after each batch (progress). */
  onBatch?: (table: string, rows: number) => void;
}

export interface PurgeAuditResult {
  dryRun: boolean;
  tables: Array<{ table: string; retentionDays: number; purged: number; batches: number }>;
  purged: number;
}

/** Purge every table in audit_config (enabled or not) by its retention_days. */
export async function purgeAudit(
  db: DatabaseManager,
  options: PurgeAuditOptions = {},
): Promise<PurgeAuditResult> {
  const batch = options.batchSize ?? 1000;
  const dryRun = options.dryRun ?? false;
  const result: PurgeAuditResult = { dryRun, tables: [], purged: 0 };
  for (const row of await readAuditConfig(db)) {
    let purged = 0;
    let batches = 0;
    let cursor: number | null = null;
    for (;;) {
      const n = await db.transaction(async (tx) => {
        const [head] = await tx.query<{ purged_seq: number }>(
          `SELECT purged_seq FROM audit_chain_head WHERE table_name = ?${dryRun ? '' : ' FOR UPDATE'}`,
          [row.table],
        );
        if (!head) return 0;
        const from = cursor ?? Number(head.purged_seq);
        const page = await tx.query<{ chain_seq: number; row_hash: string; expired: number }>(
          `SELECT chain_seq, row_hash, changed_at < NOW(6) - INTERVAL ? DAY AS expired
           FROM audit_log WHERE table_name = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?`,
          [row.retentionDays, row.table, from, batch],
        );
        const firstKept = page.findIndex((r) => Number(r.expired) !== 1);
        const expired = firstKept === -1 ? page : page.slice(0, firstKept);
        const last = expired.at(-1);
        if (!last) return 0;
        cursor = Number(last.chain_seq);
        if (!dryRun) {
          await tx.execute(
            'DELETE FROM audit_log WHERE table_name = ? AND chain_seq > ? AND chain_seq <= ?',
            [row.table, from, last.chain_seq],
          );
          await tx.execute(
            'UPDATE audit_chain_head SET purged_seq = ?, purged_hash = ? WHERE table_name = ?',
            [last.chain_seq, last.row_hash, row.table],
          );
        }
        return expired.length;
      });
      if (n === 0) break;
      purged += n;
      batches++;
      options.onBatch?.(row.table, n);
      if (n < batch) break;
    }
    result.tables.push({ table: row.table, retentionDays: row.retentionDays, purged, batches });
    result.purged += purged;
  }
  return result;
}
