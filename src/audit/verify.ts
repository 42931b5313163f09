/**
 * `audit verify`: walk every table's chain in chain order, in keyset batches (constant memory),
 * recompute each row's hash on the server with the same expression the trigger used, and check the
 * links: sequence without gaps, prev_hash = the previous row's hash, stored hash = recomputed
 * hash, and the last row = the chain head. A chain cut by `audit purge` starts at the purge
 * checkpoint kept in the head row.
 */
import type { DatabaseManager } from '../db/index.js';
import { chainHashSql } from './chain-hash.js';

export interface ChainBreak {
  table: string;
  /** audit_log.audit_id of the first row that does not fit (null: rows missing at the end). */
  auditId: number | null;
  chainSeq: number | null;
  problem:
    | 'sequence gap'
    | 'prev_hash mismatch'
    | 'content altered'
    | 'missing rows at the end'
    | 'no chain head';
  expected: string;
  found: string;
}

export interface VerifyAuditResult {
  ok: boolean;
  tables: Array<{ table: string; rows: number; ok: boolean }>;
  rows: number;
  /** The first broken link (first table in name order, lowest sequence), when any. */
  broken: ChainBreak | null;
}

export interface VerifyAuditOptions {
  /** Rows per query; default 5,000. */
  batchSize?: number;
  /** Restrict to one table's chain. */
  table?: string;
}

interface Head {
  table_name: string;
  seq: number;
  hash: string;
  purged_seq: number;
  purged_hash: string;
}

/** Verify the chains; never throws for a broken chain (the result says where), only for I/O errors. */
export async function verifyAudit(
  db: DatabaseManager,
  options: VerifyAuditOptions = {},
): Promise<VerifyAuditResult> {
  const batch = options.batchSize ?? 5000;
  const heads = new Map(
    (await db.query<Head>('SELECT table_name, seq, hash, purged_seq, purged_hash FROM audit_chain_head')).map(
      (h) => [h.table_name, h],
    ),
  );
  const logged = await db.query<{ table_name: string }>('SELECT DISTINCT table_name FROM audit_log');
  const tables = [...new Set([...heads.keys(), ...logged.map((r) => r.table_name)])]
    .filter((t) => options.table === undefined || t === options.table)
    .sort();
  const computed = chainHashSql((f) => f, db.flavor);
  const result: VerifyAuditResult = { ok: true, tables: [], rows: 0, broken: null };
  for (const table of tables) {
    const head = heads.get(table);
    let rows = 0;
    let broken: ChainBreak | null = null;
    if (!head) {
      broken = {
        table,
        auditId: null,
        chainSeq: null,
        problem: 'no chain head',
        expected: 'a head row',
        found: 'none',
      };
    } else {
      let seq = Number(head.purged_seq);
      let prev = head.purged_hash;
      outer: for (;;) {
        const page = await db.query<{
          audit_id: number;
          chain_seq: number;
          prev_hash: string;
          row_hash: string;
          computed: string;
        }>(
          `SELECT audit_id, chain_seq, prev_hash, row_hash, ${computed} AS computed
           FROM audit_log WHERE table_name = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?`,
          [table, seq, batch],
        );
        for (const r of page) {
          const at = { table, auditId: Number(r.audit_id), chainSeq: Number(r.chain_seq) };
          if (Number(r.chain_seq) !== seq + 1) {
            broken = {
              ...at,
              problem: 'sequence gap',
              expected: `chain_seq ${seq + 1}`,
              found: `chain_seq ${r.chain_seq}`,
            };
          } else if (r.prev_hash !== prev) {
            broken = { ...at, problem: 'prev_hash mismatch', expected: prev, found: r.prev_hash };
          } else if (r.computed !== r.row_hash) {
            broken = { ...at, problem: 'content altered', expected: r.computed, found: r.row_hash };
          }
          if (broken) break outer;
          seq = Number(r.chain_seq);
          prev = r.row_hash;
          rows++;
        }
        if (page.length < batch) break;
      }
      if (!broken && (seq !== Number(head.seq) || prev !== head.hash)) {
        broken = {
          table,
          auditId: null,
          chainSeq: seq + 1,
          problem: 'missing rows at the end',
          expected: `chain_seq ${head.seq} ending in ${head.hash}`,
          found: `chain_seq ${seq} ending in ${prev}`,
        };
      }
    }
    result.rows += rows;
    result.tables.push({ table, rows, ok: broken === null });
    if (broken && !result.broken) result.broken = broken;
  }
  result.ok = result.broken === null;
  return result;
}
