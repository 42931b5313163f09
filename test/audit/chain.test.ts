/**
 * Tamper evidence: one linear chain per table under concurrent writers, and `verifyAudit` naming
 * the first row that was altered or removed behind the triggers' back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAudit, verifyAudit } from '../../src/audit/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('audit_chain');
  db = t.db;
  await applyAudit(db);
});
afterAll(async () => {
  await t?.drop();
});

const WRITERS = 8;
const UPDATES = 1000;

describe('audit chain', () => {
  it('passes verify on an empty log', async () => {
    const r = await verifyAudit(db);
    expect(r).toMatchObject({ ok: true, rows: 0, broken: null });
  });

  it(`keeps one linear chain under ${WRITERS} concurrent writers x ${UPDATES} updates`, async () => {
    await db.execute("INSERT INTO categories (name, slug) VALUES ('Root', 'root')");
    const values = Array.from({ length: WRITERS }, (_, i) => `('SKU-${i}', 'P${i}', 1, 1.00, 0.50)`).join(
      ', ',
    );
    await db.execute(`INSERT INTO products (sku, name, category_id, price, cost) VALUES ${values}`);
    const [{ n: before } = { n: 0 }] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log');
    const managers = Array.from(
      { length: WRITERS },
      () => new DatabaseManager(t.config({ pool: { size: 1 } })),
    );
    try {
      await Promise.all(
        managers.map(async (m, w) => {
          const ctx = m.withContext({ user: `writer${w}` });
          for (let i = 1; i <= UPDATES; i++) {
            await ctx.execute('UPDATE products SET reorder_level = ? WHERE sku = ?', [i, `SKU-${w}`]);
          }
        }),
      );
    } finally {
      await Promise.all(managers.map((m) => m.close()));
    }
    const [{ n: after } = { n: 0 }] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log');
    expect(Number(after) - Number(before)).toBe(WRITERS * UPDATES);
    const r = await verifyAudit(db, { batchSize: 777 });
    expect(r.ok).toBe(true);
    expect(r.tables.find((x) => x.table === 'products')?.rows).toBe(WRITERS * UPDATES + WRITERS);
  });

  const tampers: Array<[string, string]> = [
    ['new_values', `JSON_SET(new_values, '$.reorder_level', 999)`],
    ['app_user', "'mallory'"],
    ['changed_at', 'changed_at + INTERVAL 1 SECOND'],
    ['row_hash', "REPEAT('a', 64)"],
    ['prev_hash', "REPEAT('b', 64)"],
    ['db_user', "'root@elsewhere'"],
    ['action', "'DELETE'"],
  ];
  for (const [column, expr] of tampers) {
    it(`detects a root edit of ${column} and names the row`, async () => {
      const [victim] = await db.query<{ audit_id: number }>(
        `SELECT audit_id FROM audit_log WHERE table_name = 'products' ORDER BY chain_seq LIMIT 1 OFFSET 4321`,
      );
      const id = Number(victim?.audit_id);
      await db.execute('CREATE TABLE tamper_copy AS SELECT * FROM audit_log WHERE audit_id = ?', [id]);
      await db.execute(`UPDATE audit_log SET ${column} = ${expr} WHERE audit_id = ?`, [id]);
      try {
        const r = await verifyAudit(db);
        expect(r.ok).toBe(false);
        expect(r.broken?.auditId).toBe(id);
        expect(r.broken?.table).toBe('products');
      } finally {
        await db.execute(
          `UPDATE audit_log a JOIN tamper_copy c ON c.audit_id = a.audit_id SET a.${column} = c.${column}`,
        );
        await db.execute('DROP TABLE tamper_copy');
      }
      expect((await verifyAudit(db)).ok).toBe(true);
    });
  }

  it('detects a row deleted in the middle and rows deleted at the end', async () => {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT * FROM audit_log WHERE table_name = 'products' ORDER BY chain_seq LIMIT 2 OFFSET 100`,
    );
    const [gone, next] = rows;
    await db.execute('DELETE FROM audit_log WHERE audit_id = ?', [gone?.audit_id as number]);
    const r = await verifyAudit(db);
    expect(r.broken).toMatchObject({ auditId: Number(next?.audit_id), problem: 'sequence gap' });

    const [last] = await db.query<{ audit_id: number }>(
      `SELECT audit_id FROM audit_log WHERE table_name = 'products' ORDER BY chain_seq DESC LIMIT 1`,
    );
    await db.execute("DELETE FROM audit_log WHERE table_name = 'products' AND chain_seq > 101");
    await db.execute("DELETE FROM audit_log WHERE table_name = 'products' AND chain_seq = 101");
    const tail = await verifyAudit(db, { table: 'products' });
    expect(tail.broken).toMatchObject({ problem: 'missing rows at the end' });
    expect(last).toBeDefined();
  });
});
