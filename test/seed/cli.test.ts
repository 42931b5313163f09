/**
 * `mysqlops seed` as a user meets it (a real process, real exit codes), and the progress bar it
 * draws.
 */

import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import { ProgressBar } from '../../src/cli/progress.js';
import { SEED_TABLES } from '../../src/seed/index.js';
import { type CliRun, runCliOnSandbox } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

const cli = runCliOnSandbox;
type Run = CliRun;

describe('mysqlops seed', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createMigratedDatabase('seed_cli');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('--json prints one document: rows per table, total, seconds, rows/s; no progress on stderr', async () => {
    const r = await cli(
      ['seed', '--customers', '50', '--orders', '120', '--products', '20', '--seed', '9', '--json'],
      {
        DB_NAME: t.name,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: true,
      database: t.name,
      seed: '9',
      customers: 50,
      orders: 120,
      products: 20,
      endDate: '2025-12-31',
      years: 3,
    });
    expect(doc.tables.map((x: { table: string }) => x.table)).toEqual([...SEED_TABLES]);
    for (const x of doc.tables) {
      expect(Number.isInteger(x.rows) && x.rows > 0).toBe(true);
      expect(typeof x.loadSeconds).toBe('number');
    }
    expect(doc.totalRows).toBe(doc.tables.reduce((s: number, x: { rows: number }) => s + x.rows, 0));
    expect(doc.seconds).toBeGreaterThan(0);
    expect(doc.rowsPerSecond).toBeGreaterThan(0);
  });

  it('refuses to seed again (exit 1) with one line naming the tables and the fix', async () => {
    const r = await inProcess(['seed', '--customers', '50', '--orders', '120'], { DB_NAME: t.name });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: database .* already holds data .*customers.*fix:/);
  });

  it('bad flags are usage errors (exit 2) named in one line, before connecting', async () => {
    const words = await inProcess(['seed', '--customers', 'lots'], { DB_NAME: 'never_used' });
    const ranges = await inProcess(['seed', '--end-date', '2025-02-30', '--years', '0'], {
      DB_NAME: 'never_used',
    });
    for (const r of [words, ranges]) {
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(words.stderr).toContain('--customers must be a whole number');
    expect(ranges.stderr).toMatch(/years must be an integer from 1 to 10.*endDate must be a real date/);
  });

  it('--help names the defaults and the refusal', () => {
    const help =
      buildProgram()
        .program.commands.find((c) => c.name() === 'seed')
        ?.helpInformation() ?? '';
    expect(help).toContain('default 1,000');
    expect(help).toContain('default 3,000');
    expect(help).toContain('2025-12-31');
    expect(help).toContain('--end-date');
  });
});

/** The CLI's main() in this process (fast), with its own environment and stderr captured. */
async function inProcess(args: string[], env: Record<string, string>): Promise<Run> {
  const { home, name } = inject('sandbox');
  // Like the spawned CLI: no connection settings from the developer's shell.
  const cleared = Object.keys(process.env).filter((k) => /^(DB_|MYSQLOPS_)/.test(k));
  const vars: Record<string, string | undefined> = {
    ...Object.fromEntries(cleared.map((k) => [k, undefined])),
    MYSQLOPS_HOME: home,
    MYSQLOPS_SANDBOX: name,
    ...env,
  };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  setEnv(vars);
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'mysqlops', ...args]);
    return { code, stdout, stderr };
  } finally {
    err.mockRestore();
    out.mockRestore();
    setEnv(saved);
  }
}

function setEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

class FakeStream {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

describe('ProgressBar', () => {
  it('redraws one line in place on a TTY, at most every interval, with messages above it', () => {
    const stream = new FakeStream(true);
    let clock = 0;
    const bar = new ProgressBar('seeding', { enabled: true, stream, intervalMs: 100, now: () => clock });
    bar.update(10, 100, 'customers');
    clock = 50;
    bar.update(20, 100, 'customers'); // too soon: skipped
    clock = 150;
    bar.update(50, 100, 'orders');
    bar.log('customers: 100 rows');
    bar.finish();
    const frames = stream.text.split('\r\x1b[2K').filter(Boolean);
    expect(frames[0]).toMatch(/^seeding \[##\.+\] 10% 10\/100 customers 0\.0s$/);
    expect(stream.text).not.toContain('20/100');
    expect(stream.text).toContain('50% 50/100 orders');
    expect(stream.text).toContain('\r\x1b[2Kcustomers: 100 rows\n');
    expect(stream.text.endsWith('\n')).toBe(true);
  });

  it('prints plain lines every 10% when not on a TTY', () => {
    const stream = new FakeStream(false);
    const bar = new ProgressBar('seeding', { enabled: true, stream, now: () => 0 });
    for (let i = 0; i <= 100; i += 5) bar.update(i, 100);
    bar.finish();
    const lines = stream.text.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('… seeding 100% 100/100 0.0s');
    expect(stream.text).not.toContain('\r');
  });

  it('prints nothing when disabled (--json, --quiet)', () => {
    const stream = new FakeStream(true);
    const bar = new ProgressBar('seeding', { enabled: false, stream });
    bar.update(1, 2);
    bar.log('x');
    bar.finish();
    expect(stream.text).toBe('');
  });
});
