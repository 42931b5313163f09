import { describe, expect, it } from 'vitest';
import { cronMatches, cronProblem, nextCronTime, parseCron, Scheduler } from '../../src/etl/index.js';

const next = (expr: string, after: string) => nextCronTime(parseCron(expr), new Date(after))?.toISOString();

describe('cron expressions', () => {
  it('finds the next matching minute, in UTC', () => {
    expect(next('*/15 * * * *', '2026-01-01T10:07:30Z')).toBe('2026-01-01T10:15:00.000Z');
    expect(next('*/15 * * * *', '2026-01-01T10:15:00Z')).toBe('2026-01-01T10:30:00.000Z');
    expect(next('5 * * * *', '2026-01-01T23:59:00Z')).toBe('2026-01-02T00:05:00.000Z');
    expect(next('0 3 * * mon', '2026-01-01T00:00:00Z')).toBe('2026-01-05T03:00:00.000Z');
    expect(next('30 2 1 jan,jul *', '2026-02-01T00:00:00Z')).toBe('2026-07-01T02:30:00.000Z');
    expect(next('0 0 29 2 *', '2026-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 12 * * 7', '2026-01-01T00:00:00Z')).toBe('2026-01-04T12:00:00.000Z');
    expect(next('10-20/5 8-9 * * *', '2026-01-01T08:16:00Z')).toBe('2026-01-01T08:20:00.000Z');
  });

  it('matches a day when either restricted day field matches (classic cron)', () => {
    const s = parseCron('0 0 13 * fri');
    expect(cronMatches(s, new Date('2026-02-13T00:00:00Z'))).toBe(true); // the 13th
    expect(cronMatches(s, new Date('2026-01-02T00:00:00Z'))).toBe(true); // a Friday
    expect(cronMatches(s, new Date('2026-01-03T00:00:00Z'))).toBe(false);
  });

  it('never fires for impossible dates', () => {
    expect(next('0 0 31 2 *', '2026-01-01T00:00:00Z')).toBeUndefined();
  });

  it('names the bad field', () => {
    expect(cronProblem('* * * *')).toMatch(/expected 5 fields/);
    expect(cronProblem('60 * * * *')).toMatch(/minute field "60" is invalid: must be from 0 to 59/);
    expect(cronProblem('* 5-2 * * *')).toMatch(/hour field "5-2" is invalid: range 5-2 runs backwards/);
    expect(cronProblem('*/0 * * * *')).toMatch(/step must be a positive number/);
    expect(cronProblem('* * * foo *')).toMatch(/month field "foo"/);
    expect(cronProblem('*/5 * * * *')).toBeNull();
  });
});

describe('Scheduler', () => {
  it('refuses an invalid expression with E_SCHEDULE', () => {
    expect(() => new Scheduler([{ name: 'x', cron: 'nope', run: async () => {} }])).toThrow(
      expect.objectContaining({ code: 'E_SCHEDULE', exitCode: 2 }),
    );
  });

  it('reports the next runs and skips a run while the previous one is still going', async () => {
    const events: string[] = [];
    let release = () => {};
    const s = new Scheduler(
      [{ name: 'slow', cron: '*/5 * * * *', run: () => new Promise<void>((r) => (release = r)) }],
      { now: () => Date.parse('2026-01-01T10:01:00Z'), onEvent: (e) => events.push(`${e.type}:${e.job}`) },
    );
    expect(s.nextRuns()[0]?.at?.toISOString()).toBe('2026-01-01T10:05:00.000Z');
    const first = s.trigger('slow');
    await s.trigger('slow').catch(() => undefined);
    expect(events).toEqual(['started:slow', 'skipped:slow']);
    release();
    await first;
    expect(events).toEqual(['started:slow', 'skipped:slow', 'finished:slow']);
    await s.stop();
  });
});

describe('the etl config section', () => {
  it('merges a partial schedule from the file over the defaults and rejects bad expressions', async () => {
    const { load, tempDir, write } = await import('../config/helpers.js');
    const cwd = tempDir();
    write(
      cwd,
      'mysqlops.config.yaml',
      'etl:\n  batchSize: 100\n  schedule:\n    daily_sales_summary: "0 * * * *"\n    customer_cohort_analysis: null\n',
    );
    const config = load(cwd);
    expect(config.etl).toEqual({
      batchSize: 100,
      schedule: {
        customer_order_summary: '*/15 * * * *',
        product_performance_summary: '*/15 * * * *',
        daily_sales_summary: '0 * * * *',
        customer_cohort_analysis: null,
      },
    });
    write(cwd, 'mysqlops.config.yaml', 'etl:\n  schedule:\n    daily_sales_summary: "61 * * * *"\n');
    expect(() => load(cwd)).toThrow(
      /etl\.schedule\.daily_sales_summary: invalid cron expression: minute field "61"/,
    );
  });
});
