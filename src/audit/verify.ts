/**
 * `audit verify`: check the sealed blocks and the rows, in one consistent snapshot (a read-only
 * REPEATABLE READ transaction), with keyset batches (constant memory):
 *
 * 1. The seal chain, in seal_id order: ids 1, 2, 3... without gaps, each prev_hash = the previous
 *    seal_hash (64 zeros for seal 1), each seal_hash recomputed from the seal's fields, and the
 *    anchor (a seal id and hash kept elsewhere) still there.
 * 2. Each block's rows: every content hash recomputed on the server = the stored row_hash, and the
 *    block's row count and rows_hash = the seal's. Partly or wholly purged blocks: rows left +
 *    purged_rows = row_count (their rows_hash can no longer be checked).
 * 3. Unsealed rows: content hash only (they are reported, not a failure).
 * 4. Every row of a table is in one of that table's blocks or unsealed (a row moved to a seal_id
 *    that is not its table's block would otherwise be skipped).
 */
import type { DatabaseManager, Transaction } from '../db/index.js';
import { storedContentHashSql } from './content-hash.js';
import { DATETIME6 } from './seal.js';
import { GENESIS_HASH, RowsHasher, sealHashOf } from './seal-hash.js';

/** What kind of tampering (or damage) `verifyAudit` found. */
export type AuditProblemKind =
  | 'seal chain broken'
  | 'seal altered'
  | 'anchor mismatch'
  | 'content altered'
  | 'rows missing or added'
  | 'block altered'
  | 'row outside its blocks'
  | 'purge out of order';

/** The first thing found wrong. */
export interface AuditProblem {
  problem: AuditProblemKind;
  table: string | null;
  /** The block concerned, when any. */
  sealId: number | null;
  /** The row concerned, when one is known. */
  auditId: number | null;
  /** For block problems: the audit_id range the seal records. */
  range: { first: number; last: number } | null;
  expected: string;
  found: string;
}

/** Options of `verifyAudit`. */
export interface VerifyAuditOptions {
  /** Rows per query; default 5,000. */
  batchSize?: number;
  /** Check only this table's rows (the seal chain itself is always checked whole). */
  table?: string;
  /** A seal id and hash stored elsewhere earlier (`audit seal` prints it); must still match. */
  anchor?: { sealId: number; sealHash: string };
}

/** What `verifyAudit` checked and the first problem it found; `ok` when there is none. */
export interface VerifyAuditResult {
  ok: boolean;
  /** Sealed blocks whose rows were checked (purged ones included). */
  blocks: number;
  /** Rows checked: sealed and unsealed. */
  rows: number;
  /** Rows not sealed yet (checked against their content hash only). */
  unsealed: number;
  /** Blocks whose rows `audit purge` deleted (all or some), and how many rows it deleted. */
  purged: { blocks: number; rows: number };
  tables: Array<{ table: string; blocks: number; rows: number; unsealed: number }>;
  /** The newest seal: store `sealId:sealHash` somewhere the database administrators cannot write. */
  latestSeal: { sealId: number; sealHash: string } | null;
  /** The first problem found (verify stops there), or null. */
  problem: AuditProblem | null;
}

interface SealRow {
  seal_id: number;
  table_name: string;
  row_count: number;
  first_audit_id: number;
  last_audit_id: number;
  first_changed_at: string;
  last_changed_at: string;
  rows_hash: string;
  prev_hash: string;
  seal_hash: string;
  sealed_at: string;
  sealed_by: string;
  purged: number;
  purged_rows: number;
}

interface CheckedRow {
  audit_id: number;
  row_hash: string | null;
  computed: string | null;
}

class Found extends Error {
  constructor(readonly detail: AuditProblem) {
    super(detail.problem);
  }
}

type TableTally = VerifyAuditResult['tables'][number];

/** Verify the trail; never throws for a problem (the result names it), only for I/O errors. */
export async function verifyAudit(
  db: DatabaseManager,
  options: VerifyAuditOptions = {},
): Promise<VerifyAuditResult> {
  const batch = options.batchSize ?? 5000;
  return db.transaction(
    async (tx) => {
      const result: VerifyAuditResult = {
        ok: true,
        blocks: 0,
        rows: 0,
        unsealed: 0,
        purged: { blocks: 0, rows: 0 },
        tables: [],
        latestSeal: null,
        problem: null,
      };
      const tallies = new Map<string, TableTally>();
      const tally = (table: string): TableTally => {
        let t = tallies.get(table);
        if (!t) {
          t = { table, blocks: 0, rows: 0, unsealed: 0 };
          tallies.set(table, t);
        }
        return t;
      };
      const inScope = (table: string) => options.table === undefined || table === options.table;
      const content = storedContentHashSql(db.flavor);
      try {
        await checkSeals(tx, result, options, batch, content, (table) =>
          inScope(table) ? tally(table) : null,
        );
        const logged = await tx.query<{ t: string }>(
          'SELECT DISTINCT table_name AS t FROM audit_log ORDER BY t',
        );
        for (const { t: table } of logged) {
          if (!inScope(table)) continue;
          await checkUnsealed(tx, tally(table), batch, content);
          await checkCoverage(tx, tally(table));
        }
      } catch (err) {
        if (!(err instanceof Found)) throw err;
        result.problem = err.detail;
        result.ok = false;
      }
      result.tables = [...tallies.values()].sort((a, b) => a.table.localeCompare(b.table));
      for (const t of result.tables) {
        result.rows += t.rows + t.unsealed;
        result.unsealed += t.unsealed;
      }
      return result;
    },
    { readOnly: true, isolationLevel: 'REPEATABLE READ' },
  );
}

async function checkSeals(
  tx: Transaction,
  result: VerifyAuditResult,
  options: VerifyAuditOptions,
  batch: number,
  content: string,
  tallyOf: (table: string) => TableTally | null,
): Promise<void> {
  let prevId = 0;
  let prevHash = GENESIS_HASH;
  // Per table: an unpurged block was seen, so a later purged one is out of order.
  const keptSeen = new Set<string>();
  for (;;) {
    const page = await tx.query<SealRow>(
      `SELECT seal_id, table_name, row_count, first_audit_id, last_audit_id,
              DATE_FORMAT(first_changed_at, ${DATETIME6}) AS first_changed_at,
              DATE_FORMAT(last_changed_at, ${DATETIME6}) AS last_changed_at, rows_hash, prev_hash, seal_hash,
              DATE_FORMAT(sealed_at, ${DATETIME6}) AS sealed_at, sealed_by,
              purged_at IS NOT NULL AS purged, purged_rows
       FROM audit_seal WHERE seal_id > ? ORDER BY seal_id LIMIT ?`,
      [prevId, Math.min(batch, 1000)],
    );
    for (const s of page) {
      const sealId = Number(s.seal_id);
      const at = { table: s.table_name, sealId, auditId: null, range: rangeOf(s) };
      if (sealId !== prevId + 1) {
        fail({
          ...at,
          problem: 'seal chain broken',
          expected: `seal_id ${prevId + 1}`,
          found: `seal_id ${sealId}`,
        });
      }
      if (s.prev_hash !== prevHash) {
        fail({
          ...at,
          problem: 'seal chain broken',
          expected: `prev_hash ${prevHash}`,
          found: `prev_hash ${s.prev_hash}`,
        });
      }
      const recomputed = sealHashOf({
        sealId,
        table: s.table_name,
        rowCount: Number(s.row_count),
        firstAuditId: Number(s.first_audit_id),
        lastAuditId: Number(s.last_audit_id),
        firstChangedAt: s.first_changed_at,
        lastChangedAt: s.last_changed_at,
        rowsHash: s.rows_hash,
        prevHash: s.prev_hash,
        sealedAt: s.sealed_at,
        sealedBy: s.sealed_by,
      });
      if (recomputed !== s.seal_hash) {
        fail({
          ...at,
          problem: 'seal altered',
          expected: `seal_hash ${recomputed}`,
          found: `seal_hash ${s.seal_hash}`,
        });
      }
      const anchor = options.anchor;
      if (anchor && anchor.sealId === sealId && anchor.sealHash !== s.seal_hash) {
        fail({
          ...at,
          problem: 'anchor mismatch',
          expected: `seal_hash ${anchor.sealHash}`,
          found: `seal_hash ${s.seal_hash}`,
        });
      }
      const purged = Number(s.purged) === 1;
      if (purged && keptSeen.has(s.table_name)) {
        fail({
          ...at,
          problem: 'purge out of order',
          expected: `older blocks of ${s.table_name} purged first`,
          found: `seal ${sealId} purged after a kept block`,
        });
      }
      if (!purged) keptSeen.add(s.table_name);
      if (purged) {
        result.purged.blocks++;
        result.purged.rows += Number(s.purged_rows);
      }
      const tally = tallyOf(s.table_name);
      if (tally) await checkBlock(tx, s, tally, batch, content);
      prevId = sealId;
      prevHash = s.seal_hash;
      result.blocks += tally ? 1 : 0;
    }
    if (page.length < Math.min(batch, 1000)) break;
  }
  result.latestSeal = prevId === 0 ? null : { sealId: prevId, sealHash: prevHash };
  const anchor = options.anchor;
  if (anchor && anchor.sealId > prevId) {
    fail({
      problem: 'anchor mismatch',
      table: null,
      sealId: anchor.sealId,
      auditId: null,
      range: null,
      expected: `seal ${anchor.sealId} with seal_hash ${anchor.sealHash}`,
      found: prevId === 0 ? 'no seals at all' : `seals end at ${prevId}`,
    });
  }
}

async function checkBlock(
  tx: Transaction,
  s: SealRow,
  tally: TableTally,
  batch: number,
  content: string,
): Promise<void> {
  const sealId = Number(s.seal_id);
  const hasher = new RowsHasher();
  await eachRow(tx, `table_name = ? AND seal_id = ?`, [s.table_name, sealId], batch, content, (r) => {
    checkContent(s.table_name, r, sealId);
    hasher.add(Number(r.audit_id), r.row_hash as string);
  });
  tally.blocks++;
  tally.rows += hasher.count;
  const at = { table: s.table_name, sealId, auditId: null, range: rangeOf(s) };
  const purgedRows = Number(s.purged_rows);
  const expectedRows = Number(s.row_count) - (Number(s.purged) === 1 ? purgedRows : 0);
  if (hasher.count !== expectedRows) {
    // A row that left the block for another table or another table's block can be named.
    const stray = await findStray(tx, s.table_name, sealId);
    if (stray) fail({ ...stray, range: rangeOf(s) });
    fail({
      ...at,
      problem: 'rows missing or added',
      expected: `${expectedRows} rows${purgedRows > 0 ? ` (${s.row_count} sealed, ${purgedRows} purged)` : ''}`,
      found: `${hasher.count} rows`,
    });
  }
  const rowsHash = hasher.digest();
  if (Number(s.purged) !== 1 && rowsHash !== s.rows_hash) {
    fail({
      ...at,
      problem: 'block altered',
      expected: `rows_hash ${s.rows_hash}`,
      found: `rows_hash ${rowsHash}`,
    });
  }
}

async function checkUnsealed(
  tx: Transaction,
  tally: TableTally,
  batch: number,
  content: string,
): Promise<void> {
  await eachRow(tx, 'table_name = ? AND seal_id IS NULL', [tally.table], batch, content, (r) => {
    checkContent(tally.table, r, null);
    tally.unsealed++;
  });
}

/** Rows of the table neither unsealed nor in one of its blocks (seal_id moved elsewhere). */
async function checkCoverage(tx: Transaction, tally: TableTally): Promise<void> {
  const [{ n } = { n: 0 }] = await tx.query<{ n: number }>(
    'SELECT COUNT(*) AS n FROM audit_log WHERE table_name = ?',
    [tally.table],
  );
  if (Number(n) === tally.rows + tally.unsealed) return;
  const stray = await findStray(tx, tally.table, null);
  fail({
    problem: 'row outside its blocks',
    table: tally.table,
    sealId: null,
    auditId: null,
    range: null,
    expected: `${tally.rows + tally.unsealed} rows (in ${tally.table}'s blocks or unsealed)`,
    found: `${n} rows`,
    ...stray,
  });
}

/**
 * Only on a failure path (the first query scans the whole log): a row carrying block `sealId` of
 * `table` but naming another table, or a row of `table` in no block of `table`.
 */
async function findStray(
  tx: Transaction,
  table: string,
  sealId: number | null,
): Promise<AuditProblem | null> {
  const [moved] =
    sealId === null
      ? []
      : await tx.query<{ audit_id: number; table_name: string }>(
          'SELECT audit_id, table_name FROM audit_log WHERE seal_id = ? AND table_name <> ? ORDER BY audit_id LIMIT 1',
          [sealId, table],
        );
  const [outside] = moved
    ? []
    : await tx.query<{ audit_id: number; seal_id: number }>(
        `SELECT a.audit_id, a.seal_id FROM audit_log a
         LEFT JOIN audit_seal s ON s.seal_id = a.seal_id AND s.table_name = a.table_name
         WHERE a.table_name = ? AND a.seal_id IS NOT NULL AND s.seal_id IS NULL ORDER BY a.audit_id LIMIT 1`,
        [table],
      );
  const row = moved ?? outside;
  if (!row) return null;
  return {
    problem: 'row outside its blocks',
    table: moved ? moved.table_name : table,
    sealId: moved ? sealId : Number(outside?.seal_id),
    auditId: Number(row.audit_id),
    range: null,
    expected: moved ? `table_name ${table} (the block's table)` : `a seal_id of a ${table} block`,
    found: moved ? `table_name ${moved.table_name}` : `seal_id ${outside?.seal_id}`,
  };
}

/** Keyset walk (audit_id order) over the rows matching `where`, with the recomputed hash. */
async function eachRow(
  tx: Transaction,
  where: string,
  params: unknown[],
  batch: number,
  content: string,
  visit: (r: CheckedRow) => void,
): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await tx.query<CheckedRow>(
      `SELECT audit_id, row_hash, ${content} AS computed FROM audit_log
       WHERE ${where} AND audit_id > ? ORDER BY audit_id LIMIT ?`,
      [...params, after, batch],
    );
    for (const r of page) visit(r);
    const last = page.at(-1);
    if (!last || page.length < batch) return;
    after = Number(last.audit_id);
  }
}

function checkContent(table: string, r: CheckedRow, sealId: number | null): void {
  if (r.computed !== null && r.computed === r.row_hash) return;
  fail({
    problem: 'content altered',
    table,
    sealId,
    auditId: Number(r.audit_id),
    range: null,
    expected: `row_hash ${r.computed ?? 'NULL (a NOT NULL field is NULL)'}`,
    found: `row_hash ${r.row_hash ?? 'NULL'}`,
  });
}

function rangeOf(s: SealRow): { first: number; last: number } {
  return { first: Number(s.first_audit_id), last: Number(s.last_audit_id) };
}

function fail(detail: AuditProblem): never {
  throw new Found(detail);
}

/** One line naming a problem, for messages and logs. */
export function describeProblem(p: AuditProblem): string {
  const where = [
    p.table === null ? null : `table ${p.table}`,
    p.sealId === null ? null : `seal ${p.sealId}`,
    p.range === null ? null : `audit_id ${p.range.first}..${p.range.last}`,
    p.auditId === null ? null : `audit_id ${p.auditId}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${p.problem}${where ? ` at ${where}` : ''}: expected ${p.expected}, found ${p.found}`;
}
