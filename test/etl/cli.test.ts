/**
 * `mysqlops etl` as users meet it: exit codes, the lock message, verify differences, --json.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/db/index.js';
import { etlLockName } from '../../src/etl/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { seededDatabase } from './helpers.js';

let t: TestDatabase;
const env = () => ({ DB_NAME: t.name });

beforeAll(async () => {
  t = await seededDatabase('etl_cli');
});
afterAll(async () => {
  await t?.drop();
});

describe('mysqlops etl', () => {
  it('runs every pipeline and prints one JSON document with --json', async () => {
    const r = await runCliOnSandbox(['etl', 'run', '--json'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.pipelines).toHaveLength(4);
    const s = await runCliOnSandbox(['etl', 'status', '--json'], env());
    expect(s.code).toBe(0);
    const status = JSON.parse(s.stdout);
    expect(status.runs).toHaveLength(4);
    expect(status.pipelines.every((p: { built: boolean }) => p.built)).toBe(true);
  });

  it('refuses an unknown pipeline with exit 2', async () => {
    const r = await runCliOnSandbox(['etl', 'run', 'customer_order_summary', 'nope'], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown ETL pipeline: nope');
  });

  it('exits 1 with a clear message while another run holds the pipeline', async () => {
    const target = resolveTarget(t.config().connection, t.config().sandbox, true);
    const other = await mysql.createConnection(target.options);
    try {
      await other.query('SELECT GET_LOCK(?, 0)', [etlLockName(t.name, 'daily_sales_summary')]);
      const r = await runCliOnSandbox(['etl', 'run', 'daily_sales_summary'], env());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/another ETL run of daily_sales_summary is in progress/);
      const free = await runCliOnSandbox(['etl', 'run', 'customer_order_summary'], env());
      expect(free.code).toBe(0);
    } finally {
      await other.end();
    }
    expect((await runCliOnSandbox(['etl', 'run', 'daily_sales_summary'], env())).code).toBe(0);
  });

  it('verify passes on fresh reports and exits 1 listing differences after tampering', async () => {
    await runCliOnSandbox(['etl', 'run'], env());
    const ok = await runCliOnSandbox(['etl', 'verify'], env());
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('every report matches');
    await t.db.execute(
      'UPDATE customer_order_summary SET total_spent = total_spent + 1 ORDER BY customer_id LIMIT 1',
    );
    await t.db.execute('DELETE FROM daily_sales_summary ORDER BY sales_date LIMIT 1');
    const bad = await runCliOnSandbox(['etl', 'verify'], env());
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /customer_order_summary different \{"customer_id":\d+\} total_spent: expected/,
    );
    expect(bad.stdout).toMatch(/daily_sales_summary missing/);
    expect(bad.stderr).toContain('etl verify found differences');
    await runCliOnSandbox(['etl', 'run', '--full'], env());
    expect((await runCliOnSandbox(['etl', 'verify'], env())).code).toBe(0);
  });
});
