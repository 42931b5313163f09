/**
 * `mysqlops health` and `mysqlops monitor ...` as a user runs them: real processes against the run's
 * sandbox, exit codes (1 when a check is critical, 2 for bad flags or thresholds) and `--json` shapes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { createTestDatabase, sandboxConfig, type TestDatabase } from '../support/db.js';

describe('mysqlops health and monitor', () => {
  let t: TestDatabase;
  let dir: string;
  const configFile = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-health-cli-'));
    t = await createTestDatabase('health_cli');
    const admin = new DatabaseManager(sandboxConfig());
    await admin.execute(`CREATE TABLE \`${t.name}\`.nopk (v INT, KEY ix_v (v), KEY ix_v2 (v))`);
    await admin.close();
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints every check with --json and exits 0 unless one is critical', async () => {
    const r = await runCliOnSandbox(['health', '--json'], {
      DB_NAME: t.name,
      BACKUP_DIR: path.join(dir, 'b1'),
    });
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: doc.status !== 'critical', at: expect.any(String) });
    expect(['ok', 'warning', 'unknown', 'critical']).toContain(doc.status);
    expect(r.code).toBe(doc.status === 'critical' ? 1 : 0);
    expect(doc.checks.length).toBeGreaterThan(10);
    for (const c of doc.checks) {
      expect(Object.keys(c)).toEqual(
        expect.arrayContaining(['name', 'title', 'status', 'value', 'threshold', 'hint']),
      );
    }
    expect(doc.checks.find((c: { name: string }) => c.name === 'backup_freshness')).toMatchObject({
      status: 'warning',
    });
  });

  it('exits 1 when a check is critical, and says which in the table', async () => {
    const file = configFile('critical.json', {
      health: { thresholds: { threadsRunning: { warning: 1, critical: 1 } } },
    });
    const r = await runCliOnSandbox(['health', '--config', file], {
      DB_NAME: t.name,
      BACKUP_DIR: path.join(dir, 'b2'),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CRIT\s+threads_running/);
    expect(r.stdout).toContain('overall: critical');
    const json = await runCliOnSandbox(['health', '--json', '--config', file], {
      DB_NAME: t.name,
      BACKUP_DIR: path.join(dir, 'b2'),
    });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ ok: false, status: 'critical' });
  });

  it('exits 1 with a critical server check when the server is unreachable', async () => {
    const r = await runCliOnSandbox(['health', '--json'], {
      DB_HOST: '127.0.0.1',
      DB_PORT: '1',
      DB_USER: 'nobody',
      BACKUP_DIR: path.join(dir, 'b3'),
    });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.checks.find((c: { name: string }) => c.name === 'server')).toMatchObject({
      status: 'critical',
    });
  });

  it('exits 2 for thresholds in the wrong order, naming the setting', async () => {
    const file = configFile('bad.json', {
      health: { thresholds: { connectionsPct: { warning: 90, critical: 50 } } },
    });
    const r = await runCliOnSandbox(['health', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('health.thresholds.connectionsPct.critical');
  });

  it('lists index problems of a schema with --json', async () => {
    const r = await runCliOnSandbox(['monitor', 'indexes', '--schema', t.name, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, performanceSchema: true });
    expect(doc.withoutPrimaryKey.map((x: { table: string }) => x.table)).toEqual(['nopk']);
    expect(doc.redundant).toEqual([
      expect.objectContaining({
        index: 'ix_v2',
        kind: 'duplicate',
        drop: `ALTER TABLE \`${t.name}\`.\`nopk\` DROP INDEX \`ix_v2\`;`,
      }),
    ]);
    expect(doc.unused.map((u: { index: string }) => u.index).sort()).toEqual(['ix_v', 'ix_v2']);
  });

  it('prints the query, table, connection and replication reports', async () => {
    const q = await runCliOnSandbox(['monitor', 'queries', '--limit', '3', '--json']);
    expect(q.code).toBe(0);
    const doc = JSON.parse(q.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.queries.length).toBeLessThanOrEqual(3);
    expect(doc.queries[0]).toMatchObject({ rank: 1, calls: expect.any(Number), totalMs: expect.any(Number) });
    const human = await runCliOnSandbox(['monitor', 'queries', '--limit', '3']);
    expect(human.stdout).toMatch(/rank\s+total ms/);
    expect(human.stdout).toContain('p95: MySQL 8 only');
    const tables = await runCliOnSandbox(['monitor', 'tables', '--schema', t.name]);
    expect(tables.code).toBe(0);
    expect(tables.stdout).toMatch(new RegExp(`${t.name}\\.nopk .*no primary key`));
    const conns = await runCliOnSandbox(['monitor', 'connections', '--json']);
    expect(JSON.parse(conns.stdout)).toMatchObject({
      ok: true,
      connected: expect.any(Number),
      transactions: expect.any(Array),
    });
    const repl = await runCliOnSandbox(['monitor', 'replication']);
    expect(repl.code).toBe(0);
    expect(repl.stdout).toContain('not a replica');
  });

  it('exits 2 for a bad --limit', async () => {
    const r = await runCliOnSandbox(['monitor', 'queries', '--limit', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--limit must be a positive whole number');
  });
});
