/**
 * Failover under load, seen by an application: one DatabaseManager routes over a real topology (a
 * primary and two semi-synchronous GTID replicas, over TCP with TLS) while a loop writes numbered
 * rows and another reads. The primary's mysqld is SIGKILLed, the most advanced replica is promoted
 * with the library, and the same manager finds the new primary by itself: no acknowledged write is
 * lost, the load resumes within 10 s, and the other replica follows the new primary.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import {
  covers,
  destroyTopology,
  laterOf,
  type PromoteResult,
  promote,
  startTopology,
  topologyStatus,
} from '../../src/replication/index.js';
import { killSandbox, type SandboxConnection, sandboxConnection } from '../../src/sandbox/index.js';
import { sandboxManagers } from './helpers.js';

const NAME = 'fo';
const R1 = `${NAME}-r1`;
const R2 = `${NAME}-r2`;
const RESUME_BOUND_MS = 10_000;

async function pollUntil<T>(probe: () => T | Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the load loops saw: every acknowledged id with when it was sent, every failure with its code. */
interface LoadRecord {
  acked: Array<{ id: number; sentAt: number; ackedAt: number }>;
  failed: Array<{ id: number; at: number; code: string }>;
  reads: { ok: number; failed: string[]; okAfterKill: number };
}

describe('failover under a write load through one routed DatabaseManager', () => {
  let home: string;
  const admins = sandboxManagers(() => home);
  let app: DatabaseManager | undefined;

  /** A root manager on one sandbox of the topology, over its socket (for checks, never for the load). */
  const admin = admins.of;
  const endpoint = (name: string): SandboxConnection => {
    const sb = sandboxConnection({ home, name });
    if (!sb) throw new Error(`sandbox ${name} has no connection details`);
    return sb;
  };
  const idsOn = async (name: string) =>
    new Set(
      (await admin(name).query<{ id: number }>('SELECT id FROM app.load_rows ORDER BY id')).map((r) => r.id),
    );

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'mysqlops-failover-'));
    await startTopology({ home, name: NAME, replicas: 2 });
    await admin(NAME).execute('CREATE DATABASE app');
    await admin(NAME).execute(
      'CREATE TABLE app.load_rows (id INT PRIMARY KEY, note VARCHAR(20) NOT NULL, at TIMESTAMP(3) NOT NULL)',
    );
  }, 240_000);

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await admins.closeAll();
    if (home) {
      await destroyTopology({ home, name: NAME }).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('loses no acknowledged write, resumes within 10 s on the promoted replica, and the other replica follows it', async () => {
    const p = endpoint(NAME);
    const [r1, r2] = [endpoint(R1), endpoint(R2)];
    const db = new DatabaseManager({
      connection: {
        host: '127.0.0.1',
        port: p.port,
        user: p.user,
        password: p.password,
        database: 'app',
        ssl: { mode: 'required' },
        connectTimeoutMs: 2000,
        replicas: [
          { host: '127.0.0.1', port: r1.port, password: r1.password },
          { host: '127.0.0.1', port: r2.port, password: r2.password },
        ],
      },
      pool: { size: 4, acquireTimeoutMs: 5000 },
      routing: { mode: 'replication', checkIntervalMs: 500, maxLagSeconds: 5 },
    });
    app = db;
    await db.initialize();
    const name = (sb: SandboxConnection) => `127.0.0.1:${sb.port}`;
    expect(db.routingStats()).toMatchObject({ mode: 'replication', primary: name(p) });
    expect(db.routingStats().nodes.map((n) => [n.name, n.role, n.inRotation])).toEqual([
      [name(p), 'primary', false],
      [name(r1), 'replica', true],
      [name(r2), 'replica', true],
    ]);
    const [tls] = await db.query<{ Value: string }>("SHOW SESSION STATUS LIKE 'Ssl_cipher'", undefined, {
      route: 'primary',
    });
    expect(tls?.Value).toMatch(/TLS|AES|CHACHA/);
    const changes: Array<{ from: string | null; to: string | null; at: number }> = [];
    db.on('primaryChange', (e) => changes.push({ ...e, at: Date.now() }));

    // The load: one loop of numbered INSERTs (a fresh id per attempt, so a failed attempt that the
    // server did apply never collides with a later one) and one loop of reads, both through `db`.
    let promoted: PromoteResult | undefined;
    let killedAt = 0;
    let promotedAt = 0;
    const steps: string[] = [];
    const load: LoadRecord = { acked: [], failed: [], reads: { ok: 0, failed: [], okAfterKill: 0 } };
    let running = true;
    const writing = (async () => {
      for (let id = 1; running; id++) {
        const sentAt = Date.now();
        try {
          await db.execute('INSERT INTO load_rows (id, note, at) VALUES (?, ?, NOW(3))', [id, 'load']);
          load.acked.push({ id, sentAt, ackedAt: Date.now() });
        } catch (err) {
          load.failed.push({ id, at: Date.now(), code: String((err as { code?: unknown }).code ?? err) });
          await pause(50);
        }
      }
    })();
    const reading = (async () => {
      while (running) {
        try {
          await db.query('SELECT COUNT(*) AS n FROM load_rows');
          load.reads.ok++;
          if (killedAt > 0) load.reads.okAfterKill++;
        } catch (err) {
          load.reads.failed.push(String((err as { code?: unknown }).code ?? err));
          await pause(50);
        }
        await pause(10);
      }
    })();

    try {
      await pollUntil(
        () => load.acked.length,
        (n) => n >= 200,
        30_000,
      );
      expect(load.acked.length).toBeGreaterThanOrEqual(200);
      expect(load.failed).toEqual([]);

      killedAt = Date.now();
      await killSandbox({ home, name: NAME });

      // The most advanced replica: the one holding (applied or received) everything the other holds.
      const status = await topologyStatus({ home, name: NAME });
      steps.push(`status +${Date.now() - killedAt} ms`);
      const held = (n: string) => {
        const s = status.nodes.find((x) => x.name === n);
        return laterOf(s?.gtid ?? null, s?.received ?? null);
      };
      const target = covers(held(R1), held(R2)) ? R1 : R2;
      promoted = await promote({
        home,
        name: NAME,
        node: target,
        timeoutMs: 30_000,
        onProgress: (e) => steps.push(`${e.step} ${e.node} +${Date.now() - killedAt} ms`),
      });
      promotedAt = Date.now();
      expect(promoted).toMatchObject({
        primary: target,
        previousPrimary: NAME,
        previousPrimaryRole: 'failed',
        repointed: [target === R1 ? R2 : R1],
        skipped: [],
      });

      // The load resumes through the same manager: the first write sent after the kill that was acknowledged.
      const resumed = await pollUntil(
        () => load.acked.find((a) => a.sentAt >= killedAt),
        (a) => a !== undefined,
        20_000,
      );
      const resumeMs = (resumed?.ackedAt ?? Number.POSITIVE_INFINITY) - killedAt;
      const readsBefore = load.reads.ok;
      await pollUntil(
        () => load.reads.ok,
        (n) => n > readsBefore + 10,
        10_000,
      );
      running = false;
      await Promise.all([writing, reading]);

      const newPrimary = promoted.primary;
      const other = newPrimary === R1 ? R2 : R1;
      const newEndpoint = name(endpoint(newPrimary));
      const ackedAfter = load.acked.filter((a) => a.sentAt >= killedAt).length;
      console.log(
        `[failover] killed ${NAME} -> promoted ${newPrimary} in ${promotedAt - killedAt} ms; ` +
          `first acknowledged write after the kill at +${resumeMs} ms (bound ${RESUME_BOUND_MS} ms); ` +
          `acknowledged ${load.acked.length} writes (${ackedAfter} after the kill), ` +
          `failed attempts ${load.failed.length} (${summarize(load.failed.map((f) => f.code))}); ` +
          `reads ok ${load.reads.ok} (${load.reads.okAfterKill} after the kill), failed ${load.reads.failed.length} (${summarize(load.reads.failed)}); ` +
          `promote steps ${steps.join(', ')}; ` +
          `primaryChange ${changes.map((c) => `${c.from ?? 'none'} -> ${c.to ?? 'none'} at +${c.at - killedAt} ms`).join(', ')}`,
      );

      expect(resumed, 'a write sent after the kill was acknowledged').toBeDefined();
      expect(resumeMs).toBeLessThanOrEqual(RESUME_BOUND_MS);
      expect(db.routingStats().primary).toBe(newEndpoint);
      expect(changes.at(-1)).toMatchObject({ to: newEndpoint });

      // 0 acknowledged writes lost: every id that returned OK is on the new primary.
      const onNew = await idsOn(newPrimary);
      const lost = load.acked.filter((a) => !onNew.has(a.id)).map((a) => a.id);
      expect(lost).toEqual([]);

      // The other replica follows the new primary: a write through the manager reaches it...
      const marker = 1_000_000;
      await db.execute('INSERT INTO load_rows (id, note, at) VALUES (?, ?, NOW(3))', [marker, 'after']);
      const onOther = await pollUntil(
        () => idsOn(other),
        (ids) => ids.has(marker),
        15_000,
      );
      expect(onOther.has(marker)).toBe(true);
      // ...with every acknowledged write of the load,
      expect(load.acked.filter((a) => !onOther.has(a.id)).map((a) => a.id)).toEqual([]);
      // ...and its replication source is the new primary.
      const after = await topologyStatus({ home, name: NAME });
      expect(after.primary).toBe(newPrimary);
      expect(after.nodes.map((n) => [n.name, n.role, n.source])).toEqual([
        [NAME, 'failed', null],
        [R1, newPrimary === R1 ? 'primary' : 'replica', newPrimary === R1 ? null : newPrimary],
        [R2, newPrimary === R2 ? 'primary' : 'replica', newPrimary === R2 ? null : newPrimary],
      ]);
      expect(after.nodes.find((n) => n.name === other)).toMatchObject({
        ioRunning: true,
        sqlRunning: true,
        readOnly: true,
      });
      // The manager reads from it again.
      const otherStats = await pollUntil(
        () => db.routingStats().nodes.find((n) => n.name === name(endpoint(other))),
        (n) => n?.inRotation === true,
        10_000,
      );
      expect(otherStats).toMatchObject({ role: 'replica', inRotation: true });
    } finally {
      running = false;
      await Promise.all([writing, reading]);
    }
  }, 120_000);
});

/** `E_X x3, E_Y x1` */
function summarize(codes: string[]): string {
  const counts = new Map<string, number>();
  for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${c} x${n}`).join(', ') || 'none';
}
