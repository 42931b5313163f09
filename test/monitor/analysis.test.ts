/**
 * The analysis reports against the run's real sandbox, each with the condition it must find made on
 * purpose in this file's own database: a statement run 1,000 times, an unused index, duplicate and
 * redundant indexes, a table without a primary key. Assertions look only at this database, since
 * other test files use the same server at the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import {
  connectionReport,
  indexReport,
  performanceSchemaOn,
  replicationReport,
  runHealthChecks,
  tableReport,
  topQueries,
} from '../../src/monitor/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { createTestDatabase, sandboxConfig, type TestDatabase } from '../support/db.js';
import { closeSessions, monitorConfig, openSessions } from './health-helpers.js';

describe('analysis reports', () => {
  let t: TestDatabase;
  // Set-up runs without a default schema (qualified names), so the digests of this file's schema
  // hold only the statements the tests run in it.
  let admin: DatabaseManager;

  beforeAll(async () => {
    t = await createTestDatabase('analysis');
    admin = new DatabaseManager(sandboxConfig());
    const q = `\`${t.name}\``;
    await admin.execute(
      `CREATE TABLE ${q}.orders (id INT PRIMARY KEY, customer INT NOT NULL, placed DATE NOT NULL, note VARCHAR(20),
         KEY ix_customer (customer), KEY ix_customer_placed (customer, placed), KEY ix_customer_dup (customer, placed),
         KEY ix_note_unused (note))`,
    );
    await admin.execute(`CREATE TABLE ${q}.probe (v INT NOT NULL, w INT NOT NULL)`);
    await admin.execute(
      `CREATE TABLE ${q}.keyless (a INT NOT NULL, b INT NOT NULL, UNIQUE KEY ux_ab (a, b))`,
    );
    const values = Array.from(
      { length: 200 },
      (_, i) => `(${i}, ${i % 17}, '2026-01-01' + INTERVAL ${i} DAY, 'n${i}')`,
    );
    await admin.execute(`INSERT INTO ${q}.orders VALUES ${values.join(', ')}`);
    await admin.execute(
      `INSERT INTO ${q}.probe VALUES ${Array.from({ length: 50 }, (_, i) => `(${i}, ${i})`).join(', ')}`,
    );
  });
  afterAll(async () => {
    await admin.close();
    await t.drop();
  });

  it('runs on a server with performance_schema on (the sandbox)', async () => {
    expect(await performanceSchemaOn(t.db)).toBe(true);
  });

  it('puts a statement run 1,000 times at the top of the query report, with its counters', async () => {
    // The digest table holds a bounded number of (schema, statement) rows and a long test run can
    // fill it, after which new statements are lumped into one row: start from an empty table then.
    const [state] = await admin.query<{ full: number }>(
      `SELECT (SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest)
         >= @@performance_schema_digests_size AS full`,
    );
    if (Number(state?.full) === 1) {
      await admin.execute('TRUNCATE performance_schema.events_statements_summary_by_digest');
    }
    for (let i = 0; i < 1000; i++) {
      await t.db.query('SELECT SUM(w) AS monitor_probe_total FROM probe WHERE v >= ?', [i % 50]);
    }
    const top = await topQueries(t.db, { schemas: [t.name], limit: 5 });
    const first = top[0];
    expect(first?.query).toContain('monitor_probe_total');
    expect(first).toMatchObject({ rank: 1, schema: t.name });
    expect(first?.calls).toBeGreaterThanOrEqual(1000);
    // A scan of a 50-row table without an index, every time.
    expect(first?.fullScans).toBeGreaterThanOrEqual(1000);
    expect(first?.rowsExamined).toBeGreaterThanOrEqual(50 * 1000);
    expect(first?.rowsSent).toBeGreaterThanOrEqual(1000);
    expect(first?.examinedPerSent).toBeGreaterThanOrEqual(50);
    expect(first?.totalPct).toBeGreaterThan(0);
    // MariaDB keeps no latency quantiles; MySQL 8 does.
    if (t.db.flavor.isMariaDB) expect(first?.p95Ms).toBeNull();
    else expect(first?.p95Ms).toBeGreaterThanOrEqual(0);
    expect(top.every((q) => q.schema === t.name)).toBe(true);
    const ranked = top.map((q) => q.totalMs);
    expect(ranked).toEqual([...ranked].sort((a, b) => b - a));
    const cli = await runCliOnSandbox(['monitor', 'queries', '--schema', t.name, '--limit', '3', '--json']);
    expect(cli.code).toBe(0);
    const doc = JSON.parse(cli.stdout);
    expect(doc.queries[0]).toMatchObject({
      rank: 1,
      schema: t.name,
      query: expect.stringContaining('monitor_probe_total'),
    });
    expect(doc.queries[0].calls).toBeGreaterThanOrEqual(1000);
  });

  it('limits the query report, and an unknown schema gives an empty one', async () => {
    const one = await topQueries(t.db, { limit: 1 });
    expect(one).toHaveLength(1);
    const none = await topQueries(t.db, { schemas: ['t_no_such_schema_x'] });
    expect(none).toEqual([]);
  });

  it('lists an index that nothing reads as unused, with the DROP statement, and not the ones in use', async () => {
    await t.db.query('SELECT id FROM orders FORCE INDEX (ix_customer) WHERE customer = 3');
    await t.db.query(
      'SELECT id FROM orders FORCE INDEX (ix_customer_placed) WHERE customer = 3 AND placed > ?',
      ['2026-01-01'],
    );
    const r = await indexReport(t.db, { schemas: [t.name] });
    expect(r.performanceSchema).toBe(true);
    const unused = (r.unused ?? []).filter((u) => u.table === 'orders').map((u) => u.index);
    expect(unused).toContain('ix_note_unused');
    expect(unused).toContain('ix_customer_dup');
    expect(unused).not.toContain('ix_customer');
    expect(unused).not.toContain('ix_customer_placed');
    expect(unused).not.toContain('PRIMARY');
    const noteIx = r.unused?.find((u) => u.index === 'ix_note_unused');
    expect(noteIx?.drop).toBe(`ALTER TABLE \`${t.name}\`.\`orders\` DROP INDEX \`ix_note_unused\`;`);
    // A unique index enforces a rule: listed when unused, never offered for dropping.
    expect(r.unused?.find((u) => u.index === 'ux_ab')).toMatchObject({ unique: true, drop: null });
  });

  it('lists duplicate and redundant indexes with the DROP statement suggested', async () => {
    const r = await indexReport(t.db, { schemas: [t.name] });
    const byIndex = new Map(r.redundant.map((d) => [d.index, d]));
    expect(byIndex.get('ix_customer')).toMatchObject({
      kind: 'redundant',
      columns: ['customer'],
      coveredBy: { index: 'ix_customer_dup' },
      drop: `ALTER TABLE \`${t.name}\`.\`orders\` DROP INDEX \`ix_customer\`;`,
    });
    expect(byIndex.get('ix_customer_placed')).toMatchObject({
      kind: 'duplicate',
      coveredBy: { index: 'ix_customer_dup' },
    });
    expect(byIndex.has('ix_customer_dup')).toBe(false);
    expect(byIndex.has('ix_note_unused')).toBe(false);
  });

  it('lists tables without a primary key, noting a unique NOT NULL index', async () => {
    const r = await indexReport(t.db, { schemas: [t.name] });
    const keyless = r.withoutPrimaryKey.map((x) => [x.table, x.uniqueNotNullIndex]);
    expect(keyless).toEqual([
      ['keyless', 'ux_ab'],
      ['probe', null],
    ]);
    const tables = await tableReport(t.db, { schemas: [t.name] });
    expect(tables.tables.map((x) => [x.table, x.hasPrimaryKey]).sort()).toEqual([
      ['keyless', false],
      ['orders', true],
      ['probe', false],
    ]);
  });

  it('reports table sizes biggest first with totals', async () => {
    await t.db.execute('ANALYZE TABLE orders, probe, keyless');
    const r = await tableReport(t.db, { schemas: [t.name], limit: 2 });
    expect(r.tables).toHaveLength(2);
    expect(r.totals.tables).toBe(3);
    const orders = (await tableReport(t.db, { schemas: [t.name] })).tables.find((x) => x.table === 'orders');
    expect(orders).toMatchObject({ engine: 'InnoDB', schema: t.name, fragmented: false });
    expect(orders?.dataBytes).toBeGreaterThan(0);
    expect(orders?.indexBytes).toBeGreaterThan(0);
    expect(orders?.totalBytes).toBe((orders?.dataBytes ?? 0) + (orders?.indexBytes ?? 0));
    expect(r.tables[0]?.totalBytes).toBeGreaterThanOrEqual(r.tables[1]?.totalBytes ?? 0);
  });

  it('groups connections by user, host and state, including this database', async () => {
    const tcp = await openSessions(2, 'tcp');
    let r: Awaited<ReturnType<typeof connectionReport>>;
    try {
      r = await connectionReport(t.db);
    } finally {
      await closeSessions(tcp);
    }
    // Client ports are cut off, so sessions from one host form one group.
    expect(r.groups.some((g) => g.host === '127.0.0.1' && g.command === 'Sleep' && g.count >= 2)).toBe(true);
    expect(r.byHost.every((h) => !/:\d+$/.test(h.host))).toBe(true);
    expect(r.connected).toBeGreaterThan(0);
    expect(r.maxConnections).toBeGreaterThan(0);
    expect(r.byUser.some((u) => u.user === 'root')).toBe(true);
    expect(r.groups.some((g) => g.db === t.name)).toBe(true);
    expect(r.byState.reduce((n, s) => n + s.count, 0)).toBe(r.groups.reduce((n, g) => n + g.count, 0));
  });

  it('says the sandbox is no replica, with its binary log and GTID position', async () => {
    const r = await replicationReport(t.db);
    expect(r.channels).toEqual([]);
    expect(r.role === 'standalone' || r.role === 'source').toBe(true);
    expect(r.binlog.enabled).toBe(true);
    expect(r.binlog.files).toBeGreaterThan(0);
    expect(r.binlog.format).toBe('ROW');
    expect(r.gtidPosition).toBeTruthy();
    const { config, done } = monitorConfig(t.name);
    try {
      const h = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
      expect(h.checks.some((c) => c.name.startsWith('replication'))).toBe(false);
    } finally {
      done();
    }
  });
});
