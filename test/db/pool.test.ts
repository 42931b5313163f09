/**
 * The pool under network trouble and at shutdown: dead idle connections, peers that stop answering,
 * servers that accept but never greet, a full pool, and close() with callers still waiting.
 * A TCP proxy between client and server breaks connections the way networks do.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseManager, type DatabaseManagerConfig } from '../../src/db/index.js';
import type { MysqlopsError } from '../../src/errors.js';
import { sandboxConfig, sandboxEndpoint } from '../support/db.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let proxy: TcpProxy;

beforeEach(async () => {
  const sb = sandboxEndpoint();
  proxy = await startTcpProxy({ host: sb.host, port: sb.port });
});

afterEach(async () => {
  await proxy.close();
});

function viaProxy(pool: DatabaseManagerConfig['pool'], connectTimeoutMs = 5000): DatabaseManagerConfig {
  const sb = sandboxEndpoint();
  return {
    connection: {
      host: '127.0.0.1',
      port: proxy.port,
      user: 'root',
      password: sb.password,
      connectTimeoutMs,
    },
    pool,
  };
}

describe('checkout after idle', () => {
  it('pings an idle connection and replaces it when it died silently (no statement fails)', async () => {
    const db = new DatabaseManager(viaProxy({ size: 1, idleCheckMs: 0, acquireTimeoutMs: 2000 }));
    let reconnects = 0;
    db.on('reconnect', () => reconnects++);
    await db.execute('DO 1');
    // The server side is gone; the client finds out only when it next writes.
    proxy.breakOpenConnections('reset-on-write');
    // Not read-only, so it would never be re-sent: only the ping on checkout can save it.
    await expect(db.execute('DO 2')).resolves.toMatchObject({ affectedRows: 0 });
    expect(reconnects).toBe(1);
    expect(proxy.accepted).toBe(2);
    await db.close();
  });

  it('gives up on a ping that gets no answer when the acquire deadline passes', async () => {
    const db = new DatabaseManager(viaProxy({ size: 1, idleCheckMs: 0, acquireTimeoutMs: 400 }));
    await db.execute('DO 1');
    proxy.breakOpenConnections('blackhole');
    const started = Date.now();
    const err = (await db.execute('DO 2').catch((e: unknown) => e)) as MysqlopsError;
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err.code).toBe('E_CONNECT');
    expect(err.message).toContain(`127.0.0.1:${proxy.port}`);
    expect(db.poolStats()).toMatchObject({ inUse: 0, size: 0 });
    // The silent connection was dropped; the next caller gets a fresh one.
    await expect(db.execute('DO 3')).resolves.toBeDefined();
    await db.close();
  });
});

describe('waiting for a connection', () => {
  it('a server that accepts but never answers is a connect error, not "all connections in use"', async () => {
    proxy.silenceNewConnections();
    const db = new DatabaseManager(viaProxy({ size: 4, acquireTimeoutMs: 300 }, 10_000));
    const started = Date.now();
    const err = (await db.query('SELECT 1').catch((e: unknown) => e)) as MysqlopsError;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.code).toBe('E_CONNECT');
    expect(err.message).toContain(`cannot connect to 127.0.0.1:${proxy.port}`);
    expect(err.message).not.toContain('in use');
    expect(err.hint).toContain('DB_HOST');
    await db.close();
  });

  it('a full pool is E_POOL_TIMEOUT with the real figures', async () => {
    const db = new DatabaseManager(sandboxConfig({ pool: { size: 2, acquireTimeoutMs: 300 } }));
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const busy = [db.transaction(() => held), db.transaction(() => held)];
    await new Promise((r) => setTimeout(r, 100));
    const waiting = [db.query('SELECT 1'), db.query('SELECT 2')].map((p) => p.catch((e: unknown) => e));
    const [a, b] = (await Promise.all(waiting)) as MysqlopsError[];
    expect(a?.code).toBe('E_POOL_TIMEOUT');
    expect(a?.message).toMatch(/within 300 ms \(all 2 of 2 connections in use, [12] callers? waiting\)/);
    expect(b?.code).toBe('E_POOL_TIMEOUT');
    release();
    await Promise.all(busy);
    await db.close();
  });
});

describe('close()', () => {
  it('rejects queued callers with E_POOL_CLOSED, and a second concurrent close waits like the first', async () => {
    const db = new DatabaseManager(sandboxConfig({ pool: { size: 1 } }));
    await db.initialize();
    const events: string[] = [];
    const running = db.query('SELECT SLEEP(0.4) AS s').then(() => events.push('running done'));
    await new Promise((r) => setTimeout(r, 50));
    const queued = db.query('SELECT 1').catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const first = db.close().then(() => events.push('first close'));
    const second = db.close().then(() => events.push('second close'));
    expect(((await queued) as MysqlopsError).code).toBe('E_POOL_CLOSED');
    await Promise.all([first, second, running]);
    expect(events[0]).toBe('running done');
    expect(events.slice(1).sort()).toEqual(['first close', 'second close']);
    expect(db.poolStats().inUse).toBe(0);
  });
});
