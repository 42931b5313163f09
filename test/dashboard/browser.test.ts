/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) signs in through the form, sees the health table fill and the charts render
 * with data, without a single console error (CSP violations included), and saves a screenshot to
 * test-artifacts/dashboard.png.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../src/dashboard/index.js';
import { Secret } from '../../src/secret.js';
import { type DashboardFixture, dashboardFixture, eventually } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const TOKEN = 'browser-test-token-3e9d1f';
const CHARTS = [
  'chart-connections',
  'chart-qps',
  'chart-threads',
  'chart-revenue',
  'chart-segments',
  'chart-products',
];

// Run in the page (as source text: this file is compiled without the DOM's types).
const CHART_POINTS = `Object.fromEntries(${JSON.stringify(CHARTS)}.map((id) => {
  const c = Chart.getChart(id);
  return [id, c ? c.data.datasets[0].data.filter((v) => v !== null).length : 0];
}))`;
const PAINTED_PIXELS = `${JSON.stringify(CHARTS)}.map((id) => {
  const canvas = document.getElementById(id);
  const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  return n;
})`;

/**
 * Poll `expression` in the page until it is true. Not waitForFunction: its string form compiles the
 * expression inside the page, which the dashboard's CSP (rightly) forbids.
 */
function until(page: Page, expression: string, what: string): Promise<true> {
  return eventually(
    async () => ((await page.evaluate(expression)) === true ? true : undefined),
    what,
    30_000,
  );
}

let f: DashboardFixture;
let dash: Dashboard;
let browser: Browser;

beforeAll(async () => {
  f = await dashboardFixture('dash_browser');
  dash = await startDashboard({
    db: f.t.db,
    config: f.config,
    port: 0,
    auth: { token: new Secret(TOKEN) },
    sampleIntervalMs: 250,
    refreshMs: 500,
  });
  // --no-sandbox: test machines run as root, where Chromium's sandbox refuses to start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await f?.cleanup();
});

describe('dashboard in Chromium', () => {
  it('signs in, shows the health table and live charts with data, and logs no errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));

    await page.goto(dash.url);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('#token', TOKEN);
    await Promise.all([page.waitForURL(dash.url), page.click('button[type=submit]')]);

    await page.waitForSelector('#health-table tbody tr');
    const rows = await page.$$eval('#health-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.join('\n')).toContain('Server reachable');
    expect(await page.textContent('#overall')).toMatch(/^(ok|warning|critical|unknown)$/);

    // Every chart exists with data points; QPS needs two samples, so wait for the polling to bring them.
    await until(page, `Object.values(${CHART_POINTS}).every((n) => n > 0)`, 'six charts with data');
    const points = (await page.evaluate(CHART_POINTS)) as Record<string, number>;
    for (const id of CHARTS) expect(points[id], id).toBeGreaterThan(0);
    expect(points['chart-products']).toBe(10);
    expect(points['chart-revenue']).toBeGreaterThan(1);

    // Rendered, not just configured: the canvases have painted pixels.
    const painted = (await page.evaluate(PAINTED_PIXELS)) as number[];
    for (const [i, n] of painted.entries()) expect(n, CHARTS[i]).toBeGreaterThan(100);

    // The other panels filled from real data.
    await until(page, "document.querySelector('#queries-table tbody').children.length > 0", 'top queries');
    expect(await page.textContent('#replication')).toContain('Not a replica');
    expect(await page.textContent('#backups')).toContain(f.backupId);
    expect(await page.textContent('#etl')).toContain('daily_sales_summary');

    // Live: the page keeps refreshing without a reload.
    const before = Number(await page.getAttribute('body', 'data-refreshed'));
    await until(page, `Number(document.body.dataset.refreshed) > ${before + 1}`, 'two more refreshes');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    expect(problems).toEqual([]);
    await page.close();
  });
});
