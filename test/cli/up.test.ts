/**
 * `mysqlops up`, the main job, on the test sandbox: an empty database is created, migrated and
 * seeded; running it again changes nothing; a database that holds data is never seeded over.
 */
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DatabaseManager, quoteId } from '../../src/db/index.js';
import { runCli, runCliOnSandbox } from '../support/cli.js';
import { sandboxConfig, sandboxEndpoint } from '../support/db.js';

const name = `t_up_${process.pid}`;
const admin = new DatabaseManager(sandboxConfig());

afterAll(async () => {
  await admin.execute(`DROP DATABASE IF EXISTS ${quoteId(name)}`);
  await admin.close();
});

async function count(table: string): Promise<number> {
  const [row] = await admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteId(`${name}.${table}`)}`);
  return Number(row?.n);
}

describe('mysqlops up', () => {
  it('creates, migrates and seeds an empty database, then is a no-op', async () => {
    const first = await runCliOnSandbox(['up', '--no-serve', '--json'], { DB_NAME: name });
    expect(first.stderr).not.toMatch(/error/);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(report.ok).toBe(true);
    expect(report.migrations.created).toBe(true);
    expect(report.migrations.applied.map((a: { script: string }) => a.script)).toEqual([
      'V0001__core_normalized.sql',
      'V0002__reporting_schema.sql',
      'V0003__audit.sql',
      'V0005__etl.sql',
      'R__analytics_views.sql',
      'R__database_health_dashboard.mariadb.sql',
      'R__etl_capture.sql',
      'R__order_procedures.sql',
      'R__session_functions.mariadb.sql',
    ]);
    expect(report.seed.customers).toBe(1000);
    expect(await count('customers')).toBe(1000);
    expect(await count('orders')).toBe(3000);
    // The ETL ran after seeding: every report built in full and holding rows.
    expect(
      report.etl.pipelines.map((p: { mode: string; status: string }) => `${p.mode}/${p.status}`),
    ).toEqual(['full/success', 'full/success', 'full/success', 'full/success']);
    expect(await count('customer_order_summary')).toBeGreaterThan(0);
    expect(await count('customer_cohort_analysis')).toBeGreaterThan(0);
    // Every audit row written so far (seed + ETL) is sealed, and the trail verifies.
    expect(report.sealed.rows).toBeGreaterThan(0);
    expect(report.sealed.rows).toBe(await count('audit_log'));
    const verified = await runCliOnSandbox(['audit', 'verify', '--json'], { DB_NAME: name });
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, unsealed: 0 });
    const [{ Checksum: before } = { Checksum: 0 }] = await admin.query<{ Checksum: number }>(
      `CHECKSUM TABLE ${quoteId(`${name}.orders`)}`,
    );
    const history = await count('mysqlops_schema_history');

    const second = await runCliOnSandbox(['up', '--no-serve', '--json'], { DB_NAME: name });
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.migrations).toEqual({ database: name, created: false, applied: [] });
    expect(again.seed).toBeNull();
    expect(again.sealed.rows).toBe(0);
    expect(
      again.etl.pipelines.every(
        (p: { mode: string; rowsWritten: number }) => p.mode === 'incremental' && p.rowsWritten === 0,
      ),
    ).toBe(true);
    expect(await count('mysqlops_schema_history')).toBe(history);
    expect(await count('customers')).toBe(1000);
    const [{ Checksum: after } = { Checksum: 1 }] = await admin.query<{ Checksum: number }>(
      `CHECKSUM TABLE ${quoteId(`${name}.orders`)}`,
    );
    expect(after).toBe(before);
  });

  it('says in words what it skipped', async () => {
    const r = await runCliOnSandbox(['up', '--no-serve'], { DB_NAME: name });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`schema: ${name} up to date`);
    expect(r.stdout).toContain('sample data: skipped');
    expect(r.stdout).toMatch(/reports: customer_order_summary \(incremental\).* up to date/);
    expect(r.stderr).toContain('not seeding: categories, products, customers');
  });

  it('never loads sample data into a staging or production server, even an empty one', async () => {
    const sb = sandboxEndpoint();
    const { home, name: sandboxName } = inject('sandbox');
    const staging = `${name}_staging`;
    try {
      const r = await runCli(['up', '--no-serve'], {
        MYSQLOPS_ENV: 'staging',
        DB_SOCKET: sb.socket,
        DB_USER: 'root',
        DB_PASSWORD_FILE: path.join(home, 'sandbox', sandboxName, 'root.password'),
        DB_SSL_MODE: 'disabled',
        DB_NAME: staging,
      });
      expect(r.stderr).toContain(
        'not seeding: sample data is loaded only on the sandbox or in development/test',
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('sample data: skipped');
      const [row] = await admin.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM ${quoteId(`${staging}.customers`)}`,
      );
      expect(Number(row?.n)).toBe(0);
    } finally {
      await admin.execute(`DROP DATABASE IF EXISTS ${quoteId(staging)}`);
    }
  });
});
