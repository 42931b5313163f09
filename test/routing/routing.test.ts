/**
 * Read/write routing against real servers: a primary and two GTID replicas (three private
 * sandboxes). Reads spread over the replicas and writes stay on the primary (counted by the
 * manager and by each server's own Com_* counters); a replica whose SQL thread stops or that lags
 * leaves the rotation within 2 s and comes back after catching up; reads after writes never see
 * stale data; a primary that turns read-only stops taking writes (E_PRIMARY_UNAVAILABLE) until a
 * promoted replica is found.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager, type DatabaseManagerConfig } from '../../src/db/index.js';
import { destroySandbox, sandboxConnection, startSandbox } from '../../src/sandbox/index.js';
import { replicateFrom } from '../support/replica.js';

const NAMES = ['primary', 'replica1', 'replica2'] as const;
type Name = (typeof NAMES)[number];

let home: string;
const admin = {} as Record<Name, DatabaseManager>;
const open: DatabaseManager[] = [];

function endpoint(name: Name) {
  const sb = sandboxConnection({ home, name });
  if (!sb) throw new Error(`sandbox ${name} has no connection details`);
  return sb;
}

/** A routed manager: the primary and both replicas over their sockets, as root. */
function routed(routing: DatabaseManagerConfig['routing'] = {}): DatabaseManager {
  const [p, r1, r2] = NAMES.map(endpoint) as [ReturnType<typeof endpoint>, ...ReturnType<typeof endpoint>[]];
  const node = (e: ReturnType<typeof endpoint>) => ({ socket: e.socket, user: e.user, password: e.password });
  const db = new DatabaseManager({
    connection: {
      socket: p.socket,
      user: p.user,
      password: p.password,
      database: 'rt',
      replicas: [node(r1 as typeof p), node(r2 as typeof p)],
    },
    pool: { size: 4 },
    routing: { maxLagSeconds: 1, checkIntervalMs: 250, ...routing },
  });
  open.push(db);
  return db;
}

/**
 * INSERTs and SELECTs one server ran for clients logged in as root, from performance_schema. The
 * replication applier runs as no user, so replicated rows do not count here (they do count in
 * MariaDB's Com_insert), which makes "no INSERT ran on a replica" checkable.
 */
async function counters(name: Name): Promise<Record<string, number>> {
  const rows = await admin[name].query<{ e: string; n: string }>(
    `SELECT EVENT_NAME AS e, COUNT_STAR AS n
       FROM performance_schema.events_statements_summary_by_user_by_event_name
      WHERE USER = 'root' AND EVENT_NAME IN ('statement/sql/insert', 'statement/sql/select')`,
  );
  return Object.fromEntries(rows.map((r) => [r.e.replace('statement/sql/', 'Com_'), Number(r.n)]));
}

async function pollUntil<T>(probe: () => T | Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The primary's GTID position has reached both replicas. */
async function replicasCaughtUp(): Promise<void> {
  const [pos] = await admin.primary.query<{ p: string }>('SELECT @@gtid_binlog_pos AS p');
  for (const name of ['replica1', 'replica2'] as const) {
    const [w] = await admin[name].query<{ w: number }>('SELECT MASTER_GTID_WAIT(?, 20) AS w', [pos?.p ?? '']);
    expect(w?.w, `${name} caught up`).toBe(0);
  }
}

beforeAll(async () => {
  home = mkdtempSync(path.join(tmpdir(), 'mysqlops-routing-'));
  await Promise.all(NAMES.map((name) => startSandbox({ home, name })));
  for (const name of NAMES) {
    admin[name] = new DatabaseManager({ connection: {}, usesSandbox: true, sandbox: { home, name } });
  }
  await replicateFrom(admin.replica1, admin.primary, { home, name: 'primary' });
  await replicateFrom(admin.replica2, admin.primary, { home, name: 'primary' });
  // replicateFrom gives every replica server_id 2; the primary drops one of two equal ids.
  await admin.replica2.execute('STOP SLAVE');
  await admin.replica2.execute('SET GLOBAL server_id = 3');
  await admin.replica2.execute('START SLAVE');
  await admin.primary.execute('CREATE DATABASE rt');
  await admin.primary.execute(
    'CREATE TABLE rt.items (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))',
  );
  await admin.primary.execute('CREATE TABLE rt.pairs (id INT AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL)');
  await admin.primary.execute(
    'CREATE TABLE rt.heartbeat (id INT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(3))',
  );
  await admin.primary.execute('INSERT INTO rt.items (v) SELECT seq FROM rt.seq_1_to_200');
  await replicasCaughtUp();
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((db) => db.close().catch(() => undefined)));
  for (const name of ['replica1', 'replica2'] as const) {
    await admin[name]?.execute('STOP SLAVE').catch(() => undefined);
  }
  await Promise.all(NAMES.map((name) => admin[name]?.close().catch(() => undefined)));
  await Promise.all(NAMES.map((name) => destroySandbox({ home, name })));
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('routing over a primary and two replicas', () => {
  it('sends at least 90% of reads to replicas and every write to the primary (checked on the servers)', async () => {
    const db = routed();
    await db.initialize();
    expect(db.routingStats().nodes.map((n) => [n.role, n.inRotation])).toEqual([
      ['primary', false],
      ['replica', true],
      ['replica', true],
    ]);
    const before = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await counters(n)])));
    const started = Date.now();
    const READS = 950;
    const WRITES = 50;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < READS + WRITES; i = next++) {
        if (i % 20 === 7) await db.execute('INSERT INTO items (v, note) VALUES (?, ?)', [i, 'load']);
        else await db.query('SELECT id, v FROM items WHERE id = ?', [(i % 200) + 1]);
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    const elapsedMs = Date.now() - started;
    const after = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await counters(n)])));
    const delta = (n: Name, k: string) => (after[n]?.[k] ?? 0) - (before[n]?.[k] ?? 0);

    const stats = db.routingStats();
    const replicaShare = stats.reads.replicas / (stats.reads.replicas + stats.reads.primary);
    expect(stats.reads.replicas + stats.reads.primary).toBe(READS);
    expect(replicaShare).toBeGreaterThanOrEqual(0.9);
    expect(stats.writes).toBe(WRITES);
    expect(stats.nodes[0]?.writes).toBe(WRITES);
    expect(stats.nodes[1]?.reads).toBeGreaterThan(0);
    expect(stats.nodes[2]?.reads).toBeGreaterThan(0);

    // The servers agree: every INSERT ran on the primary, none on a replica; the replicas ran the
    // SELECTs (plus their health checks and GTID waits), and the primary ran no more SELECTs than
    // the reads routed to it plus its health checks (and the one counting query).
    expect(delta('primary', 'Com_insert')).toBe(WRITES);
    expect(delta('replica1', 'Com_insert')).toBe(0);
    expect(delta('replica2', 'Com_insert')).toBe(0);
    expect(delta('replica1', 'Com_select') + delta('replica2', 'Com_select')).toBeGreaterThanOrEqual(
      stats.reads.replicas,
    );
    const checks = Math.ceil(elapsedMs / 250) + 5;
    expect(delta('primary', 'Com_select')).toBeLessThanOrEqual(stats.reads.primary + checks);
    console.info(
      `[routing] reads on replicas ${(replicaShare * 100).toFixed(1)}% (${stats.reads.replicas}/${READS}); writes on primary ${delta('primary', 'Com_insert')}/${WRITES}; ${elapsedMs} ms; gtid waits ${stats.gtidWaits.count} (timeouts ${stats.gtidWaits.timeouts})`,
    );
  });

  it('takes a replica whose SQL thread stops out of rotation within 2 s and back after it catches up', async () => {
    // The default check interval: the 2 s promise holds without tuning.
    const db = routed({ checkIntervalMs: 1000 });
    await db.initialize();
    const events: string[] = [];
    const outAt = new Map<string, number>();
    const inAt = new Map<string, number>();
    db.on('replicaOut', (e) => {
      events.push(`out ${e.reason}`);
      outAt.set(e.node, Date.now());
    });
    db.on('replicaIn', (e) => {
      events.push('in');
      inAt.set(e.node, Date.now());
    });
    const r1 = endpoint('replica1').socket;
    const name = db.routingStats().nodes[1]?.name as string;
    expect(name).toContain(r1);

    let beating = true;
    const heartbeat = (async () => {
      while (beating) {
        await admin.primary.execute('INSERT INTO rt.heartbeat (at) VALUES (NOW(3))');
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const stoppedAt = Date.now();
      await admin.replica1.execute('STOP SLAVE SQL_THREAD');
      await pollUntil(
        () => outAt.get(name),
        (t) => t !== undefined,
        5000,
      );
      const outMs = (outAt.get(name) ?? Number.POSITIVE_INFINITY) - stoppedAt;
      expect(outMs).toBeLessThan(2000);
      expect(db.routingStats().nodes[1]).toMatchObject({ inRotation: false });

      // While it is out, reads go to the other replica only.
      const readsBefore = db.routingStats().nodes[1]?.reads ?? 0;
      for (let i = 0; i < 50; i++) await db.query('SELECT COUNT(*) AS n FROM heartbeat');
      expect(db.routingStats().nodes[1]?.reads).toBe(readsBefore);
      expect(db.routingStats().nodes[2]?.reads).toBeGreaterThanOrEqual(50);

      // Let it fall well behind, then restart it: it returns once it has caught up.
      await new Promise((r) => setTimeout(r, 1500));
      const restartedAt = Date.now();
      await admin.replica1.execute('START SLAVE SQL_THREAD');
      await pollUntil(
        () => inAt.get(name),
        (t) => t !== undefined,
        15_000,
      );
      const inMs = (inAt.get(name) ?? Number.POSITIVE_INFINITY) - restartedAt;
      expect(inMs).toBeLessThan(15_000);
      const [lag] = await admin.replica1.query<{ Seconds_Behind_Master: number | null }>('SHOW SLAVE STATUS');
      expect(Number(lag?.Seconds_Behind_Master)).toBeLessThanOrEqual(1);
      console.info(`[routing] SQL thread stopped -> out in ${outMs} ms; restarted -> back in ${inMs} ms`);
    } finally {
      beating = false;
      await heartbeat;
    }
    expect(events[0]).toMatch(/^out replication stopped \(IO thread running, SQL thread stopped\)/);
    expect(events).toContain('in');
  });

  it('takes a replica that lags beyond maxLagSeconds out, and back when the lag is gone', async () => {
    const db = routed();
    await db.initialize();
    const name = db.routingStats().nodes[2]?.name as string;
    const reasons: string[] = [];
    let outAt: number | undefined;
    let inAt: number | undefined;
    db.on('replicaOut', (e) => {
      if (e.node !== name) return;
      reasons.push(e.reason);
      outAt = Date.now();
    });
    db.on('replicaIn', (e) => {
      if (e.node === name) inAt = Date.now();
    });
    let beating = true;
    const heartbeat = (async () => {
      while (beating) {
        await admin.primary.execute('INSERT INTO rt.heartbeat (at) VALUES (NOW(3))');
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      // A delayed replica: it applies each transaction 3 s after the primary wrote it.
      await admin.replica2.execute('STOP SLAVE');
      await admin.replica2.execute('CHANGE MASTER TO MASTER_DELAY = 3');
      await admin.replica2.execute('START SLAVE');
      // While the replica restarts it may leave for another reason first (threads stopped, lag
      // unknown) and then stay out: the reason it is out for is updated on every check.
      const lagged = await pollUntil(
        async () => db.routingStats().nodes[2]?.reason ?? '',
        (r) => /^lag \d+ s > 1 s$/.test(r),
        10_000,
      );
      expect(lagged).toMatch(/^lag \d+ s > 1 s$/);
      expect(outAt).toBeDefined();
      expect(reasons.length).toBeGreaterThan(0);
      // When the lag crosses the bound (SBM > 1 s) it must be out within 2 s: it is out while the
      // SQL thread still waits out the delay, so check the recorded lag right now.
      expect(db.routingStats().nodes[2]?.inRotation).toBe(false);

      inAt = undefined;
      const undelayedAt = Date.now();
      await admin.replica2.execute('STOP SLAVE');
      await admin.replica2.execute('CHANGE MASTER TO MASTER_DELAY = 0');
      await admin.replica2.execute('START SLAVE');
      await pollUntil(
        () => inAt,
        (t) => t !== undefined,
        15_000,
      );
      expect(inAt).toBeDefined();
      console.info(
        `[routing] delayed replica back in ${(inAt ?? 0) - undelayedAt} ms after the delay was removed`,
      );
    } finally {
      beating = false;
      await heartbeat;
    }
  });

  it('never returns stale data in 1,000 write-then-read pairs (readYourWrites: wait)', async () => {
    const db = routed({ readYourWrites: 'wait', waitTimeoutMs: 2000 });
    await db.initialize();
    await replicasCaughtUp();
    let stale = 0;
    const PAIRS = 1000;
    const WORKERS = 4;
    const worker = async (w: number) => {
      const view = db.withContext({ user: `worker-${w}` });
      for (let i = w; i < PAIRS; i += WORKERS) {
        const { insertId } = await view.execute('INSERT INTO pairs (v) VALUES (?)', [i]);
        const rows = await view.query<{ v: number }>('SELECT v FROM pairs WHERE id = ?', [insertId]);
        if (rows[0]?.v !== i) stale++;
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const stats = db.routingStats();
    expect(stale).toBe(0);
    expect(stats.writes).toBe(PAIRS);
    expect(stats.reads.replicas + stats.reads.primary).toBe(PAIRS);
    expect(stats.reads.replicas).toBeGreaterThan(PAIRS * 0.5);

    // The control: without read-your-writes the same pairs may read a replica that is behind.
    const loose = routed({ readYourWrites: 'off' });
    let looseStale = 0;
    for (let i = 0; i < 200; i++) {
      const { insertId } = await loose.execute('INSERT INTO pairs (v) VALUES (?)', [i]);
      const rows = await loose.query<{ v: number }>('SELECT v FROM pairs WHERE id = ?', [insertId]);
      if (rows[0]?.v !== i) looseStale++;
    }
    console.info(
      `[routing] read-your-writes wait: ${stale} stale of ${PAIRS} pairs in ${Date.now() - started} ms, ${stats.reads.replicas} reads on replicas, ${stats.gtidWaits.count} GTID waits (${stats.gtidWaits.timeouts} timeouts); with readYourWrites off: ${looseStale} stale of 200`,
    );
  });

  it('reads from the primary after a write until a replica has it (readYourWrites: primary)', async () => {
    const db = routed({ readYourWrites: 'primary' });
    await db.initialize();
    const { insertId } = await db.execute('INSERT INTO pairs (v) VALUES (?)', [-1]);
    const [row] = await db.query<{ v: number }>('SELECT v FROM pairs WHERE id = ?', [insertId]);
    expect(row?.v).toBe(-1);
    expect(db.routingStats().fallbacks.readYourWrites + db.routingStats().reads.replicas).toBe(1);
    // Once the checks have seen the replicas apply it, reads go back to them.
    await pollUntil(
      async () => {
        await db.query('SELECT v FROM pairs WHERE id = ?', [insertId]);
        return db.routingStats().reads.replicas;
      },
      (n) => n > 0,
      5000,
    );
    expect(db.routingStats().reads.replicas).toBeGreaterThan(0);
  });

  it('keeps transactions, explicit primary reads and session-state reads on the primary', async () => {
    const db = routed();
    await db.initialize();
    await db.transaction(async (tx) => {
      await tx.execute('INSERT INTO items (v, note) VALUES (?, ?)', [1, 'tx']);
      await tx.query('SELECT COUNT(*) AS n FROM items');
    });
    await db.query('SELECT 1', undefined, { route: 'primary' });
    await db.query('SELECT @@hostname AS h');
    await db.query('SELECT LAST_INSERT_ID() AS id');
    await db.query('SHOW TABLES');
    const stats = db.routingStats();
    expect(stats.writes).toBe(1);
    expect(stats.reads.replicas).toBe(0);
    await db.query('SELECT COUNT(*) AS n FROM items', undefined, { route: 'replica' });
    expect(db.routingStats().reads.replicas).toBe(1);
    const health = await db.health();
    expect(health.ok).toBe(true);
    expect(db.target).toContain('(+2 replicas)');
    expect(db.metrics()).toContain('mysqlops_db_node_in_rotation');
  });

  // Last: it rearranges the topology.
  it('refuses writes while no server is writable and finds a promoted replica without a restart', async () => {
    const db = routed();
    await db.initialize();
    const changes: Array<{ from: string | null; to: string | null }> = [];
    db.on('primaryChange', (e) => changes.push(e));
    const [primaryName, r1Name] = db.routingStats().nodes.map((n) => n.name);
    await admin.primary.execute('SET GLOBAL read_only = 1');
    try {
      await pollUntil(
        () => changes.length,
        (n) => n > 0,
        5000,
      );
      expect(changes[0]).toEqual({ from: primaryName, to: null });
      const refused = await db
        .execute('INSERT INTO items (v, note) VALUES (?, ?)', [2, 'gap'])
        .catch((e) => e);
      expect(refused).toMatchObject({ code: 'E_PRIMARY_UNAVAILABLE', retryable: true });
      const none = await admin.primary.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM rt.items WHERE note = 'gap'",
      );
      expect(Number(none[0]?.n)).toBe(0);

      // Promote replica1 (what `mysqlops replication promote` does, by hand).
      await admin.replica1.execute('STOP SLAVE');
      await admin.replica1.execute('RESET SLAVE ALL');
      await admin.replica1.execute('SET GLOBAL read_only = 0');
      await pollUntil(
        () => changes.length,
        (n) => n > 1,
        5000,
      );
      expect(changes[1]).toEqual({ from: null, to: r1Name });
      await db.execute('INSERT INTO items (v, note) VALUES (?, ?)', [3, 'after-promote']);
      const moved = await admin.replica1.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM rt.items WHERE note = 'after-promote'",
      );
      expect(Number(moved[0]?.n)).toBe(1);
      expect(db.routingStats().primary).toBe(r1Name);
    } finally {
      await admin.primary.execute('SET GLOBAL read_only = 0');
    }
  });
});

describe('a single-server config', () => {
  it('routes nothing and reports mode single', async () => {
    const p = endpoint('primary');
    const db = new DatabaseManager({
      connection: { socket: p.socket, user: p.user, password: p.password, database: 'rt' },
    });
    open.push(db);
    await db.execute('INSERT INTO items (v, note) VALUES (?, ?)', [4, 'single']);
    const rows = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM items WHERE note = 'single'");
    expect(Number(rows[0]?.n)).toBe(1);
    expect(db.routingStats()).toMatchObject({ mode: 'single', nodes: [], writes: 0 });
    expect(db.target).toBe(`socket ${p.socket}`);
  });
});
