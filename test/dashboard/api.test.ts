/**
 * The dashboard's HTTP API against the real sandbox: JSON shapes carrying the seeded shop's real
 * numbers, token auth (header, login form, cookie), security headers, static files, and that the
 * token never appears in any response or in what the dashboard reports.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../src/dashboard/index.js';
import { MysqlopsError } from '../../src/errors.js';
import { Secret } from '../../src/secret.js';
import {
  type DashboardFixture,
  dashboardFixture,
  eventually,
  everything,
  recordingFetch,
  type Seen,
} from './helpers.js';

const TOKEN = 'dash-test-token-5f1c9a7e2b';
const seen: Seen[] = [];
const get = recordingFetch(seen);
const reported: unknown[] = [];
const bearer = { headers: { Authorization: `Bearer ${TOKEN}` } };

let f: DashboardFixture;
let dash: Dashboard;
let url: string;

beforeAll(async () => {
  f = await dashboardFixture('dash_api');
  dash = await startDashboard({
    db: f.t.db,
    config: f.config,
    port: 0,
    auth: { token: new Secret(TOKEN) },
    sampleIntervalMs: 200,
    refreshMs: 1000,
    metrics: { contentType: 'text/plain; version=0.0.4', render: async () => 'mysql_up 1\n' },
    onError: (err, where) => reported.push({ err, where }),
  });
  url = dash.url;
});

afterAll(async () => {
  await dash?.close();
  await f?.cleanup();
});

const api = async (name: string) => {
  const r = await get(`${url}api/${name}`, bearer);
  expect(r.status, r.text).toBe(200);
  return JSON.parse(r.text);
};

describe('authentication', () => {
  it('refuses the API without a token and with a wrong one, and answers with the right one', async () => {
    const none = await get(`${url}api/health`);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe('E_DASHBOARD_AUTH');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await get(`${url}api/health`, { headers: { Authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const short = await get(`${url}api/health`, { headers: { Authorization: 'Bearer d' } });
    expect(short.status).toBe(401);
    const basic = await get(`${url}api/health`, {
      headers: { Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    expect((await get(`${url}api/health`, bearer)).status).toBe(200);
  });

  it('sends a browser without a session to the login form, and the page itself needs auth', async () => {
    const page = await get(url);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    const form = await get(`${url}login`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('name="token"');
    const withToken = await get(url, bearer);
    expect(withToken.status).toBe(200);
    expect(withToken.text).toContain('id="chart-connections"');
  });

  it('signs in through the form with a cookie that is not the token, and signs out', async () => {
    const body = (token: string) => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    const bad = await get(`${url}login`, body('nope'));
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('not valid');
    expect(bad.headers.get('set-cookie')).toBeNull();

    const good = await get(`${url}login`, body(TOKEN));
    expect(good.status).toBe(303);
    const cookie = good.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^mysqlops_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict/);
    const session = { headers: { Cookie: cookie.split(';')[0] as string } };
    expect((await get(`${url}api/overview`, session)).status).toBe(200);
    expect((await get(url, session)).status).toBe(200);

    const forged = await get(`${url}api/overview`, { headers: { Cookie: 'mysqlops_session=forged' } });
    expect(forged.status).toBe(401);

    const crossSite = await get(`${url}logout`, {
      method: 'POST',
      headers: { ...session.headers, Origin: 'http://evil.example' },
    });
    expect(crossSite.status).toBe(403);
    const out = await get(`${url}logout`, { method: 'POST', headers: session.headers });
    expect(out.status).toBe(303);
    expect((await get(`${url}api/overview`, session)).status).toBe(401);
  });

  it('refuses a login form posted from another site', async () => {
    const r = await get(`${url}login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' },
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('set-cookie')).toBeNull();
  });

  it('serves /metrics behind the same auth', async () => {
    expect((await get(`${url}metrics`)).status).toBe(401);
    const m = await get(`${url}metrics`, bearer);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(m.text).toBe('mysql_up 1\n');
  });

  it('answers /healthz without auth, with nothing about the server in it', async () => {
    const r = await get(`${url}healthz`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: 'ok' });
  });
});

describe('panels', () => {
  it('overview names the server', async () => {
    const o = await api('overview');
    expect(o.server.version).toMatch(/^\d+\.\d+/);
    expect(o.server.uptimeSeconds).toBeGreaterThan(0);
    expect(o.refreshMs).toBe(1000);
    expect(o.auth).toBe('token');
  });

  it('health lists checks with a status, value, threshold and hint', async () => {
    const h = await api('health');
    expect(['ok', 'warning', 'critical', 'unknown']).toContain(h.status);
    expect(h.checks.length).toBeGreaterThan(0);
    for (const c of h.checks) {
      expect(c).toMatchObject({
        name: expect.any(String),
        title: expect.any(String),
        hint: expect.any(String),
      });
      expect(['ok', 'warning', 'critical', 'unknown']).toContain(c.status);
      expect(c).toHaveProperty('value');
      expect(c).toHaveProperty('threshold');
    }
    const check = (name: string) => h.checks.find((c: { name: string }) => c.name === name);
    // The run's sandbox started moments ago, which the restart detection rightly flags.
    expect(['ok', 'warning']).toContain(check('server')?.status);
    expect(check('server')?.value).toBeGreaterThan(0);
    // The configuration reaches the checks: this fixture's verified backup and ETL runs are fresh.
    expect(check('backup_freshness')?.status).toBe('ok');
    expect(check('etl_freshness')?.status).toBe('ok');
  });

  it('series fills with connections, threads running and a QPS computed from two samples', async () => {
    const s = await eventually(async () => {
      const v = await api('series');
      return v.samples.length >= 3 ? v : undefined;
    }, 'three status samples');
    expect(s.intervalMs).toBe(200);
    expect(s.maxConnections).toBeGreaterThan(0);
    expect(s.error).toBeNull();
    expect(s.samples[0].qps).toBeNull();
    for (const p of s.samples.slice(1)) {
      // The sampler's own SHOW GLOBAL STATUS counts as a question, so the rate is never zero.
      expect(p.qps).toBeGreaterThan(0);
      expect(p.connections).toBeGreaterThanOrEqual(1);
      expect(p.threadsRunning).toBeGreaterThanOrEqual(1);
      expect(Number.isNaN(Date.parse(p.at))).toBe(false);
    }
  });

  it('KPIs carry the reports: revenue per day, segments, top products', async () => {
    const k = await api('kpis');
    expect(k.available).toBe(true);
    const [days] = await f.t.db.query<{ span: number; last: string; revenue: string }>(
      `SELECT DATEDIFF(MAX(sales_date), MIN(sales_date)) + 1 AS span, DATE_FORMAT(MAX(sales_date), '%Y-%m-%d') AS last,
         (SELECT CAST(SUM(net_revenue) AS CHAR) FROM daily_sales_summary d
           WHERE d.sales_date > (SELECT MAX(sales_date) - INTERVAL 30 DAY FROM daily_sales_summary)) AS revenue
       FROM daily_sales_summary`,
    );
    // Every calendar day of the window, days without sales as zeros.
    expect(k.revenueByDay.length).toBe(Math.min(30, Number(days?.span)));
    expect(k.revenueByDay.at(-1).date).toBe(days?.last);
    const sum = k.revenueByDay.reduce((n: number, d: { netRevenue: number }) => n + d.netRevenue, 0);
    expect(sum).toBeCloseTo(Number(days?.revenue), 2);
    expect(k.revenueByDay.some((d: { netRevenue: number }) => d.netRevenue > 0)).toBe(true);

    const [customers] = await f.t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM customer_order_summary');
    const segmentTotal = k.segments.reduce((n: number, s: { customers: number }) => n + s.customers, 0);
    expect(segmentTotal).toBe(Number(customers?.n));
    expect(segmentTotal).toBeGreaterThan(0);

    expect(k.topProducts.length).toBe(10);
    const [best] = await f.t.db.query<{ id: number }>(
      'SELECT product_id AS id FROM product_performance_summary ORDER BY revenue DESC, product_id LIMIT 1',
    );
    expect(k.topProducts[0].productId).toBe(Number(best?.id));
    const revenues = k.topProducts.map((p: { revenue: number }) => p.revenue);
    expect([...revenues].sort((a, b) => b - a)).toEqual(revenues);
  });

  it('top queries list statements without their values, costliest first', async () => {
    await f.t.db.query("SELECT COUNT(*) FROM customers WHERE email = 'secret-value@example.com'");
    const q = await api('queries?limit=5');
    expect(['performance_schema', 'this process']).toContain(q.source);
    expect(q.rows.length).toBeGreaterThan(0);
    expect(q.rows.length).toBeLessThanOrEqual(5);
    const totals = q.rows.map((r: { totalMs: number }) => r.totalMs);
    expect([...totals].sort((a, b) => b - a)).toEqual(totals);
    expect(JSON.stringify(q)).not.toContain('secret-value');
  });

  it('replication says the sandbox is not a replica', async () => {
    expect(await api('replication')).toEqual({ role: 'not a replica', replicas: 0 });
  });

  it('backups show the verified full backup, without its path', async () => {
    const b = await api('backups');
    expect(b.count).toBe(1);
    expect(b.latest).toMatchObject({ id: f.backupId, type: 'full', complete: true });
    expect(b.lastVerifiedFull.id).toBe(f.backupId);
    expect(Date.parse(b.lastVerifiedFull.verifiedAt)).toBeGreaterThan(0);
    expect(JSON.stringify(b)).not.toContain(String(f.config.backup.dir));
    expect(f.config.backup.dir).toBeTruthy();
  });

  it('ETL shows the four built pipelines and their runs', async () => {
    const e = await api('etl');
    expect(e.available).toBe(true);
    expect(e.pipelines.map((p: { pipeline: string }) => p.pipeline).sort()).toEqual([
      'customer_cohort_analysis',
      'customer_order_summary',
      'daily_sales_summary',
      'product_performance_summary',
    ]);
    expect(e.pipelines.every((p: { built: boolean }) => p.built)).toBe(true);
    expect(e.runs.length).toBeGreaterThanOrEqual(4);
    expect(e.runs.every((r: { status: string }) => r.status === 'success')).toBe(true);
  });
});

describe('files and headers', () => {
  it('serves Chart.js from node_modules, byte for byte', async () => {
    const r = await fetch(`${url}static/chart.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/javascript/);
    const main = createRequire(import.meta.url).resolve('chart.js');
    const expected = readFileSync(path.join(path.dirname(main), 'chart.umd.min.js'));
    expect(Buffer.from(await r.arrayBuffer()).equals(expected)).toBe(true);
  });

  it('answers 404 for unknown routes and files, and 405 for other methods', async () => {
    expect((await get(`${url}nope`, bearer)).status).toBe(404);
    expect((await get(`${url}api/nope`, bearer)).status).toBe(404);
    expect((await get(`${url}api/constructor`, bearer)).status).toBe(404);
    expect((await get(`${url}static/constructor`)).status).toBe(404);
    expect((await get(`${url}static/nope.js`)).status).toBe(404);
    expect((await get(`${url}static/..%2F..%2Fpackage.json`)).status).toBe(404);
    const del = await get(`${url}api/health`, { ...bearer, method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD');
  });

  it('sends a CSP without inline scripts, and never caches API answers', async () => {
    const page = await get(url, bearer);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.text).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=/i);
    const apiRes = await get(`${url}api/health`, bearer);
    expect(apiRes.headers.get('cache-control')).toBe('no-store');
    expect(apiRes.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });
});

describe('a failing source', () => {
  it('fails only its panel, with a coded error, and is reported to onError', async () => {
    const errors: { where: string }[] = [];
    const broken = await startDashboard({
      db: f.t.db,
      config: f.config,
      port: 0,
      sources: {
        replication: async () => {
          throw new MysqlopsError({
            code: 'E_QUERY',
            message: 'replica status unavailable',
            hint: 'grant it',
          });
        },
        etl: async () => {
          throw new Error(`internal detail ${TOKEN}`);
        },
      },
      onError: (_err, where) => errors.push({ where }),
    });
    try {
      const r = await get(`${broken.url}api/replication`);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.text)).toEqual({
        error: { code: 'E_QUERY', message: 'replica status unavailable', hint: 'grant it' },
      });
      const hidden = await get(`${broken.url}api/etl`);
      expect(hidden.status).toBe(503);
      expect(JSON.parse(hidden.text).error.code).toBe('E_INTERNAL');
      expect((await get(`${broken.url}api/kpis`)).status).toBe(200);
      expect(errors.map((e) => e.where).sort()).toEqual(['api/etl', 'api/replication']);
    } finally {
      await broken.close();
    }
  });
});

describe('secrets', () => {
  it('never sends the token in any response, nor reports it', () => {
    expect(seen.length).toBeGreaterThan(20);
    const all = everything(seen);
    expect(all).not.toContain(TOKEN);
    expect(inspect(reported, { depth: 10 })).not.toContain(TOKEN);
  });
});
