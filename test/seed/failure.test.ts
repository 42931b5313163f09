/**
 * A load the server refuses half-way must end in a clear SeedError, promptly, with the partial
 * rows removed (not a hang, not half a shop).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedError } from '../../src/errors.js';
import { SEED_TABLES, seed } from '../../src/seed/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createMigratedDatabase('seed_failure');
  // Realistic payments exceed this, so the payments load fails while other loads are running.
  await t.db.execute('ALTER TABLE payments ADD CONSTRAINT ck_test_small_payments CHECK (amount < 500)');
});

afterAll(async () => {
  await t?.drop();
});

describe('seed() when the server refuses rows', () => {
  it('fails with SeedError and leaves every table empty', async () => {
    const err = await seed(t.config(), { customers: 2000, orders: 8000, seed: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SeedError);
    expect((err as SeedError).message).toContain('payments');
    expect((err as SeedError).message).toContain('the rows loaded so far were removed');
    for (const table of SEED_TABLES) {
      const [row] = await t.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      expect(Number(row?.n), table).toBe(0);
    }
  }, 60_000);
});
