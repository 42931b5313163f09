/**
 * `etlJobs(config)`: the scheduled jobs `mysqlops serve` hosts, one per scheduled pipeline, each
 * a real incremental run of that pipeline.
 */
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { MysqlopsConfig } from '../../src/config/index.js';
import { type EtlJobsConfig, etlJobs } from '../../src/etl/index.js';
import type { TestDatabase } from '../support/db.js';
import { seededDatabase } from './helpers.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await seededDatabase('etl_jobs');
});
afterAll(async () => {
  await t?.drop();
});

describe('etlJobs', () => {
  it('takes the configuration `serve` has loaded', () => {
    // A compile-time check (the type checker runs over test/): MysqlopsConfig fits.
    expectTypeOf<MysqlopsConfig>().toMatchTypeOf<EtlJobsConfig>();
  });

  it('makes one job per scheduled pipeline with its cron expression, leaving out null ones', () => {
    const jobs = etlJobs({
      ...t.config(),
      etl: {
        batchSize: 50,
        schedule: {
          customer_order_summary: '*/15 * * * *',
          product_performance_summary: null,
          daily_sales_summary: '0 * * * *',
          customer_cohort_analysis: '5 1 * * *',
        },
      },
    });
    expect(jobs.map((j) => [j.name, j.cron])).toEqual([
      ['etl:customer_order_summary', '*/15 * * * *'],
      ['etl:daily_sales_summary', '0 * * * *'],
      ['etl:customer_cohort_analysis', '5 1 * * *'],
    ]);
  });

  it('runs its own pipeline only: a full build first, incremental afterwards', async () => {
    const [job] = etlJobs({
      ...t.config(),
      etl: { batchSize: 50, schedule: { daily_sales_summary: '0 * * * *' } },
    });
    expect(job?.name).toBe('etl:daily_sales_summary');
    const first = (await job?.run()) as {
      pipelines: Array<{ pipeline: string; mode: string; status: string }>;
    };
    expect(first.pipelines.map((p) => [p.pipeline, p.mode, p.status])).toEqual([
      ['daily_sales_summary', 'full', 'success'],
    ]);
    const again = (await job?.run()) as { pipelines: Array<{ mode: string }> };
    expect(again.pipelines.map((p) => p.mode)).toEqual(['incremental']);
    const [other] = await t.db.query<{ built: number }>(
      "SELECT built FROM etl_state WHERE pipeline = 'customer_order_summary'",
    );
    expect(Number(other?.built)).toBe(0);
  });
});
