/**
 * Tamper evidence: content hashes written by the triggers under concurrent writers, sealing into
 * chained blocks, and `verifyAudit` naming the row or block that was altered, added or removed
 * behind the triggers' back, or the anchor a rewrite of the whole chain no longer matches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyAudit,
  sealAudit,
  sealLockName,
  storedContentHashSql,
  verifyAudit,
} from '../../src/audit/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('audit_seal');
  db = t.db;
  await applyAudit(db);
});
afterAll(async () => {
  await t?.drop();
});

const WRITERS = 8;
const UPDATES = 1000;

const count = async (where = '1') =>
  Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM audit_log WHERE ${where}`))[0]?.n);

/** An UPDATE audit row of products, sealed, far from the ends of its block. */
async function sealedVictim(): Promise<{ id: number; sealId: number }> {
  const [v] = await db.query<{ audit_id: number; seal_id: number }>(
    `SELECT audit_id, seal_id FROM audit_log WHERE table_name = 'products' AND action = 'UPDATE'
     AND seal_id IS NOT NULL ORDER BY audit_id LIMIT 1 OFFSET 4321`,
  );
  if (!v) throw new Error('no sealed products row');
  return { id: Number(v.audit_id), sealId: Number(v.seal_id) };
}

/** Run `fn` on a copy of the row and put every column back afterwards. */
async function tampered(id: number, fn: () => Promise<void>): Promise<void> {
  await db.execute('CREATE TABLE tamper_copy AS SELECT * FROM audit_log WHERE audit_id = ?', [id]);
  try {
    await fn();
  } finally {
    await db.execute('DELETE FROM audit_log WHERE audit_id = ?', [id]);
    await db.execute('INSERT INTO audit_log SELECT * FROM tamper_copy');
    await db.execute('DROP TABLE tamper_copy');
  }
  expect((await verifyAudit(db)).problem).toBeNull();
}

describe('audit seal and verify', () => {
  it('passes verify on an empty log, and sealing it seals nothing', async () => {
    expect(await verifyAudit(db)).toMatchObject({ ok: true, rows: 0, blocks: 0, latestSeal: null });
    expect(await sealAudit(db)).toMatchObject({ blocks: 0, rows: 0, latest: null });
  });

  it(`records exactly ${WRITERS * UPDATES} rows from ${WRITERS} concurrent writers x ${UPDATES} updates; seal and verify pass`, async () => {
    await db.execute("INSERT INTO categories (name, slug) VALUES ('Root', 'root')");
    const values = Array.from({ length: WRITERS }, (_, i) => `('SKU-${i}', 'P${i}', 1, 1.00, 0.50)`).join(
      ', ',
    );
    await db.execute(`INSERT INTO products (sku, name, category_id, price, cost) VALUES ${values}`);
    const before = await count();
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
    expect((await count()) - before).toBe(WRITERS * UPDATES);

    const unsealed = await verifyAudit(db, { batchSize: 777 });
    expect(unsealed).toMatchObject({ ok: true, blocks: 0, unsealed: before + WRITERS * UPDATES });

    const blocks: number[] = [];
    const sealed = await sealAudit(db, { maxRowsPerBlock: 1000, onBlock: (b) => blocks.push(b.rows) });
    const productRows = WRITERS * UPDATES + WRITERS;
    expect(sealed.rows).toBe(productRows + 1);
    expect(sealed.tables).toEqual([
      { table: 'categories', blocks: 1, rows: 1 },
      { table: 'products', blocks: Math.ceil(productRows / 1000), rows: productRows },
    ]);
    expect(blocks.reduce((a, b) => a + b, 0)).toBe(sealed.rows);
    expect(sealed.latest?.sealId).toBe(sealed.blocks);
    expect(await count('seal_id IS NULL')).toBe(0);

    const v = await verifyAudit(db, { batchSize: 777 });
    expect(v).toMatchObject({
      ok: true,
      blocks: sealed.blocks,
      rows: sealed.rows,
      unsealed: 0,
      problem: null,
    });
    expect(v.latestSeal).toEqual(sealed.latest);
    expect((await sealAudit(db)).rows).toBe(0);
  });

  const edits: Array<[string, string]> = [
    ['table_name', "'orders'"],
    ['action', "'DELETE'"],
    ['row_pk', "'999'"],
    ['old_values', "JSON_SET(old_values, '$.reorder_level', 999)"],
    ['new_values', "JSON_SET(new_values, '$.reorder_level', 999)"],
    ['app_user', "'mallory'"],
    ['request_id', "'forged'"],
    ['db_user', "'root@elsewhere'"],
    ['connection_id', 'connection_id + 1'],
    ['changed_at', 'changed_at + INTERVAL 1 MICROSECOND'],
    ['row_hash', "REPEAT('a', 64)"],
  ];
  for (const [column, expr] of edits) {
    it(`detects a root edit of ${column} on a sealed row and names the row`, async () => {
      const { id } = await sealedVictim();
      await tampered(id, async () => {
        await db.execute(`UPDATE audit_log SET ${column} = ${expr} WHERE audit_id = ?`, [id]);
        const r = await verifyAudit(db);
        expect(r.ok).toBe(false);
        expect(r.problem?.auditId).toBe(id);
      });
    });
  }

  it('detects an edit of an unsealed row and names it', async () => {
    await db
      .withContext({ user: 'alice' })
      .execute("UPDATE products SET name = 'Renamed' WHERE sku = 'SKU-0'");
    const [row] = await db.query<{ audit_id: number }>(
      'SELECT audit_id FROM audit_log WHERE seal_id IS NULL',
    );
    const id = Number(row?.audit_id);
    await tampered(id, async () => {
      await db.execute("UPDATE audit_log SET app_user = 'mallory' WHERE audit_id = ?", [id]);
      expect((await verifyAudit(db)).problem).toMatchObject({
        problem: 'content altered',
        auditId: id,
        sealId: null,
      });
    });
    expect((await verifyAudit(db)).unsealed).toBe(1);
  });

  it('names the block when a row is altered and its row_hash recomputed with the formula', async () => {
    const { id, sealId } = await sealedVictim();
    await tampered(id, async () => {
      await db.execute("UPDATE audit_log SET app_user = 'mallory' WHERE audit_id = ?", [id]);
      await db.execute(
        `UPDATE audit_log SET row_hash = ${storedContentHashSql(db.flavor)} WHERE audit_id = ?`,
        [id],
      );
      const r = await verifyAudit(db);
      expect(r.problem).toMatchObject({ problem: 'block altered', sealId, table: 'products' });
      expect(r.problem?.range?.first).toBeLessThanOrEqual(id);
      expect(r.problem?.range?.last).toBeGreaterThanOrEqual(id);
    });
  });

  it('names the block when a sealed row is deleted, or moved to another block', async () => {
    const { id, sealId } = await sealedVictim();
    await tampered(id, async () => {
      await db.execute('DELETE FROM audit_log WHERE audit_id = ?', [id]);
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'rows missing or added', sealId });
    });
    await tampered(id, async () => {
      await db.execute('UPDATE audit_log SET seal_id = seal_id + 1 WHERE audit_id = ?', [id]);
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'rows missing or added', sealId });
    });
    await tampered(id, async () => {
      await db.execute('UPDATE audit_log SET seal_id = 1 WHERE audit_id = ?', [id]);
      // Seal 1 is the categories block: the row is in no block of its own table.
      expect((await verifyAudit(db)).problem).toMatchObject({
        problem: 'row outside its blocks',
        auditId: id,
      });
    });
    await tampered(id, async () => {
      await db.execute('UPDATE audit_log SET seal_id = NULL WHERE audit_id = ?', [id]);
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'rows missing or added', sealId });
    });
  });

  it('detects an edited, a removed and a re-chained seal', async () => {
    await db.execute('CREATE TABLE seal_copy AS SELECT * FROM audit_seal');
    const restore = async () => {
      await db.execute('DELETE FROM audit_seal');
      await db.execute('INSERT INTO audit_seal SELECT * FROM seal_copy');
    };
    try {
      await db.execute('UPDATE audit_seal SET row_count = row_count + 1 WHERE seal_id = 3');
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'seal altered', sealId: 3 });
      await restore();
      await db.execute("UPDATE audit_seal SET sealed_by = 'someone@else' WHERE seal_id = 2");
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'seal altered', sealId: 2 });
      await restore();
      await db.execute('DELETE FROM audit_seal WHERE seal_id = 4');
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'seal chain broken', sealId: 5 });
      await restore();
      await db.execute("UPDATE audit_seal SET prev_hash = REPEAT('0', 64) WHERE seal_id = 2");
      expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'seal chain broken', sealId: 2 });
    } finally {
      await restore();
      await db.execute('DROP TABLE seal_copy');
    }
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('refuses to seal a tampered unsealed row, and seals nothing of its block', async () => {
    const [row] = await db.query<{ audit_id: number }>(
      'SELECT audit_id FROM audit_log WHERE seal_id IS NULL',
    );
    const id = Number(row?.audit_id);
    const seals = async () =>
      Number((await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_seal'))[0]?.n);
    const before = await seals();
    await tampered(id, async () => {
      await db.execute(
        "UPDATE audit_log SET new_values = JSON_SET(new_values, '$.name', 'x') WHERE audit_id = ?",
        [id],
      );
      await expect(sealAudit(db)).rejects.toMatchObject({
        code: 'E_AUDIT_CHAIN',
        message: new RegExp(`audit_id ${id} does not match its content hash`),
      });
      expect(await seals()).toBe(before);
      expect(await count('seal_id IS NULL')).toBe(1);
    });
    expect((await sealAudit(db)).rows).toBe(1);
    expect(await seals()).toBe(before + 1);
  });

  it('seals a row whose transaction commits after a seal in a later block; verify passes', async () => {
    let inserted!: () => void;
    let commit!: () => void;
    const wrote = new Promise<void>((r) => {
      inserted = r;
    });
    const gate = new Promise<void>((r) => {
      commit = r;
    });
    const late = db.withContext({ user: 'slow' }).transaction(async (tx) => {
      await tx.execute("INSERT INTO categories (name, slug) VALUES ('Late', 'late')");
      inserted();
      await gate;
    });
    await wrote;
    await db
      .withContext({ user: 'quick' })
      .execute("INSERT INTO categories (name, slug) VALUES ('Quick', 'quick')");
    const first = await sealAudit(db);
    expect(first.rows).toBe(1);
    commit();
    await late;
    const v1 = await verifyAudit(db);
    expect(v1).toMatchObject({ ok: true, unsealed: 1 });
    const second = await sealAudit(db);
    expect(second.rows).toBe(1);
    const rows = await db.query<{ app_user: string; audit_id: number; seal_id: number }>(
      "SELECT app_user, audit_id, seal_id FROM audit_log WHERE app_user IN ('slow', 'quick')",
    );
    const slow = rows.find((r) => r.app_user === 'slow');
    const quick = rows.find((r) => r.app_user === 'quick');
    // Written first (lower audit_id), sealed later (higher seal_id): membership is seal_id.
    expect(Number(slow?.audit_id)).toBeLessThan(Number(quick?.audit_id));
    expect(Number(slow?.seal_id)).toBeGreaterThan(Number(quick?.seal_id));
    expect(await verifyAudit(db)).toMatchObject({ ok: true, unsealed: 0 });
  });

  it('two concurrent seals never seal a row twice', async () => {
    const names = Array.from({ length: 1500 }, (_, i) => `('C${i}', 'c-${i}')`).join(', ');
    await db.execute(`INSERT INTO categories (name, slug) VALUES ${names}`);
    const results = await Promise.allSettled([
      sealAudit(db, { maxRowsPerBlock: 100 }),
      sealAudit(db, { maxRowsPerBlock: 100 }),
    ]);
    let sealed = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') sealed += r.value.rows;
      else expect(r.reason).toMatchObject({ code: 'E_AUDIT_SEAL_LOCK' });
    }
    expect(sealed).toBe(1500);
    expect(await count('seal_id IS NULL')).toBe(0);
    expect(await verifyAudit(db)).toMatchObject({ ok: true, unsealed: 0 });
  });

  it('fails with E_AUDIT_SEAL_LOCK while another sealer holds the lock past the timeout', async () => {
    const other = new DatabaseManager(t.config());
    let release!: () => void;
    let held!: () => void;
    const holding = new Promise<void>((r) => {
      held = r;
    });
    const done = new Promise<void>((r) => {
      release = r;
    });
    const holder = other.transaction(async (tx) => {
      await tx.query('SELECT GET_LOCK(?, 0)', [sealLockName(t.name)]);
      held();
      await done;
      await tx.query('SELECT RELEASE_LOCK(?)', [sealLockName(t.name)]);
    });
    try {
      await holding;
      await expect(sealAudit(db, { lockTimeoutMs: 300 })).rejects.toMatchObject({
        code: 'E_AUDIT_SEAL_LOCK',
        message: /another audit seal is running/,
      });
    } finally {
      release();
      await holder;
      await other.close();
    }
    expect((await sealAudit(db, { lockTimeoutMs: 300 })).blocks).toBe(0);
  });

  it('detects a rewrite of the whole chain with an anchor kept outside the database', async () => {
    const anchor = (await verifyAudit(db)).latestSeal;
    if (!anchor) throw new Error('no seal');
    expect((await verifyAudit(db, { anchor })).ok).toBe(true);
    const { id } = await sealedVictim();
    // Root edits a row, recomputes its hash, throws the seals away and seals everything again.
    await db.execute("UPDATE audit_log SET app_user = 'mallory' WHERE audit_id = ?", [id]);
    await db.execute(
      `UPDATE audit_log SET row_hash = ${storedContentHashSql(db.flavor)} WHERE audit_id = ?`,
      [id],
    );
    await db.execute('UPDATE audit_log SET seal_id = NULL');
    await db.execute('DELETE FROM audit_seal');
    await sealAudit(db);
    expect((await verifyAudit(db)).ok).toBe(true);
    const r = await verifyAudit(db, { anchor });
    expect(r.problem).toMatchObject({ problem: 'anchor mismatch' });
    const beyond = await verifyAudit(db, { anchor: { sealId: 10_000, sealHash: anchor.sealHash } });
    expect(beyond.problem).toMatchObject({ problem: 'anchor mismatch', sealId: 10_000 });
  });
});
