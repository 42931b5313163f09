/**
 * Two runs at once, and transient failures: one run proceeds while the other is refused; a batch
 * that loses its connection is run again.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/db/index.js';
import { MysqlopsError } from '../../src/errors.js';
import { etlLockName, retryTransient, runEtl } from '../../src/etl/index.js';
import type { TestDatabase } from '../support/db.js';
import { seededDatabase } from './helpers.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await seededDatabase('etl_lock');
  await runEtl(t.config());
});
afterAll(async () => {
  await t?.drop();
});

async function until(check: () => Promise<boolean>, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('concurrent runs', () => {
  it('lets the first run proceed and refuses the second with E_ETL_LOCKED', async () => {
    const target = resolveTarget(t.config().connection, t.config().sandbox, true);
    const blocker = await mysql.createConnection(target.options);
    try {
      // Hold the pipeline's state row so the first run waits inside its work, holding its lock.
      await blocker.query('START TRANSACTION');
      await blocker.query("SELECT * FROM etl_state WHERE pipeline = 'customer_order_summary' FOR UPDATE");
      const first = runEtl(t.config(), { pipelines: ['customer_order_summary'], full: true });
      await until(async () => {
        const [rows] = await blocker.query('SELECT IS_USED_LOCK(?) AS holder', [
          etlLockName(t.name, 'customer_order_summary'),
        ]);
        return (rows as Array<{ holder: number | null }>)[0]?.holder != null;
      });
      await expect(runEtl(t.config(), { pipelines: ['customer_order_summary'] })).rejects.toMatchObject({
        code: 'E_ETL_LOCKED',
        exitCode: 1,
        message: expect.stringContaining('another ETL run of customer_order_summary is in progress'),
      });
      await blocker.query('COMMIT');
      const r = await first;
      expect(r.pipelines[0]?.status).toBe('success');
    } finally {
      await blocker.end();
    }
  });

  it('runs two different pipelines side by side', async () => {
    const [a, b] = await Promise.all([
      runEtl(t.config(), { pipelines: ['daily_sales_summary'], full: true }),
      runEtl(t.config(), { pipelines: ['customer_cohort_analysis'], full: true }),
    ]);
    expect([a.pipelines[0]?.status, b.pipelines[0]?.status]).toEqual(['success', 'success']);
  });
});

describe('transient failures', () => {
  it('runs a batch again after a lost connection, with backoff, up to maxRetries', async () => {
    let calls = 0;
    const lost = () => new MysqlopsError({ code: 'E_CONNECTION_LOST', message: 'connection lost' });
    const value = await retryTransient({ baseDelayMs: 1 }, async () => {
      calls++;
      if (calls < 3) throw lost();
      return 'done';
    });
    expect([value, calls]).toEqual(['done', 3]);
    calls = 0;
    await expect(
      retryTransient({ baseDelayMs: 1, maxRetries: 2 }, async () => {
        calls++;
        throw lost();
      }),
    ).rejects.toMatchObject({ code: 'E_CONNECTION_LOST' });
    expect(calls).toBe(3);
  });

  it('does not retry a real error', async () => {
    let calls = 0;
    await expect(
      retryTransient({ baseDelayMs: 1 }, async () => {
        calls++;
        throw new MysqlopsError({ code: 'E_QUERY', message: 'syntax' });
      }),
    ).rejects.toMatchObject({ code: 'E_QUERY' });
    expect(calls).toBe(1);
  });
});
