/**
 * An interrupted seed (Ctrl-C in the CLI, an AbortSignal in the library) ends promptly with a
 * clear SeedError and leaves the tables as it found them: empty, ready for the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeedError } from '../../src/errors.js';
import { SEED_TABLES, seed } from '../../src/seed/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createMigratedDatabase('seed_interrupt');
});

afterAll(async () => {
  await t?.drop();
});

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of SEED_TABLES) {
    const [row] = await t.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = Number(row?.n);
  }
  return out;
}

describe('seed() with an AbortSignal', () => {
  it('rejects at once when the signal is already aborted, loading nothing', async () => {
    const err = await seed(t.config(), { customers: 50, orders: 100, signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SeedError);
    expect((err as SeedError).message).toContain('seeding was interrupted');
    expect(Object.values(await counts()).every((n) => n === 0)).toBe(true);
  }, 60_000);

  it('stops after rows were loaded, removes them and can run again', async () => {
    const interrupt = new AbortController();
    let loadedBeforeAbort = 0;
    const err = await seed(t.config(), {
      customers: 20_000,
      orders: 60_000,
      seed: 5,
      signal: interrupt.signal,
      onProgress: (e) => {
        // The first load event may come before any row is in (rows 0): wait for one that has rows.
        if (e.phase === 'load' && e.rows > 0 && !interrupt.signal.aborted) {
          loadedBeforeAbort = e.rows;
          interrupt.abort();
        }
      },
    }).catch((e: unknown) => e);
    expect(loadedBeforeAbort).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(SeedError);
    expect((err as SeedError).message).toContain('seeding was interrupted');
    expect((err as SeedError).message).toContain('the rows loaded so far were removed');
    expect(Object.values(await counts()).every((n) => n === 0)).toBe(true);

    const again = await seed(t.config(), { customers: 50, orders: 100, seed: 5 });
    expect(again.rows.customers).toBe(50);
  }, 60_000);
});
