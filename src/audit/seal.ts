/**
 * `audit seal`: chain the rows the triggers wrote into sealed blocks. Per table, the unsealed rows
 * (oldest audit_id first, up to `maxRowsPerBlock`) are checked against their content hash,
 * summarised in `rows_hash`, and recorded as one audit_seal row whose `seal_hash` covers the
 * previous seal's hash; the rows get its seal_id. One transaction per block, under the seal lock.
 *
 * Rows of a transaction still open while sealing are invisible to it and are sealed by a later
 * run, so a block's rows need not be contiguous by audit_id: membership is `seal_id`.
 */
import { type DatabaseManager, quoteId, type Transaction } from '../db/index.js';
import { MysqlopsError } from '../errors.js';
import { storedContentHashSql } from './content-hash.js';
import { GENESIS_HASH, RowsHasher, type SealFields, sealHashOf } from './seal-hash.js';
import { DEFAULT_SEAL_LOCK_TIMEOUT_MS, withSealLock } from './seal-lock.js';

/** Options of `sealAudit`. */
export interface SealAuditOptions {
  /** Only this table's rows (default: every table with unsealed rows). */
  table?: string;
  /** Rows per block; default 10,000. Also the size of one sealing transaction. */
  maxRowsPerBlock?: number;
  /** How long to wait for another sealer's lock; default 30 s. Then E_AUDIT_SEAL_LOCK. */
  lockTimeoutMs?: number;
  /** Called after each committed block (progress). */
  onBlock?: (block: SealedBlock) => void;
}

/** One block this run sealed. */
export interface SealedBlock {
  sealId: number;
  table: string;
  rows: number;
  firstAuditId: number;
  lastAuditId: number;
  sealHash: string;
}

/** The blocks `sealAudit` sealed, per table and in total, and the newest seal to keep as an anchor. */
export interface SealAuditResult {
  blocks: number;
  rows: number;
  tables: Array<{ table: string; blocks: number; rows: number }>;
  /** The newest seal after the run (also when this run sealed nothing): store it as an anchor. */
  latest: { sealId: number; sealHash: string } | null;
}

/** DATETIME(6) as stored, the form the seal hash covers. */
export const DATETIME6 = "'%Y-%m-%d %H:%i:%s.%f'";

interface UnsealedRow {
  audit_id: number;
  row_hash: string;
  computed: string | null;
  changed_at: string;
}

/**
 * Seal every unsealed audit row present when the run starts (rows committed meanwhile wait for
 * the next run, so a busy database cannot keep it going forever). Refuses (E_AUDIT_CHAIN, nothing
 * of that block sealed) a row whose stored hash differs from its content: tampered rows are never
 * sealed. WARNING: needs a pool of 2+ connections (one holds the lock).
 */
export async function sealAudit(
  db: DatabaseManager,
  options: SealAuditOptions = {},
): Promise<SealAuditResult> {
  const perBlock = options.maxRowsPerBlock ?? 10_000;
  if (!Number.isInteger(perBlock) || perBlock < 1) {
    throw new MysqlopsError({
      code: 'E_AUDIT',
      message: `maxRowsPerBlock must be a positive integer, got ${perBlock}`,
      exitCode: 2,
    });
  }
  if (options.table !== undefined) quoteId(options.table);
  return withSealLock(db, options.lockTimeoutMs ?? DEFAULT_SEAL_LOCK_TIMEOUT_MS, async () => {
    const result: SealAuditResult = { blocks: 0, rows: 0, tables: [], latest: null };
    const [{ upTo } = { upTo: null }] = await db.query<{ upTo: number | null }>(
      'SELECT MAX(audit_id) AS upTo FROM audit_log',
    );
    const tables =
      options.table !== undefined
        ? [options.table]
        : (await db.query<{ t: string }>('SELECT DISTINCT table_name AS t FROM audit_log ORDER BY t')).map(
            (r) => r.t,
          );
    const content = storedContentHashSql(db.flavor);
    for (const table of upTo === null ? [] : tables) {
      const done = { table, blocks: 0, rows: 0 };
      for (;;) {
        const block = await db.transaction((tx) => sealBlock(tx, table, Number(upTo), perBlock, content));
        if (!block) break;
        done.blocks++;
        done.rows += block.rows;
        options.onBlock?.(block);
        if (block.rows < perBlock) break;
      }
      if (done.blocks > 0) result.tables.push(done);
      result.blocks += done.blocks;
      result.rows += done.rows;
    }
    result.latest = await latestSeal(db);
    return result;
  });
}

/** The newest seal (id and hash), or null before the first seal. */
export async function latestSeal(
  db: Pick<DatabaseManager, 'query'> | Transaction,
): Promise<{ sealId: number; sealHash: string } | null> {
  const [row] = await db.query<{ seal_id: number; seal_hash: string }>(
    'SELECT seal_id, seal_hash FROM audit_seal ORDER BY seal_id DESC LIMIT 1',
  );
  return row ? { sealId: Number(row.seal_id), sealHash: row.seal_hash } : null;
}

async function sealBlock(
  tx: Transaction,
  table: string,
  upTo: number,
  perBlock: number,
  content: string,
): Promise<SealedBlock | null> {
  const rows = await tx.query<UnsealedRow>(
    `SELECT audit_id, row_hash, ${content} AS computed, DATE_FORMAT(changed_at, ${DATETIME6}) AS changed_at
     FROM audit_log WHERE table_name = ? AND seal_id IS NULL AND audit_id <= ? ORDER BY audit_id LIMIT ?`,
    [table, upTo, perBlock],
  );
  const first = rows[0];
  const last = rows.at(-1);
  if (!first || !last) return null;
  const hasher = new RowsHasher();
  let firstChangedAt = first.changed_at;
  let lastChangedAt = first.changed_at;
  for (const r of rows) {
    if (r.computed === null || r.computed !== r.row_hash) {
      throw new MysqlopsError({
        code: 'E_AUDIT_CHAIN',
        message: `refusing to seal ${table}: audit_id ${r.audit_id} does not match its content hash (content altered); expected ${r.computed ?? 'NULL'}, found ${r.row_hash}`,
        hint: 'the audit trail was altered outside the triggers: investigate (mysqlops audit verify) before sealing; nothing of this block was sealed',
      });
    }
    hasher.add(Number(r.audit_id), r.row_hash);
    if (r.changed_at < firstChangedAt) firstChangedAt = r.changed_at;
    if (r.changed_at > lastChangedAt) lastChangedAt = r.changed_at;
  }
  // No FOR UPDATE (it would need more than SELECT on MySQL 8): the lock serializes sealers, and a
  // sealer that bypassed it would fail on the duplicate seal_id rather than fork the chain.
  const [prev] = await tx.query<{ seal_id: number; seal_hash: string }>(
    'SELECT seal_id, seal_hash FROM audit_seal ORDER BY seal_id DESC LIMIT 1',
  );
  const [now] = await tx.query<{ at: string; who: string }>(
    `SELECT DATE_FORMAT(NOW(6), ${DATETIME6}) AS at, USER() AS who`,
  );
  const fields: SealFields = {
    sealId: prev ? Number(prev.seal_id) + 1 : 1,
    table,
    rowCount: rows.length,
    firstAuditId: Number(first.audit_id),
    lastAuditId: Number(last.audit_id),
    firstChangedAt,
    lastChangedAt,
    rowsHash: hasher.digest(),
    prevHash: prev ? prev.seal_hash : GENESIS_HASH,
    sealedAt: String(now?.at),
    sealedBy: String(now?.who),
  };
  const sealHash = sealHashOf(fields);
  await tx.execute(
    `INSERT INTO audit_seal (seal_id, table_name, row_count, first_audit_id, last_audit_id, first_changed_at,
       last_changed_at, rows_hash, prev_hash, seal_hash, sealed_at, sealed_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      fields.sealId,
      table,
      fields.rowCount,
      fields.firstAuditId,
      fields.lastAuditId,
      fields.firstChangedAt,
      fields.lastChangedAt,
      fields.rowsHash,
      fields.prevHash,
      sealHash,
      fields.sealedAt,
      fields.sealedBy,
    ],
  );
  const ids = rows.map((r) => Number(r.audit_id));
  const updated = await tx.execute(
    `UPDATE audit_log SET seal_id = ? WHERE audit_id IN (${ids.map(() => '?').join(', ')}) AND seal_id IS NULL`,
    [fields.sealId, ...ids],
  );
  if (updated.affectedRows !== ids.length) {
    throw new MysqlopsError({
      code: 'E_AUDIT',
      message: `sealing ${table}: expected to seal ${ids.length} rows (audit_id ${fields.firstAuditId}..${fields.lastAuditId}), the server sealed ${updated.affectedRows}; rolled back`,
      hint: 'audit rows were deleted or sealed by someone else meanwhile: run mysqlops audit verify',
    });
  }
  return {
    sealId: fields.sealId,
    table,
    rows: rows.length,
    firstAuditId: fields.firstAuditId,
    lastAuditId: fields.lastAuditId,
    sealHash,
  };
}

/** What `audit status` shows about sealing. */
export interface AuditSealStatus {
  latest: { sealId: number; sealHash: string; sealedAt: string } | null;
  /** Rows waiting for the next seal, and the oldest one's changed_at (ISO, UTC). */
  unsealed: number;
  oldestUnsealedAt: string | null;
}

/** Latest seal and the unsealed backlog (per-table index range scans, cheap). */
export async function auditSealStatus(db: DatabaseManager): Promise<AuditSealStatus> {
  const [seal] = await db.query<{ seal_id: number; seal_hash: string; at: string }>(
    `SELECT seal_id, seal_hash, DATE_FORMAT(sealed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS at
     FROM audit_seal ORDER BY seal_id DESC LIMIT 1`,
  );
  const tables = await db.query<{ t: string }>('SELECT DISTINCT table_name AS t FROM audit_log');
  let unsealed = 0;
  let oldest: string | null = null;
  for (const { t } of tables) {
    const [r] = await db.query<{ n: number; oldest: string | null }>(
      `SELECT COUNT(*) AS n, DATE_FORMAT(MIN(changed_at), '%Y-%m-%dT%H:%i:%s.%fZ') AS oldest
       FROM audit_log WHERE table_name = ? AND seal_id IS NULL`,
      [t],
    );
    unsealed += Number(r?.n ?? 0);
    if (r?.oldest && (oldest === null || r.oldest < oldest)) oldest = r.oldest;
  }
  return {
    latest: seal ? { sealId: Number(seal.seal_id), sealHash: seal.seal_hash, sealedAt: seal.at } : null,
    unsealed,
    oldestUnsealedAt: oldest,
  };
}
