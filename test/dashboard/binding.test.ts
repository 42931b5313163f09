/**
 * Where the dashboard listens and who it lets in: loopback by default, no exposure beyond it
 * without credentials, basic auth, the Host check that defeats DNS rebinding, a taken port.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { isLoopbackHost, startDashboard } from '../../src/dashboard/index.js';
import { MysqlopsError } from '../../src/errors.js';
import { Secret } from '../../src/secret.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
let config: MysqlopsConfig;

beforeAll(async () => {
  t = await createTestDatabase('dash_bind');
  config = loadConfig({ cwd: process.cwd(), env: 'test', environ: {} });
});

afterAll(async () => {
  await t?.drop();
});

async function refusal(p: Promise<unknown>): Promise<MysqlopsError> {
  const err = await p.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MysqlopsError);
  return err as MysqlopsError;
}

describe('binding', () => {
  it('listens on 127.0.0.1 by default', async () => {
    const d = await startDashboard({ db: t.db, config, port: 0 });
    try {
      expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect((await fetch(`${d.url}api/replication`)).status).toBe(200);
    } finally {
      await d.close();
    }
  });

  it('refuses a non-loopback host without auth, with a code and a hint', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      const err = await refusal(startDashboard({ db: t.db, config, host, port: 0 }));
      expect(err.code).toBe('E_DASHBOARD_INSECURE');
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(host);
      expect(err.hint).toMatch(/token|basic/);
    }
  });

  it('serves a non-loopback host when a token is set', async () => {
    const d = await startDashboard({
      db: t.db,
      config,
      host: '0.0.0.0',
      port: 0,
      auth: { token: new Secret('t0ken-for-all-interfaces') },
    });
    try {
      const port = new URL(d.url).port;
      expect((await fetch(`http://127.0.0.1:${port}/api/overview`)).status).toBe(401);
    } finally {
      await d.close();
    }
  });

  it('refuses empty or blank credentials', async () => {
    expect(
      (await refusal(startDashboard({ db: t.db, config, port: 0, auth: { token: new Secret('') } }))).code,
    ).toBe('E_DASHBOARD_INSECURE');
    expect(
      (await refusal(startDashboard({ db: t.db, config, port: 0, auth: { token: new Secret('a b') } }))).code,
    ).toBe('E_DASHBOARD_INSECURE');
    const basic = { basic: { user: 'ops', password: new Secret('') } };
    expect((await refusal(startDashboard({ db: t.db, config, port: 0, auth: basic }))).code).toBe(
      'E_DASHBOARD_INSECURE',
    );
  });

  it('says so when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await refusal(startDashboard({ db: t.db, config, port }));
      expect(err.code).toBe('E_DASHBOARD');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(err.message).toContain('in use');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('rejects an invalid port or interval before binding anything', async () => {
    expect((await refusal(startDashboard({ db: t.db, config, port: 70_000 }))).code).toBe('E_DASHBOARD');
    const busyLoop = await refusal(startDashboard({ db: t.db, config, port: 0, sampleIntervalMs: 0 }));
    expect(busyLoop.code).toBe('E_DASHBOARD');
    expect(busyLoop.message).toContain('sampleIntervalMs');
    expect((await refusal(startDashboard({ db: t.db, config, port: 0, refreshMs: 10 }))).code).toBe(
      'E_DASHBOARD',
    );
  });
});

describe('a database without the schema', () => {
  it('says the reports and the ETL are not there instead of failing', async () => {
    const d = await startDashboard({ db: t.db, config, port: 0 });
    try {
      for (const panel of ['kpis', 'etl']) {
        const r = await fetch(`${d.url}api/${panel}`);
        expect(r.status, panel).toBe(200);
        const body = (await r.json()) as { available: boolean; reason: string };
        expect(body.available).toBe(false);
        expect(body.reason).toContain('mysqlops migrate');
      }
    } finally {
      await d.close();
    }
  });
});

describe('without auth', () => {
  it('answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const d = await startDashboard({ db: t.db, config, port: 0 });
    const port = new URL(d.url).port;
    const { request } = await import('node:http');
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/api/replication', headers: { Host: host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
      expect(await status(`localhost:${port}`)).toBe(200);
      expect(await status(`[::1]:${port}`)).toBe(200);
      expect(await status(`evil.example:${port}`)).toBe(403);
      expect(await status('127.0.0.1.evil.example')).toBe(403);
    } finally {
      await d.close();
    }
  });

  it('knows the loopback names', () => {
    for (const h of ['127.0.0.1', '127.5.6.7', '::1', '[::1]', 'localhost', 'LOCALHOST', 'app.localhost']) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '127.0.0.1.nip.io', '']) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });
});

describe('basic auth', () => {
  it('asks for credentials, refuses wrong ones, accepts the right ones', async () => {
    const password = 'b4sic-pa55word';
    const d = await startDashboard({
      db: t.db,
      config,
      port: 0,
      auth: { basic: { user: 'ops', password: new Secret(password) } },
    });
    const as = (user: string, pw: string) => ({
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` },
    });
    try {
      const none = await fetch(d.url, { redirect: 'manual' });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="mysqlops"/);
      const noneText = await none.text();
      expect(noneText).not.toContain(password);
      expect((await fetch(d.url, as('ops', 'wrong'))).status).toBe(401);
      expect((await fetch(d.url, as('root', password))).status).toBe(401);
      expect((await fetch(d.url, { headers: { Authorization: `Bearer ${password}` } })).status).toBe(401);
      const ok = await fetch(d.url, as('ops', password));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('id="health-table"');
      // Basic auth has no login form.
      expect((await fetch(`${d.url}login`, as('ops', password))).status).toBe(404);
    } finally {
      await d.close();
    }
  });
});

describe('close', () => {
  it('stops listening, even with a browser-style keep-alive connection open', async () => {
    const d = await startDashboard({ db: t.db, config, port: 0 });
    const keep = await fetch(`${d.url}healthz`, { headers: { Connection: 'keep-alive' } });
    expect(keep.status).toBe(200);
    await d.close();
    await expect(fetch(`${d.url}healthz`)).rejects.toThrow();
    await d.close(); // idempotent
  });
});
