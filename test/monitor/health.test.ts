/**
 * Health checks against the run's real sandbox: the report's shape, and forced conditions (too many
 * connections, a transaction held open, a stale ETL, an unsealed audit row, no backup, an
 * unreachable server) turning the matching check to warning or critical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFull, backupSettings, recordVerification, verifyBackup } from '../../src/backup/index.js';
import type { MysqlopsConfig } from '../../src/config/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import { connectionReport, type HealthReport, runHealthChecks } from '../../src/monitor/index.js';
import { createTestDatabase, sandboxConfig, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/net.js';
import { createMigratedDatabase } from '../support/schema.js';
import { closeSessions, monitorConfig, openSessions, pollUntil } from './health-helpers.js';

const check = (r: HealthReport, name: string) => {
  const c = r.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no ${name} check in ${r.checks.map((x) => x.name).join(', ')}`);
  return c;
};

describe('health checks on a plain database', () => {
  let t: TestDatabase;
  let config: MysqlopsConfig;
  let done: () => void;

  beforeAll(async () => {
    t = await createTestDatabase('health');
    ({ config, done } = monitorConfig(t.name));
  });
  afterAll(async () => {
    await t.drop();
    done();
  });

  it('reports every check with a status, value, threshold and hint, and the worst status overall', async () => {
    const r = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(Date.parse(r.at)).not.toBeNaN();
    const names = r.checks.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of [
      'server',
      'connections',
      'threads_running',
      'aborted_connects',
      'row_lock_waits',
      'deadlocks',
      'buffer_pool_hit_ratio',
      'buffer_pool_free',
      'long_transactions',
      'tmp_disk_tables',
      'table_open_cache',
      'binlog_space',
      'disk_space',
      'backup_freshness',
      'etl_freshness',
      'audit_chain',
    ]) {
      expect(names).toContain(name);
    }
    // The sandbox is a standalone server: no replication checks.
    expect(names.filter((n) => n.startsWith('replication'))).toEqual([]);
    for (const c of r.checks) {
      expect(['ok', 'warning', 'critical', 'unknown']).toContain(c.status);
      expect(typeof c.title).toBe('string');
      expect(c.hint.length).toBeGreaterThan(0);
    }
    const rank = { ok: 0, unknown: 1, warning: 2, critical: 3 } as const;
    expect(rank[r.status]).toBe(Math.max(...r.checks.map((c) => rank[c.status])));
    expect(check(r, 'server').value).toBeGreaterThan(0);
    expect(check(r, 'connections').threshold).toBe('>= 80% warning, >= 95% critical');
    // The sandbox runs on this machine, so its data directory can be measured.
    expect(check(r, 'disk_space').status).not.toBe('unknown');
    expect(check(r, 'binlog_space').status).toBe('ok');
  });

  it('says the ETL and audit checks are unknown before the schema is migrated', async () => {
    const r = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(r, 'etl_freshness')).toMatchObject({
      status: 'unknown',
      hint: expect.stringContaining('etl_runs'),
    });
    expect(check(r, 'audit_chain')).toMatchObject({
      status: 'unknown',
      hint: expect.stringContaining('migrate'),
    });
  });

  it('goes critical when a level is crossed (threads running: this check is one of them)', async () => {
    const r = await runHealthChecks(t.db, config, {
      sampleIntervalMs: 0,
      thresholds: { threadsRunning: { warning: 1, critical: 1 } },
    });
    expect(check(r, 'threads_running').status).toBe('critical');
    expect(r.status).toBe('critical');
  });

  it('reports a missing backup as the configured missingBackup status', async () => {
    const r = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(r, 'backup_freshness')).toMatchObject({
      status: 'warning',
      value: null,
      hint: expect.stringContaining('no full backup'),
    });
    const strict = { ...config, health: { ...config.health, missingBackup: 'critical' as const } };
    const r2 = await runHealthChecks(t.db, strict, { sampleIntervalMs: 0 });
    expect(check(r2, 'backup_freshness').status).toBe('critical');
  });

  it('flags connections near max_connections, and the connection report shows it', async () => {
    const [{ Value: max } = { Value: '0' }] = await t.db.query<{ Value: string }>(
      "SHOW GLOBAL VARIABLES LIKE 'max_connections'",
    );
    // 40 sessions of ours, and a warning level below what they alone use: the server is shared with
    // test files running in parallel, so max_connections itself is left alone.
    const sessions = await openSessions(40);
    try {
      const ours = (100 * 40) / Number(max);
      const warning = Math.max(1, Math.floor(ours / 2));
      const r = await runHealthChecks(t.db, config, {
        sampleIntervalMs: 0,
        thresholds: { connectionsPct: { warning, critical: 100 } },
      });
      const report = await connectionReport(t.db);
      const c = check(r, 'connections');
      expect(c.status).toBe('warning');
      expect(c.value).toBeGreaterThanOrEqual(ours);
      expect(c.hint).toContain(`of ${Number(max)} connections`);
      expect(c.hint).toContain('raise max_connections');
      expect(report.maxConnections).toBe(Number(max));
      expect(report.usedPct).toBeGreaterThanOrEqual(ours);
      expect(report.byUser.find((u) => u.user === 'root')?.count).toBeGreaterThanOrEqual(41);
    } finally {
      await closeSessions(sessions);
    }
  });

  it('flags a transaction held open, naming its thread, and the connection report lists it', async () => {
    await t.db.execute('CREATE TABLE held (id INT PRIMARY KEY, v INT)');
    await t.db.execute('INSERT INTO held VALUES (1, 0)');
    const holder = new DatabaseManager(t.config({ pool: { size: 1 } }));
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let threadId = 0;
    let begun!: () => void;
    const started = new Promise<void>((resolve) => {
      begun = resolve;
    });
    const held = holder.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>('SELECT CONNECTION_ID() AS id');
      threadId = Number(row?.id);
      await tx.execute('UPDATE held SET v = v + 1 WHERE id = 1');
      begun();
      await released;
    });
    try {
      await started;
      const r = await pollUntil(
        () =>
          runHealthChecks(t.db, config, {
            sampleIntervalMs: 0,
            thresholds: { longTransactionSeconds: { warning: 1, critical: 3600 } },
          }),
        (x) => check(x, 'long_transactions').status === 'warning',
      );
      const c = check(r, 'long_transactions');
      expect(c.status).toBe('warning');
      // The check names the oldest open transaction on the server, which test files running in
      // parallel may hold: ours or an older one.
      expect(c.hint).toMatch(/thread \d+ has held a transaction open/);
      expect(Number(c.value)).toBeGreaterThanOrEqual(1);
      const report = await connectionReport(t.db);
      const trx = report.transactions.find((x) => x.threadId === threadId);
      expect(trx).toMatchObject({ user: 'root', rowsModified: 1, query: null });
    } finally {
      release();
      await held;
      await holder.close();
    }
    // INNODB_TRX is served from a cache the server refreshes every 0.1 s: poll, do not expect at once.
    const gone = await pollUntil(
      () => connectionReport(t.db),
      (x) => !x.transactions.some((trx) => trx.threadId === threadId),
    );
    expect(gone.transactions.find((x) => x.threadId === threadId)).toBeUndefined();
  });

  it('counts a deadlock since the previous run on the same manager as a rate', async () => {
    await t.db.execute('CREATE TABLE dl (id INT PRIMARY KEY, v INT)');
    await t.db.execute('INSERT INTO dl VALUES (1, 0), (2, 0)');
    // The first run leaves its counter sample behind; the next run measures from it.
    await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    const a = new DatabaseManager(t.config({ pool: { size: 1 }, transactions: { maxRetries: 0 } }));
    const b = new DatabaseManager(t.config({ pool: { size: 1 }, transactions: { maxRetries: 0 } }));
    let bothLocked!: () => void;
    let locks = 0;
    const ready = new Promise<void>((resolve) => {
      bothLocked = resolve;
    });
    const lockThenCross = (db: DatabaseManager, first: number, second: number) =>
      db.transaction(async (tx) => {
        await tx.execute('UPDATE dl SET v = v + 1 WHERE id = ?', [first]);
        if (++locks === 2) bothLocked();
        await ready;
        await tx.execute('UPDATE dl SET v = v + 1 WHERE id = ?', [second]);
      });
    try {
      const outcomes = await Promise.allSettled([lockThenCross(a, 1, 2), lockThenCross(b, 2, 1)]);
      // One of the two is the deadlock victim.
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
    }
    const r = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    const deadlocks = check(r, 'deadlocks');
    expect(deadlocks.status).not.toBe('ok');
    expect(Number(deadlocks.value)).toBeGreaterThan(0);
    expect(deadlocks.hint).toMatch(/deadlock victims/);
    expect(Number(check(r, 'row_lock_waits').value)).toBeGreaterThan(0);
  });

  it('ages the newest verified full backup, and ignores unverified ones', async () => {
    const settings = backupSettings(config, { threads: 1 });
    const backup = await backupFull(t.config(), settings, { databases: [t.name], threads: 1 });
    const unverified = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(unverified, 'backup_freshness')).toMatchObject({
      status: 'warning',
      hint: expect.stringContaining('none verified'),
    });
    const verify = await verifyBackup(settings, backup.id);
    expect(verify.ok).toBe(true);
    await recordVerification(backup.dir, false);
    const fresh = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(fresh, 'backup_freshness')).toMatchObject({
      status: 'ok',
      hint: expect.stringContaining(backup.id),
    });
    expect(Number(check(fresh, 'backup_freshness').value)).toBeLessThan(1);
    const hours = (h: number) => () => Date.now() + h * 3_600_000;
    const dayLater = await runHealthChecks(t.db, config, { sampleIntervalMs: 0, now: hours(30) });
    expect(check(dayLater, 'backup_freshness').status).toBe('warning');
    const twoDaysLater = await runHealthChecks(t.db, config, { sampleIntervalMs: 0, now: hours(60) });
    expect(check(twoDaysLater, 'backup_freshness').status).toBe('critical');
  });

  it('reports an unreachable server as a critical check instead of throwing', async () => {
    const port = await freePort();
    const gone = new DatabaseManager(
      sandboxConfig({
        usesSandbox: false,
        connection: { host: '127.0.0.1', port, user: 'root', connectTimeoutMs: 2000 },
      }),
    );
    try {
      const r = await runHealthChecks(gone, config, { sampleIntervalMs: 0 });
      expect(r.status).toBe('critical');
      expect(check(r, 'server')).toMatchObject({ status: 'critical', value: null });
      expect(check(r, 'server').hint).toContain(String(port));
      // What does not need the server is still reported.
      expect(check(r, 'backup_freshness').hint).not.toMatch(/not measured/);
    } finally {
      await gone.close();
    }
  });
});

describe('health checks of the ETL and the audit trail', () => {
  let t: TestDatabase;
  let config: MysqlopsConfig;
  let done: () => void;

  beforeAll(async () => {
    t = await createMigratedDatabase('health_ops');
    ({ config, done } = monitorConfig(t.name));
  });
  afterAll(async () => {
    await t.drop();
    done();
  });

  it('warns before the ETL has ever run, and goes critical when the last success is too old', async () => {
    const r = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(r, 'etl_freshness')).toMatchObject({
      status: 'warning',
      hint: expect.stringContaining('never'),
    });
    for (const [i, p] of [
      'customer_order_summary',
      'product_performance_summary',
      'daily_sales_summary',
      'customer_cohort_analysis',
    ].entries()) {
      await t.db.execute(
        `INSERT INTO etl_runs (pipeline, mode, status, started_at, finished_at)
         VALUES (?, 'incremental', 'success', NOW() - INTERVAL ? MINUTE, NOW() - INTERVAL ? MINUTE)`,
        [p, i === 2 ? 600 : 5, i === 2 ? 599 : 4],
      );
    }
    const stale = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(stale, 'etl_freshness')).toMatchObject({
      status: 'critical',
      hint: expect.stringContaining('daily_sales_summary'),
    });
    expect(check(stale, 'etl_freshness').value).toBeGreaterThanOrEqual(599);
    await t.db.execute(
      `INSERT INTO etl_runs (pipeline, mode, status, started_at, finished_at)
       VALUES ('daily_sales_summary', 'incremental', 'success', NOW(), NOW())`,
    );
    const fresh = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(fresh, 'etl_freshness').status).toBe('ok');
  });

  it('counts unsealed audit rows and warns when the oldest has waited too long', async () => {
    const r = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    expect(check(r, 'audit_chain').status).toBe('ok');
    await t.db.execute(
      `INSERT INTO audit_log (table_name, row_pk, action, new_values, db_user, connection_id, changed_at, row_hash)
       VALUES ('customers', '1', 'INSERT', JSON_OBJECT('id', 1), 'test', 1, NOW(6) - INTERVAL 30 HOUR, REPEAT('0', 64))`,
    );
    const late = await runHealthChecks(t.db, config, { sampleIntervalMs: 0 });
    const c = check(late, 'audit_chain');
    expect(c.status).toBe('warning');
    expect(c.value).toBeGreaterThanOrEqual(30);
    expect(c.hint).toMatch(/1 unsealed rows, never sealed/);
    expect(c.hint).toContain('audit verify');
  });
});
