/**
 * `mysqlops serve` and the end of `mysqlops up`: one process with the dashboard, /metrics, the
 * scheduler and the alert loop on a real database; closed by close() or a signal; a taken port or
 * an unusable token file fails cleanly.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAuditIfInstalled } from '../../src/audit/index.js';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { MysqlopsError } from '../../src/errors.js';
import { runEtl } from '../../src/etl/index.js';
import { seed } from '../../src/seed/index.js';
import { type ServeEvent, startServe } from '../../src/serve/index.js';
import { runCli, sandboxEnv, spawnCli } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let home: string;

beforeAll(async () => {
  t = await createMigratedDatabase('serve');
  home = mkdtempSync(path.join(tmpdir(), 'mysqlops-serve-'));
  await applyAuditIfInstalled(t.db);
  await seed(t.config(), { customers: 60, orders: 200, products: 10, seed: 3 });
  await runEtl(t.config(), { full: true });
});

afterAll(async () => {
  await t?.drop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** The environment a user would set: the test sandbox, this database, backups in the temp home. */
function environ(more: Record<string, string> = {}): Record<string, string> {
  return { ...sandboxEnv(), DB_NAME: t.name, BACKUP_DIR: path.join(home, 'backups'), ...more };
}

function configWith(more: Record<string, string> = {}): MysqlopsConfig {
  return loadConfig({ cwd: home, env: 'test', environ: environ(more) });
}

describe('startServe', () => {
  it('serves the dashboard and /metrics, schedules the jobs, and closes', async () => {
    const handle = await startServe(configWith(), { port: 0 });
    try {
      expect(handle.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(handle.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);

      const metrics = await (await fetch(`${handle.url}metrics`)).text();
      expect(metrics).toMatch(/^mysql_up 1$/m);
      expect(metrics).toMatch(/^mysqlops_health_check_status\{check="connections"\} \d$/m);

      const jobs = handle.jobs.map((j) => j.job);
      expect(jobs).toEqual(
        expect.arrayContaining([
          'etl:customer_order_summary',
          'etl:product_performance_summary',
          'etl:daily_sales_summary',
          'etl:customer_cohort_analysis',
          'audit:seal',
        ]),
      );
      expect(jobs).toEqual(expect.arrayContaining(['backup:full', 'backup:incremental', 'maintenance']));
      for (const j of handle.jobs) expect(j.at?.getTime()).toBeGreaterThan(Date.now() - 1000);
    } finally {
      await handle.close();
    }
    await expect(fetch(handle.url)).rejects.toThrow();
  });

  it('runs the scheduled jobs: an ETL pipeline and the audit seal', async () => {
    const events: ServeEvent[] = [];
    const handle = await startServe(configWith(), { port: 0, onEvent: (e) => events.push(e) });
    try {
      const before = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_runs');
      const pending = await t.db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM audit_log WHERE seal_id IS NULL',
      );
      expect(Number(pending[0]?.n)).toBeGreaterThan(0);
      await handle.runJob('etl:daily_sales_summary');
      await handle.runJob('audit:seal');
      const after = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_runs');
      // The real schedules keep running meanwhile (a quarter hour may strike during the test), so
      // more runs than ours may show up; ours must be among them, in order.
      expect(Number(after[0]?.n)).toBeGreaterThanOrEqual(Number(before[0]?.n) + 1);
      const finished = events.flatMap((e) =>
        e.type === 'job' && e.event.type === 'finished' ? [e.event.job] : [],
      );
      expect(finished.indexOf('etl:daily_sales_summary')).toBeGreaterThanOrEqual(0);
      expect(finished.lastIndexOf('audit:seal')).toBeGreaterThan(finished.indexOf('etl:daily_sales_summary'));
      const unsealed = await t.db.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM audit_log WHERE seal_id IS NULL',
      );
      expect(Number(unsealed[0]?.n)).toBe(0);
      // The alert loop evaluated the shared health report once at start.
      await expect.poll(() => events.some((e) => e.type === 'alerts'), { timeout: 20_000 }).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('asks for the token when one is configured', async () => {
    const tokenFile = path.join(home, 'token');
    writeFileSync(tokenFile, 'serve-test-token-0123456789abcdef\n', { mode: 0o600 });
    const handle = await startServe(configWith({ SERVE_TOKEN_FILE: tokenFile }), {
      port: 0,
      schedule: false,
    });
    try {
      expect((await fetch(`${handle.url}metrics`)).status).toBe(401);
      const ok = await fetch(`${handle.url}metrics`, {
        headers: { authorization: 'Bearer serve-test-token-0123456789abcdef' },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^mysql_up 1$/m);
    } finally {
      await handle.close();
    }
  });

  it('refuses a short token and a missing token file before opening anything', async () => {
    const short = path.join(home, 'short-token');
    writeFileSync(short, 'abc', { mode: 0o600 });
    const err = await startServe(configWith({ SERVE_TOKEN_FILE: short }), { port: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(MysqlopsError);
    expect(err.code).toBe('E_CONFIG');
    expect(err.message).toMatch(/shorter than 16/);
    expect(err.message).not.toContain('abc');

    const missing = await startServe(configWith({ SERVE_TOKEN_FILE: path.join(home, 'nope') }), {
      port: 0,
    }).catch((e) => e);
    expect(missing).toBeInstanceOf(MysqlopsError);
    expect(missing.exitCode).toBe(2);
  });

  it('fails with a clear error when the port is taken, leaving nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startServe(configWith(), { port }).catch((e) => e);
      expect(err).toBeInstanceOf(MysqlopsError);
      expect(err.message).toMatch(String(port));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('a non-loopback host without a token, or a bad port, is a configuration error', () => {
    expect(() => configWith({ SERVE_HOST: '0.0.0.0' })).toThrow(/SERVE_TOKEN_FILE/);
    expect(() => configWith({ SERVE_PORT: '80000' })).toThrow(/SERVE_PORT/);
    expect(configWith({ SERVE_HOST: 'localhost', SERVE_PORT: '0' }).serve).toMatchObject({
      host: 'localhost',
      port: 0,
    });
  });
});

/** Start the CLI and resolve with the first stdout JSON document, the process still running. */
async function startCli(
  args: string[],
): Promise<{ child: ChildProcess; doc: Record<string, unknown>; stderr: () => string }> {
  const child = spawnCli(args, environ());
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const doc = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no JSON from mysqlops ${args.join(' ')}: ${stderr}`)),
      50_000,
    );
    child.stdout.on('data', (d) => {
      stdout += d;
      try {
        const parsed = JSON.parse(stdout);
        clearTimeout(timer);
        resolve(parsed);
      } catch {
        // not complete yet
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mysqlops ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
  return { child, doc, stderr: () => stderr };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the CLI', () => {
  it('mysqlops serve runs until SIGTERM and exits 0', async () => {
    const { child, doc } = await startCli(['serve', '--port', '0', '--json']);
    try {
      expect(doc.ok).toBe(true);
      const url = String(doc.url);
      expect((await fetch(`${url}metrics`)).status).toBe(200);
      const exited = exitCode(child);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('mysqlops up ends by serving, and stops on Ctrl-C', async () => {
    const { child, doc } = await startCli(['up', '--port', '0', '--json']);
    try {
      expect(doc.ok).toBe(true);
      const serving = doc.serving as { url: string };
      expect((await fetch(serving.url)).status).toBe(200);
      const exited = exitCode(child);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('rejects a bad --port with exit 2', async () => {
    const r = await runCli(['serve', '--port', 'eighty'], environ());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port expects 0-65535/);
  });
});
