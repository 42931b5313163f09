/**
 * The content hash and the seal hash as definitions: the encoding is unambiguous (moving a
 * boundary, NULL vs '', changes the hash), the trigger's pre-encoded constants equal what the
 * server computes, and the canonical seal text covers every field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTENT_FIELDS,
  type ContentField,
  canonicalSealText,
  contentHashSql,
  GENESIS_HASH,
  parseAnchor,
  type SealFields,
  sealHashOf,
} from '../../src/audit/index.js';
import type { DatabaseManager } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createTestDatabase('audit_hash');
  db = t.db;
});
afterAll(async () => {
  await t?.drop();
});

type Row = Record<ContentField, string | null>;
const base: Row = {
  table_name: 'orders',
  action: 'INSERT',
  row_pk: '42',
  old_values: null,
  new_values: '{"a": 1}',
  app_user: 'alice',
  request_id: 'r1',
  db_user: 'root@localhost',
  connection_id: '7',
  changed_at: '2026-12-01 10:00:00.000001',
};

/** The hash the server computes for `row` (bound values in a derived table, like stored columns). */
async function hashOf(row: Row, literal: ContentField[] = []): Promise<string | null> {
  const sql = contentHashSql((f) => (literal.includes(f) ? { literal: row[f] } : { sql: f }), db.flavor);
  const columns = CONTENT_FIELDS.map((f) =>
    f === 'changed_at' ? `CAST(? AS DATETIME(6)) AS ${f}` : `? AS ${f}`,
  );
  const [r] = await db.query<{ h: string | null }>(
    `SELECT ${sql} AS h FROM (SELECT ${columns.join(', ')}) AS x`,
    CONTENT_FIELDS.map((f) => row[f]),
  );
  return r?.h ?? null;
}

describe('content hash', () => {
  it('changes when a boundary between two fields moves, and tells NULL from empty', async () => {
    const h = await hashOf(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const variants: Row[] = [
      { ...base, app_user: 'alic', request_id: 'er1' },
      { ...base, app_user: null, request_id: 'r1' },
      { ...base, app_user: '', request_id: 'r1' },
      { ...base, old_values: '', new_values: '{"a": 1}' },
      { ...base, row_pk: '4', db_user: '2root@localhost' },
      { ...base, connection_id: '72', changed_at: '2026-12-01 10:00:00.000001' },
    ];
    const hashes = new Set([h]);
    for (const v of variants) hashes.add(await hashOf(v));
    expect(hashes.size).toBe(variants.length + 1);
    expect(await hashOf({ ...base, app_user: null })).not.toBe(await hashOf({ ...base, app_user: '' }));
  });

  it('takes constants pre-encoded exactly as the server encodes them', async () => {
    expect(await hashOf(base, ['table_name', 'action', 'old_values'])).toBe(await hashOf(base));
  });

  it('is NULL (a mismatch for verify) when a NOT NULL field is NULL', async () => {
    for (const f of CONTENT_FIELDS.filter(
      (x) => !['old_values', 'new_values', 'app_user', 'request_id'].includes(x),
    )) {
      expect(await hashOf({ ...base, [f]: null }), f).toBeNull();
    }
  });
});

describe('seal hash', () => {
  const seal: SealFields = {
    sealId: 3,
    table: 'orders',
    rowCount: 2,
    firstAuditId: 10,
    lastAuditId: 12,
    firstChangedAt: '2026-12-01 10:00:00.000001',
    lastChangedAt: '2026-12-01 10:00:01.000000',
    rowsHash: 'a'.repeat(64),
    prevHash: GENESIS_HASH,
    sealedAt: '2026-12-01 10:01:00.000000',
    sealedBy: 'root@localhost',
  };

  it('covers every field', () => {
    const h = sealHashOf(seal);
    const changed: Array<Partial<SealFields>> = [
      { sealId: 4 },
      { table: 'order_items' },
      { rowCount: 3 },
      { firstAuditId: 11 },
      { lastAuditId: 13 },
      { firstChangedAt: '2026-12-01 10:00:00.000002' },
      { lastChangedAt: '2026-12-01 10:00:01.000001' },
      { rowsHash: 'b'.repeat(64) },
      { prevHash: 'c'.repeat(64) },
      { sealedAt: '2026-12-01 10:01:00.000001' },
      { sealedBy: 'auditor@%' },
    ];
    for (const c of changed) expect(sealHashOf({ ...seal, ...c }), JSON.stringify(c)).not.toBe(h);
    expect(canonicalSealText(seal)).toBe(
      '["mysqlops-audit-seal/1","3","orders","2","10","12","2026-12-01 10:00:00.000001","2026-12-01 10:00:01.000000","' +
        `${'a'.repeat(64)}","${GENESIS_HASH}","2026-12-01 10:01:00.000000","root@localhost"]`,
    );
  });

  it('parses anchors strictly', () => {
    expect(parseAnchor(`12:${'A'.repeat(64)}`)).toEqual({ sealId: 12, sealHash: 'a'.repeat(64) });
    for (const bad of [
      '12',
      `0:${'a'.repeat(64)}`,
      `12:${'a'.repeat(63)}`,
      `x:${'a'.repeat(64)}`,
      `-1:${'a'.repeat(64)}`,
    ]) {
      expect(parseAnchor(bad), bad).toBeNull();
    }
  });
});
