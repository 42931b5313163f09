/**
 * `purgeAudit` deletes only whole sealed blocks past their table's retention, oldest first and in
 * batches, never unsealed rows; the seals stay, so verify still passes and reports the purge, and
 * deletions that are not a purge are still caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAudit, purgeAudit, sealAudit, verifyAudit } from '../../src/audit/index.js';
import type { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('audit_purge');
  db = t.db;
  await applyAudit(db);
  await db.execute(
    "UPDATE audit_config SET retention_days = 30 WHERE table_name IN ('categories', 'customers')",
  );
});
afterAll(async () => {
  await t?.drop();
});

/** Insert `n` categories as if it were `daysAgo` days ago (the session clock moves, so the hashes stay valid). */
async function categoriesAt(daysAgo: number, n: number, prefix: string) {
  await db.transaction(async (tx) => {
    await tx.execute('SET timestamp = UNIX_TIMESTAMP() - ? * 86400', [daysAgo]);
    for (let i = 0; i < n; i++) {
      await tx.execute('INSERT INTO categories (name, slug) VALUES (?, ?)', [
        `${prefix}${i}`,
        `${prefix}-${i}`,
      ]);
    }
    await tx.execute('SET timestamp = DEFAULT');
  });
}

/** Insert `n` customers as if it were `daysAgo` days ago. */
async function customersAt(daysAgo: number, n: number, prefix: string) {
  await db.transaction(async (tx) => {
    await tx.execute('SET timestamp = UNIX_TIMESTAMP() - ? * 86400', [daysAgo]);
    for (let i = 0; i < n; i++) {
      await tx.execute('INSERT INTO customers (email, first_name, last_name) VALUES (?, ?, ?)', [
        `${prefix}${i}@example.com`,
        'F',
        'L',
      ]);
    }
    await tx.execute('SET timestamp = DEFAULT');
  });
}

const count = async (where = '1') =>
  Number(
    (
      await db.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM audit_log WHERE table_name = 'categories' AND ${where}`,
      )
    )[0]?.n,
  );

describe('audit purge', () => {
  it('purges only whole sealed blocks past retention, in batches, and verify reports them', async () => {
    await categoriesAt(90, 25, 'old');
    await sealAudit(db, { maxRowsPerBlock: 10 }); // blocks of 10, 10, 5
    await categoriesAt(40, 10, 'mid');
    await sealAudit(db, { maxRowsPerBlock: 10 }); // 10
    await categoriesAt(40, 3, 'late');
    await categoriesAt(1, 4, 'new');
    await sealAudit(db, { maxRowsPerBlock: 10 }); // 7: 3 expired rows held back by 4 recent ones
    await categoriesAt(90, 2, 'unsealed');
    expect(await count()).toBe(44);

    const dry = await purgeAudit(db, { dryRun: true, batchSize: 4 });
    expect(dry.tables.find((x) => x.table === 'categories')).toMatchObject({ blocks: 4, purged: 35 });
    expect(await count()).toBe(44);

    const done = await purgeAudit(db, { batchSize: 4 });
    // 10 + 10 + 5 + 10 rows in batches of 4: 3 + 3 + 2 + 3 batches.
    expect(done.tables.find((x) => x.table === 'categories')).toMatchObject({
      blocks: 4,
      purged: 35,
      batches: 11,
    });
    expect(await count()).toBe(9);
    // The two unsealed rows are 90 days old and stay: only sealed blocks are purged.
    expect(await count('seal_id IS NULL')).toBe(2);
    const v = await verifyAudit(db);
    expect(v).toMatchObject({ ok: true, purged: { blocks: 4, rows: 35 }, unsealed: 2, rows: 9 });
    const seals = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_seal');
    expect(Number(seals[0]?.n)).toBe(5);

    expect((await purgeAudit(db)).purged).toBe(0);
  });

  it('finishes an interrupted purge on the next run', async () => {
    await customersAt(60, 6, 'again');
    await sealAudit(db);
    const [block] = await db.query<{ seal_id: number }>('SELECT MAX(seal_id) AS seal_id FROM audit_seal');
    const sealId = Number(block?.seal_id);
    // What a purge killed after its first batch of 2 leaves behind.
    await db.transaction(async (tx) => {
      await tx.execute('UPDATE audit_seal SET purged_at = NOW(6) WHERE seal_id = ?', [sealId]);
      await tx.execute('DELETE FROM audit_log WHERE seal_id = ? ORDER BY audit_id LIMIT 2', [sealId]);
      await tx.execute('UPDATE audit_seal SET purged_rows = 2 WHERE seal_id = ?', [sealId]);
    });
    expect((await verifyAudit(db)).ok).toBe(true);
    const r = await purgeAudit(db);
    expect(r.tables.find((x) => x.table === 'customers')).toMatchObject({ blocks: 1, purged: 4 });
    expect(r.purged).toBe(4);
    const v = await verifyAudit(db);
    expect(v).toMatchObject({ ok: true, purged: { blocks: 5, rows: 41 } });
  });

  it('still detects rows deleted by hand, and purge marks out of order', async () => {
    const [kept] = await db.query<{ seal_id: number }>(
      "SELECT seal_id FROM audit_seal WHERE table_name = 'categories' AND purged_at IS NULL ORDER BY seal_id LIMIT 1",
    );
    const keptId = Number(kept?.seal_id);
    await db.execute(
      'CREATE TABLE gone AS SELECT * FROM audit_log WHERE seal_id = ? ORDER BY audit_id LIMIT 1',
      [keptId],
    );
    await db.execute('DELETE FROM audit_log WHERE audit_id = (SELECT audit_id FROM gone)');
    expect((await verifyAudit(db)).problem).toMatchObject({
      problem: 'rows missing or added',
      sealId: keptId,
    });
    await db.execute('INSERT INTO audit_log SELECT * FROM gone');
    await db.execute('DROP TABLE gone');
    expect((await verifyAudit(db)).ok).toBe(true);

    // Hiding the deletion of a newer block behind a forged purge mark, while an older block is kept.
    await categoriesAt(0, 3, 'newest');
    const sealed = await sealAudit(db);
    const newest = Number(sealed.latest?.sealId);
    await db.execute('DELETE FROM audit_log WHERE seal_id = ?', [newest]);
    await db.execute('UPDATE audit_seal SET purged_at = NOW(6), purged_rows = row_count WHERE seal_id = ?', [
      newest,
    ]);
    expect((await verifyAudit(db)).problem).toMatchObject({ problem: 'purge out of order', sealId: newest });
  });
});
