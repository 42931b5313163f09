/**
 * A real 3-node Galera cluster of sandboxes (MariaDB + galera-4): bootstrap and SST join, replication
 * of writes, losing a node (quorum kept), its rejoin by IST, a certification conflict, the Galera
 * health checks and metrics, and the Galera alert rules (promtool). One cluster for the whole file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  destroyGaleraCluster,
  GALERA_CERTIFICATION_ERROR,
  type GaleraClusterInfo,
  galeraClusterStatus,
  galeraNodeName,
  startGaleraCluster,
  startGaleraNode,
} from '../../src/cluster/index.js';
import { loadConfig } from '../../src/config/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import { runHealthChecks } from '../../src/monitor/index.js';
import { createMetrics } from '../../src/monitor/metrics/index.js';
import { killSandbox } from '../../src/sandbox/index.js';
import { runCli } from '../support/cli.js';
import { nodeEndpoint, nodeSession, onNode } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NAME = 'gt';
let home: string;
let started: GaleraClusterInfo;

const session = (node: number) => nodeSession(nodeEndpoint(home, NAME, node));
const sql = <T = Record<string, unknown>>(node: number, q: string, params: unknown[] = []) =>
  onNode<T>(() => session(node), q, params);

function healthConfig(node: number) {
  return loadConfig({
    env: 'test',
    cwd: home,
    environ: {
      MYSQLOPS_HOME: home,
      MYSQLOPS_SANDBOX: galeraNodeName(NAME, node),
      BACKUP_DIR: path.join(home, 'backups'),
    },
  });
}

async function galeraHealth(node: number) {
  const config = healthConfig(node);
  const db = new DatabaseManager({
    connection: {},
    usesSandbox: true,
    sandbox: { home, name: galeraNodeName(NAME, node) },
  });
  try {
    const report = await runHealthChecks(db, config, { sampleIntervalMs: 0 });
    return new Map(report.checks.filter((c) => c.name.startsWith('galera_')).map((c) => [c.name, c]));
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'mysqlops-galera-'));
  started = await startGaleraCluster({ home, name: NAME, nodes: 3 });
  await sql(1, 'CREATE DATABASE IF NOT EXISTS g');
  await sql(1, 'CREATE TABLE g.t (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL) ENGINE=InnoDB');
}, 240_000);

afterAll(async () => {
  if (home) {
    await destroyGaleraCluster({ home, name: NAME });
    rmSync(home, { recursive: true, force: true });
  }
}, 120_000);

describe('Galera cluster of sandboxes', () => {
  it('comes up with 3 nodes Synced in one Primary component', () => {
    expect(started.nodes).toHaveLength(3);
    for (const n of started.nodes) {
      expect(n.sandbox.state).toBe('running');
      expect(n.wsrep).toMatchObject({
        clusterSize: 3,
        clusterStatus: 'Primary',
        localState: 'Synced',
        ready: true,
      });
    }
    const ports = started.nodes.flatMap((n) => Object.values(n.ports));
    expect(new Set(ports).size).toBe(12);
  });

  it('replicates a write on node 1 to nodes 2 and 3', async () => {
    await sql(1, "INSERT INTO g.t VALUES (1, 'from node 1')");
    for (const node of [2, 3]) {
      expect(await sql(node, 'SELECT v FROM g.t WHERE id = 1')).toEqual([{ v: 'from node 1' }]);
    }
    // wsrep_gtid_mode: every node binlogs the writeset under the same cluster GTID (domain 1).
    const pos = await Promise.all(
      [1, 2, 3].map((n) => sql<{ p: string }>(n, 'SELECT @@gtid_binlog_pos AS p')),
    );
    const cluster = pos.map((r) => (r[0]?.p ?? '').split(',').find((g) => g.startsWith('1-')));
    expect(cluster[0]).toMatch(/^1-\d+-\d+$/);
    expect(new Set(cluster).size).toBe(1);
  });

  it('keeps a Primary component of 2 that accepts writes when node 3 is SIGKILLed, and health reports it', async () => {
    await killSandbox({ home, name: galeraNodeName(NAME, 3) });
    await expect
      .poll(async () => (await galeraClusterStatus({ home, name: NAME })).nodes[0]?.wsrep?.clusterSize, {
        timeout: 30_000,
      })
      .toBe(2);
    const status = await galeraClusterStatus({ home, name: NAME });
    expect(status.nodes[2]?.sandbox.state).toBe('crashed');
    for (const n of status.nodes.slice(0, 2))
      expect(n.wsrep).toMatchObject({ clusterStatus: 'Primary', localState: 'Synced' });
    await sql(1, "INSERT INTO g.t VALUES (2, 'while node 3 was down')");
    await sql(2, "INSERT INTO g.t VALUES (3, 'also while node 3 was down')");

    const checks = await galeraHealth(1);
    expect(checks.get('galera_cluster_size')).toMatchObject({ status: 'warning', value: 2 });
    expect(checks.get('galera_cluster_status')).toMatchObject({ status: 'ok', value: 'Primary' });
    expect(checks.get('galera_node_state')).toMatchObject({ status: 'ok', value: 'Synced' });
  });

  it('rejoins node 3 by IST (the donor gcache holds what it missed) with the writes made meanwhile', async () => {
    const log = path.join(home, 'sandbox', galeraNodeName(NAME, 3), 'error.log');
    const before = readFileSync(log, 'utf8').length;
    const node = await startGaleraNode({ home, name: NAME, node: 3 });
    expect(node.wsrep).toMatchObject({ clusterSize: 3, localState: 'Synced', clusterStatus: 'Primary' });
    const restartLog = readFileSync(log, 'utf8').slice(before);
    // The position was recovered from InnoDB (grastate.dat says -1 after SIGKILL), so the donor
    // sends only the missing writesets from its gcache: IST, no snapshot. (The SST script always
    // runs on a joiner; with IST it receives no backup to prepare.)
    expect(restartLog).toMatch(/WSREP: Recovered position: [0-9a-f-]+:\d+/);
    expect(restartLog).toMatch(/Receiving IST: \d+ writesets/);
    expect(restartLog).toMatch(
      /mariabackup IST completed on joiner|rsync IST completed on joiner|IST received/,
    );
    expect(restartLog).not.toMatch(/Preparing the backup|Waiting for SST streaming to complete/);
    expect(await sql(3, 'SELECT id, v FROM g.t ORDER BY id')).toEqual([
      { id: 1, v: 'from node 1' },
      { id: 2, v: 'while node 3 was down' },
      { id: 3, v: 'also while node 3 was down' },
    ]);
  });

  it('fails the second of two conflicting commits on different nodes with ER_LOCK_DEADLOCK (1213)', async () => {
    const a = await session(1);
    const b = await session(2);
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query("UPDATE g.t SET v = 'a' WHERE id = 1");
      await b.query("UPDATE g.t SET v = 'b' WHERE id = 1");
      await a.query('COMMIT');
      const err = await b.query('COMMIT').then(
        () => undefined,
        (e: unknown) => e as { code?: string; errno?: number; sqlState?: string },
      );
      expect(err).toMatchObject({
        code: GALERA_CERTIFICATION_ERROR.code,
        errno: GALERA_CERTIFICATION_ERROR.errno,
        sqlState: GALERA_CERTIFICATION_ERROR.sqlState,
      });
    } finally {
      await a.end();
      b.destroy();
    }
    for (const node of [1, 2, 3])
      expect(await sql(node, 'SELECT v FROM g.t WHERE id = 1')).toEqual([{ v: 'a' }]);
  });

  it('reports every Galera health check ok and exports the wsrep metrics the alert rules read', async () => {
    const checks = await galeraHealth(2);
    expect([...checks.keys()].sort()).toEqual([
      'galera_cluster_size',
      'galera_cluster_status',
      'galera_flow_control',
      'galera_node_state',
      'galera_recv_queue',
    ]);
    for (const c of checks.values()) expect(c.status, `${c.name}: ${c.hint}`).toBe('ok');
    expect(checks.get('galera_cluster_size')?.value).toBe(3);

    const config = healthConfig(2);
    const db = new DatabaseManager({
      connection: {},
      usesSandbox: true,
      sandbox: { home, name: galeraNodeName(NAME, 2) },
    });
    try {
      const text = await createMetrics(db, config, {
        health: async () => ({ status: 'ok', checks: [] }),
      }).render();
      expect(text).toMatch(/^mysql_global_status_wsrep_cluster_size 3$/m);
      expect(text).toMatch(/^mysql_global_status_wsrep_cluster_status 1$/m);
      expect(text).toMatch(/^mysql_global_status_wsrep_local_state 4$/m);
      expect(text).toMatch(/^mysql_global_status_wsrep_flow_control_paused_ns \d/m);
      expect(text).toMatch(/^mysql_global_status_wsrep_local_recv_queue_avg \d/m);
      expect(text).toMatch(/^mysql_galera_evs_repl_latency_avg_seconds /m);
      expect(text).toMatch(/^mysql_galera_status_info\{/m);
    } finally {
      await db.close();
    }
  });

  it('shows every node in sandbox status --json, and refuses --galera with --replicas', async () => {
    const r = await runCli(['sandbox', 'status', '--name', NAME, '--json'], { MYSQLOPS_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as GaleraClusterInfo;
    expect(doc.kind).toBe('galera');
    expect(
      doc.nodes.map((n) => [n.sandbox.name, n.sandbox.state, n.wsrep?.localState, n.wsrep?.clusterSize]),
    ).toEqual([
      ['gt-g1', 'running', 'Synced', 3],
      ['gt-g2', 'running', 'Synced', 3],
      ['gt-g3', 'running', 'Synced', 3],
    ]);
    expect(doc.nodes[0]?.wsrep).toHaveProperty('flowControlPaused');
    expect(doc.nodes[0]?.wsrep?.lastCommitted).toBeGreaterThan(0);
    const bad = await runCli(['sandbox', 'start', '--name', 'x', '--galera', '3', '--replicas', '1'], {
      MYSQLOPS_HOME: home,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--galera cannot be combined/);
  });

  it('has alert rules that pass promtool check rules and their unit tests', () => {
    const rules = path.join(ROOT, 'monitoring/alerts/galera.yaml');
    const check = spawnSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const unit = spawnSync(
      'promtool',
      ['test', 'rules', path.join(ROOT, 'test/cluster/galera-rules.test.yml')],
      {
        encoding: 'utf8',
      },
    );
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  });
});
