/**
 * `purgeAudit` removes only rows past their table's retention, oldest first and in batches, and
 * leaves a chain that still verifies (the purge checkpoint in the chain head).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAudit, purgeAudit, verifyAudit } from '../../src/audit/index.js';
import type { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('audit_purge');
  db = t.db;
  await applyAudit(db);
  await db.execute("UPDATE audit_config SET retention_days = 30 WHERE table_name = 'categories'");
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

const count = async () =>
  Number(
    (await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE table_name = 'categories'"))[0]
      ?.n,
  );

describe('audit purge', () => {
  it('removes only expired rows, in batches, and verify still passes', async () => {
    await categoriesAt(90, 25, 'old');
    await categoriesAt(40, 10, 'mid');
    await categoriesAt(1, 7, 'new');
    expect(await count()).toBe(42);

    const dry = await purgeAudit(db, { dryRun: true, batchSize: 10 });
    expect(dry.tables.find((x) => x.table === 'categories')?.purged).toBe(35);
    expect(await count()).toBe(42);

    const done = await purgeAudit(db, { batchSize: 10 });
    expect(done.tables.find((x) => x.table === 'categories')).toMatchObject({ purged: 35, batches: 4 });
    expect(await count()).toBe(7);
    const v = await verifyAudit(db);
    expect(v.ok).toBe(true);
    expect(v.tables.find((x) => x.table === 'categories')?.rows).toBe(7);

    expect((await purgeAudit(db)).purged).toBe(0);
  });

  it('still detects removal of the oldest remaining row after a purge', async () => {
    await db.execute("DELETE FROM audit_log WHERE table_name = 'categories' ORDER BY chain_seq LIMIT 1");
    const v = await verifyAudit(db);
    expect(v.broken).toMatchObject({ table: 'categories', problem: 'sequence gap' });
  });
});
