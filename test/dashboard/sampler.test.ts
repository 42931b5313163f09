/**
 * The status sampler behind the live charts, against the real server: samples, the ring buffer's
 * bound, the QPS it derives, failures kept as an error (and sampling carrying on), and stop().
 * Timers are faked (setTimeout only) so "no further sample after stop" is checked without waiting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StatusSampler } from '../../src/dashboard/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import { sandboxConfig } from '../support/db.js';
import { eventually } from './helpers.js';

let db: DatabaseManager;

beforeAll(async () => {
  db = new DatabaseManager(sandboxConfig());
  await db.initialize();
});

afterAll(async () => {
  await db?.close();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Run the pending sample timer (fake clock) and wait until the sample it starts has landed. */
async function nextSample(sampler: StatusSampler, count: number): Promise<void> {
  vi.runOnlyPendingTimers();
  await eventually(
    async () => (sampler.snapshot().samples.length >= count ? true : undefined),
    `sample ${count}`,
  );
}

describe('StatusSampler', () => {
  it('samples at once, derives QPS from the Questions delta, and keeps at most `capacity` samples', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const sampler = new StatusSampler(db, { intervalMs: 1000, capacity: 3 });
    sampler.start();
    await eventually(
      async () => (sampler.snapshot().samples.length === 1 ? true : undefined),
      'first sample',
    );
    const first = sampler.snapshot();
    expect(first.samples[0]?.qps).toBeNull();
    expect(first.maxConnections).toBeGreaterThan(0);
    expect(first.intervalMs).toBe(1000);

    // Statements between two samples show up in the rate (the fake clock moved exactly 1 s).
    for (let i = 0; i < 20; i++) await db.query('SELECT 1');
    await nextSample(sampler, 2);
    const second = sampler.snapshot().samples[1];
    expect(second?.qps).toBeGreaterThanOrEqual(20);
    expect(second?.connections).toBeGreaterThanOrEqual(1);
    expect(second?.threadsRunning).toBeGreaterThanOrEqual(1);

    await nextSample(sampler, 3);
    const beforeWrap = sampler.snapshot().samples.map((s) => s.at);
    vi.runOnlyPendingTimers();
    await eventually(
      async () => (sampler.snapshot().samples[2]?.at !== beforeWrap[2] ? true : undefined),
      'fourth sample',
    );
    const wrapped = sampler.snapshot().samples;
    expect(wrapped).toHaveLength(3);
    expect(wrapped[0]?.at).toBe(beforeWrap[1]);

    await sampler.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.runAllTimers();
    expect(sampler.snapshot().samples).toEqual(wrapped);
  });

  it('records a failure as the error, reports it, and carries on sampling', async () => {
    const broken = new DatabaseManager(sandboxConfig());
    await broken.close();
    const errors: unknown[] = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const sampler = new StatusSampler(broken, { intervalMs: 1000, onError: (e) => errors.push(e) });
    sampler.start();
    const snap = await eventually(async () => sampler.snapshot().error ?? undefined, 'an error');
    expect(snap.code).toBe('E_POOL_CLOSED');
    expect(errors).toHaveLength(1);
    expect(sampler.snapshot().samples).toHaveLength(0);
    // Still scheduled: a server that comes back fills the chart again.
    expect(vi.getTimerCount()).toBe(1);
    vi.runOnlyPendingTimers();
    await eventually(async () => (errors.length === 2 ? true : undefined), 'a second attempt');
    await sampler.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
