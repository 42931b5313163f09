/**
 * Replica checks on a real replica: two private sandboxes in a temporary home, the second
 * replicating from the first by GTID. A running replica is healthy; a stopped SQL thread with
 * transactions waiting is critical (threads), unknown (lag) and a warning (GTID gap).
 *
 * The replica also runs with performance_schema OFF (one server less than a separate test would
 * need): the health checks work without it, and the analyses that need it say so.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import {
  type HealthReport,
  indexReport,
  replicationReport,
  runHealthChecks,
  topQueries,
} from '../../src/monitor/index.js';
import { destroySandbox, startSandbox, stopSandbox } from '../../src/sandbox/index.js';
import { runCli } from '../support/cli.js';
import { replicateFrom } from '../support/replica.js';
import { pollUntil } from './health-helpers.js';

const check = (r: HealthReport, name: string) => r.checks.find((c) => c.name === name);

describe('replication checks on a replica (which runs with performance_schema off)', () => {
  let home: string;
  let primary: DatabaseManager;
  let replica: DatabaseManager;
  let config: MysqlopsConfig;

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'mysqlops-repl-'));
    await startSandbox({ home, name: 'primary' });
    await startSandbox({ home, name: 'replica' });
    await stopSandbox({ home, name: 'replica' });
    const cnf = path.join(home, 'sandbox', 'replica', 'my.cnf');
    const rendered = readFileSync(cnf, 'utf8');
    if (!/performance_schema = ON/.test(rendered)) throw new Error(`no performance_schema line in ${cnf}`);
    writeFileSync(cnf, rendered.replace('performance_schema = ON', 'performance_schema = OFF'));
    await startSandbox({ home, name: 'replica' });
    const manager = (name: string) =>
      new DatabaseManager({ connection: {}, usesSandbox: true, sandbox: { home, name } });
    primary = manager('primary');
    replica = manager('replica');
    await replicateFrom(replica, primary, { home, name: 'primary' });
    config = loadConfig({
      env: 'test',
      cwd: home,
      environ: { MYSQLOPS_HOME: home, MYSQLOPS_SANDBOX: 'replica' },
    });
  }, 180_000);

  afterAll(async () => {
    await replica?.execute('STOP SLAVE').catch(() => undefined);
    await Promise.all([primary?.close(), replica?.close()]);
    await Promise.all([destroySandbox({ home, name: 'replica' }), destroySandbox({ home, name: 'primary' })]);
    rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('reports a running replica as healthy, with its source and a zero GTID gap', async () => {
    await primary.execute('CREATE DATABASE repl_probe');
    await primary.execute('CREATE TABLE repl_probe.t (id INT PRIMARY KEY)');
    await primary.execute('INSERT INTO repl_probe.t VALUES (1)');
    const applied = await pollUntil(
      () => replica.query('SELECT id FROM repl_probe.t').catch(() => []),
      (rows) => rows.length === 1,
      30_000,
    );
    expect(applied).toHaveLength(1);
    const r = await replicationReport(replica);
    expect(r.role).toBe('replica');
    expect(r.channels).toHaveLength(1);
    expect(r.channels[0]).toMatchObject({
      ioRunning: true,
      sqlRunning: true,
      sourceHost: '127.0.0.1',
      gtidGap: 0,
    });
    const h = await runHealthChecks(replica, config, { sampleIntervalMs: 0 });
    expect(check(h, 'replication_threads')).toMatchObject({ status: 'ok', value: 'running' });
    expect(check(h, 'replication_lag')?.status).toBe('ok');
    expect(check(h, 'replication_gtid_gap')).toMatchObject({ status: 'ok', value: 0 });
    const src = await pollUntil(
      () => replicationReport(primary),
      (x) => x.replicas.length > 0,
      30_000,
    );
    expect(src.role).toBe('source');
    expect(src.replicas[0]?.serverId).toBe(2);
  });

  it('goes critical when the SQL thread stops, with the waiting transactions as the GTID gap', async () => {
    await replica.execute('STOP SLAVE SQL_THREAD');
    try {
      await primary.execute('INSERT INTO repl_probe.t VALUES (2), (3)');
      await primary.execute('INSERT INTO repl_probe.t VALUES (4)');
      const r = await pollUntil(
        () => runHealthChecks(replica, config, { sampleIntervalMs: 0 }),
        (x) => Number(check(x, 'replication_gtid_gap')?.value) >= 2,
        30_000,
      );
      expect(r.status).toBe('critical');
      expect(check(r, 'replication_threads')).toMatchObject({ status: 'critical', value: 'stopped' });
      expect(check(r, 'replication_threads')?.hint).toContain('SQL thread stopped');
      expect(check(r, 'replication_lag')?.status).toBe('unknown');
      expect(check(r, 'replication_gtid_gap')).toMatchObject({ status: 'warning', value: 2 });
      const report = await replicationReport(replica);
      expect(report.channels[0]).toMatchObject({
        ioRunning: true,
        sqlRunning: false,
        gtidGap: 2,
        lagSeconds: null,
      });
    } finally {
      await replica.execute('START SLAVE SQL_THREAD');
    }
    const healed = await pollUntil(
      () => runHealthChecks(replica, config, { sampleIntervalMs: 0 }),
      (x) =>
        check(x, 'replication_threads')?.status === 'ok' && check(x, 'replication_gtid_gap')?.value === 0,
      30_000,
    );
    expect(check(healed, 'replication_threads')?.status).toBe('ok');
    expect(check(healed, 'replication_gtid_gap')?.value).toBe(0);
  });

  it('runs every health check with performance_schema off', async () => {
    const [ps] = await replica.query<{ on: number }>('SELECT @@performance_schema AS `on`');
    expect(Number(ps?.on)).toBe(0);
    const h = await runHealthChecks(replica, config, { sampleIntervalMs: 0 });
    for (const name of [
      'connections',
      'deadlocks',
      'long_transactions',
      'buffer_pool_hit_ratio',
      'disk_space',
    ]) {
      expect(check(h, name)?.status).not.toBe('unknown');
    }
  });

  it('says clearly that the query report needs performance_schema, in the library and the CLI', async () => {
    await expect(topQueries(replica)).rejects.toMatchObject({
      code: 'E_PERFORMANCE_SCHEMA_OFF',
      message: expect.stringContaining('OFF'),
      hint: expect.stringContaining('performance_schema = ON'),
    });
    const r = await runCli(['monitor', 'queries', '--json'], {
      MYSQLOPS_HOME: home,
      MYSQLOPS_SANDBOX: 'replica',
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'E_PERFORMANCE_SCHEMA_OFF' } });
    expect(r.stderr).toContain('performance_schema');
  });

  it('reports unused indexes as unknown, and the rest of the index report as usual', async () => {
    const r = await indexReport(replica, { schemas: ['repl_probe'] });
    expect(r.performanceSchema).toBe(false);
    expect(r.unused).toBeNull();
    expect(r.notes[0]).toContain('performance_schema is OFF');
    expect(r.withoutPrimaryKey).toEqual([]);
  });

  it('says when performance_schema runs but does not collect what an analysis reads', async () => {
    // On the primary (performance_schema ON); switched back in finally.
    await primary.execute(
      "UPDATE performance_schema.setup_consumers SET ENABLED = 'NO' WHERE NAME = 'statements_digest'",
    );
    await primary.execute(
      "UPDATE performance_schema.setup_instruments SET ENABLED = 'NO' WHERE NAME = 'wait/io/table/sql/handler'",
    );
    try {
      await expect(topQueries(primary)).rejects.toMatchObject({
        code: 'E_PERFORMANCE_SCHEMA_OFF',
        message: expect.stringContaining('not collecting'),
        hint: expect.stringContaining('statements_digest'),
      });
      const r = await indexReport(primary, { schemas: ['repl_probe'] });
      expect(r).toMatchObject({ performanceSchema: true, unused: null });
      expect(r.notes[0]).toContain('wait/io/table/sql/handler');
    } finally {
      await primary.execute(
        "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME = 'statements_digest'",
      );
      await primary.execute(
        "UPDATE performance_schema.setup_instruments SET ENABLED = 'YES' WHERE NAME = 'wait/io/table/sql/handler'",
      );
    }
    expect(Array.isArray(await topQueries(primary))).toBe(true);
    expect((await indexReport(primary, { schemas: ['repl_probe'] })).unused).not.toBeNull();
  });
});
