/**
 * The hashes of a sealed block, computed in Node (pure: no I/O). `rows_hash` covers the block's
 * rows: sha256 over one line `<audit_id>:<row_hash>\n` per row in audit_id order, so it pins both
 * which rows belong to the block and their content hashes. `seal_hash` covers the seal's own
 * fields, including the previous seal's hash, which chains every block to all blocks before it.
 */
import { createHash, type Hash } from 'node:crypto';

/** prev_hash of seal 1. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version tag in the canonical seal text; bump it if the text ever changes. */
export const SEAL_FORMAT = 'mysqlops-audit-seal/1';

/** An audit_seal row's covered fields, as stored (DATETIME(6) as `YYYY-MM-DD HH:MM:SS.ffffff`). */
export interface SealFields {
  sealId: number;
  table: string;
  rowCount: number;
  firstAuditId: number;
  lastAuditId: number;
  firstChangedAt: string;
  lastChangedAt: string;
  rowsHash: string;
  prevHash: string;
  sealedAt: string;
  sealedBy: string;
}

/** Accumulates rows_hash over a block's rows, fed in audit_id order (constant memory). */
export class RowsHasher {
  readonly #hash: Hash = createHash('sha256');
  #count = 0;

  add(auditId: number, rowHash: string): void {
    this.#hash.update(`${auditId}:${rowHash}\n`);
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  /** The hex digest; the hasher cannot be used afterwards. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}

/**
 * The canonical text of a seal: a JSON array of the format tag and every covered field as a
 * string, in the order of SealFields. JSON quoting makes the text unambiguous whatever a table name
 * or account name holds. purged_at / purged_rows are not covered: purge sets them later.
 */
export function canonicalSealText(s: SealFields): string {
  return JSON.stringify([
    SEAL_FORMAT,
    String(s.sealId),
    s.table,
    String(s.rowCount),
    String(s.firstAuditId),
    String(s.lastAuditId),
    s.firstChangedAt,
    s.lastChangedAt,
    s.rowsHash,
    s.prevHash,
    s.sealedAt,
    s.sealedBy,
  ]);
}

/** sha256 (hex) of the canonical seal text. */
export function sealHashOf(s: SealFields): string {
  return createHash('sha256').update(canonicalSealText(s), 'utf8').digest('hex');
}

/** Parse `SEAL_ID:HASH` (an anchor printed by `audit seal` / `audit verify`); null when malformed. */
export function parseAnchor(text: string): { sealId: number; sealHash: string } | null {
  const m = /^([1-9]\d{0,15}):([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (!m) return null;
  return { sealId: Number(m[1]), sealHash: m[2] as string };
}
