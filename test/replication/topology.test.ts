/**
 * A real replica topology on loopback: one primary and two replicas (three small sandboxes in a
 * temporary home), provisioned from a backup of the primary. Then a failover: one replica lags (its
 * SQL thread stopped), the primary's mysqld is SIGKILLed while a client writes, the lagging replica
 * is refused, the most advanced one is promoted without losing an acknowledged write, and the other
 * follows it.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  destroyTopology,
  readTopology,
  startTopology,
  type TopologyStatus,
  topologyPaths,
  topologyStatus,
} from '../../src/replication/index.js';
import { killSandbox, sandboxConnection, startSandbox } from '../../src/sandbox/index.js';
import { runCli } from '../support/cli.js';
import { sandboxManagers } from './helpers.js';

const NAME = 'rt';
const R1 = `${NAME}-r1`;
const R2 = `${NAME}-r2`;

async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (r: T) => boolean,
  deadlineMs = 30_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const r = await probe();
    if (done(r) || Date.now() > until) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('replica topology: a primary and two replicas', () => {
  let home: string;
  let started: TopologyStatus;
  const managers = sandboxManagers(() => home);
  const node = managers.of;
  const ids = async (name: string) =>
    (
      await node(name)
        .query<{ id: number }>('SELECT id FROM app.t ORDER BY id')
        .catch(() => [])
    ).map((r) => r.id);
  const cli = (args: string[]) => runCli(args, { MYSQLOPS_HOME: home, MYSQLOPS_SANDBOX: NAME }, 60_000);

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'mysqlops-topo-'));
    // Data that exists before the replicas do: it reaches them through the backup, not the binlog.
    await startSandbox({ home, name: NAME });
    await node(NAME).execute('CREATE DATABASE app');
    await node(NAME).execute('CREATE TABLE app.t (id INT PRIMARY KEY, note VARCHAR(20))');
    await node(NAME).execute("INSERT INTO app.t VALUES (1, 'before'), (2, 'before')");
    await node(NAME).execute("CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'Reader-Passw0rd-x'");
    await node(NAME).execute("GRANT SELECT ON app.* TO 'reader'@'127.0.0.1'");
    started = await startTopology({ home, name: NAME, replicas: 2 });
  }, 150_000);

  afterAll(async () => {
    await managers.closeAll();
    if (home) {
      await destroyTopology({ home, name: NAME });
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('comes up with two replicas provisioned from a backup, each with its own server_id, read-only', async () => {
    expect(started.primary).toBe(NAME);
    expect(started.nodes.map((n) => [n.name, n.role])).toEqual([
      [NAME, 'primary'],
      [R1, 'replica'],
      [R2, 'replica'],
    ]);
    expect(new Set(started.nodes.map((n) => n.serverId)).size).toBe(3);
    for (const n of started.nodes.slice(1)) {
      expect(n).toMatchObject({
        state: 'running',
        readOnly: true,
        source: NAME,
        ioRunning: true,
        sqlRunning: true,
      });
      expect(await ids(n.name)).toEqual([1, 2]);
    }
    // Accounts of the primary come along with their passwords: an application can read from a replica.
    const r1 = sandboxConnection({ home, name: R1 });
    const reader = await mysql.createConnection({
      host: '127.0.0.1',
      port: r1?.port,
      user: 'reader',
      password: 'Reader-Passw0rd-x',
    });
    const [rows] = await reader.query('SELECT COUNT(*) AS n FROM app.t');
    await reader.end();
    expect(rows).toEqual([{ n: 2 }]);
    // The replication account's password is kept like the root password: 0600.
    expect(statSync(topologyPaths({ home, name: NAME }).passwordFile).mode & 0o777).toBe(0o600);
    const [grants] = await node(R1).query<Record<string, string>>(
      "SHOW GRANTS FOR 'mysqlops_repl'@'127.0.0.1'",
    );
    expect(Object.values(grants ?? {})[0]).toMatch(/^GRANT REPLICATION SLAVE ON \*\.\* TO/);
  });

  it('replicates a write on the primary to both replicas, and status shows both running with lag 0', async () => {
    await node(NAME).execute("INSERT INTO app.t VALUES (3, 'live')");
    for (const r of [R1, R2])
      expect(
        await pollUntil(
          () => ids(r),
          (x) => x.includes(3),
        ),
      ).toContain(3);
    const status = await topologyStatus({ home, name: NAME });
    for (const r of status.nodes.filter((n) => n.role === 'replica')) {
      expect(r).toMatchObject({ ioRunning: true, sqlRunning: true, lagSeconds: 0 });
      expect(r.gtid).toBe(status.nodes[0]?.gtid);
    }
    const run = await cli(['replication', 'status', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as TopologyStatus;
    expect(doc.nodes.map((n) => [n.name, n.role, n.ioRunning, n.sqlRunning, n.lagSeconds])).toEqual([
      [NAME, 'primary', null, null, null],
      [R1, 'replica', true, true, 0],
      [R2, 'replica', true, true, 0],
    ]);
    const text = await cli(['sandbox', 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`topology ${NAME}: primary ${NAME}`));
    expect(text.stdout).toMatch(new RegExp(`${R2}\\s+replica\\s+running`));
  });

  it('refuses to promote an unknown node (exit 2) and a replica while the primary is up (exit 1)', async () => {
    const unknown = await cli(['replication', 'promote', 'r9']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no node "r9" in topology rt/);
    const alive = await cli(['replication', 'promote', 'r1', '--json']);
    expect(alive.code).toBe(1);
    expect(JSON.parse(alive.stdout).error).toMatchObject({ code: 'E_PROMOTE_REFUSED' });
    expect(alive.stderr).toMatch(/the primary rt is up/);
    expect(readTopology({ home, name: NAME })?.primary).toBe(NAME);
  });

  it('after the primary is killed: refuses the lagging replica, promotes the most advanced with no acknowledged write lost', async () => {
    // rt-r2 lags: its SQL thread stops while writes happen (its IO thread still receives them)...
    await node(R2).execute('STOP SLAVE SQL_THREAD');
    for (let id = 10; id < 15; id++) await node(NAME).execute('INSERT INTO app.t VALUES (?, ?)', [id, 'lag']);
    expect(
      await pollUntil(
        () => ids(R1),
        (x) => x.includes(14),
      ),
    ).toContain(14);
    // ...then stops receiving too, so the commits around the kill are acknowledged by rt-r1 alone
    // (semi-synchronous). Were rt-r2 the only one to receive the last commit, promoting rt-r1 would
    // be refused instead (it would lose that commit); that is not what this test is about.
    await node(R2).execute('STOP SLAVE IO_THREAD');
    // A client writes one row per commit; each id that returned OK is acknowledged.
    const primary = sandboxConnection({ home, name: NAME });
    if (!primary) throw new Error('no primary connection');
    const writer = await mysql.createConnection({
      socketPath: primary.socket,
      user: primary.user,
      password: primary.password.reveal(),
    });
    const acked: number[] = [];
    const writing = (async () => {
      for (let id = 100; ; id++) {
        try {
          await writer.execute('INSERT INTO app.t VALUES (?, ?)', [id, 'acked']);
          acked.push(id);
        } catch {
          return;
        }
      }
    })();
    await pollUntil(
      async () => acked.length,
      (n) => n >= 30,
      20_000,
    );
    await killSandbox({ home, name: NAME });
    await writing;
    writer.destroy();
    expect(acked.length).toBeGreaterThanOrEqual(30);

    const refused = await cli(['replication', 'promote', R2]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/rt-r2 is behind rt-r1: rt-r1 has applied \d+ transactions in domain 0/);

    const promoted = await cli(['replication', 'promote', R1, '--json']);
    expect(promoted.stderr).toBe('');
    expect(promoted.code).toBe(0);
    expect(JSON.parse(promoted.stdout)).toMatchObject({
      primary: R1,
      previousPrimary: NAME,
      previousPrimaryRole: 'failed',
      repointed: [R2],
    });
    const onNew = await ids(R1);
    expect(acked.filter((id) => !onNew.includes(id))).toEqual([]);
    expect(readTopology({ home, name: NAME })?.primary).toBe(R1);
  });

  it('the other replica follows the new primary', async () => {
    await node(R1).execute("INSERT INTO app.t VALUES (5000, 'new primary')");
    expect(
      await pollUntil(
        () => ids(R2),
        (x) => x.includes(5000),
      ),
    ).toContain(5000);
    const status = await topologyStatus({ home, name: NAME });
    expect(status.nodes.map((n) => [n.name, n.role, n.source])).toEqual([
      [NAME, 'failed', null],
      [R1, 'primary', null],
      [R2, 'replica', R1],
    ]);
    expect(status.nodes[1]?.readOnly).toBe(false);
    expect(status.nodes[2]).toMatchObject({ ioRunning: true, sqlRunning: true, readOnly: true });
  });
});
