/**
 * States kept between one-shot runs: the state file, its lock, and `checkAlerts()` carrying a `for`
 * wait and "already notified" from one run (a fresh engine, as from cron) to the next.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAlerts } from '../../src/alert/engine.js';
import { FileAlertStore } from '../../src/alert/store.js';
import type { AlertCheck, AlertSample } from '../../src/alert/types.js';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { MysqlopsError } from '../../src/errors.js';
import { type FakeSlack, startFakeSlack } from './channels.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const MIN = 60_000;
const deadlocks = (status: AlertCheck['status']): AlertCheck => ({
  name: 'deadlocks',
  title: 'Deadlocks',
  status,
  value: status === 'ok' ? 0 : 14,
  unit: '/min',
  threshold: '>= 1/min warning, >= 10/min critical',
  hint: 'SHOW ENGINE INNODB STATUS shows the latest deadlock',
});
const sample = (minutes: number, status: AlertCheck['status']): AlertSample => ({
  at: new Date(T0 + minutes * MIN),
  checks: [deadlocks(status)],
});

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-alerts-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
async function slack(): Promise<FakeSlack> {
  const s = await startFakeSlack();
  cleanup.push(s.close);
  return s;
}

/** A config as `alerts check` gets it: default rules, Slack from SLACK_WEBHOOK, state file in `dir`. */
function config(dir: string, webhook: string): MysqlopsConfig {
  writeFileSync(path.join(dir, 'mysqlops.config.yaml'), 'alerts:\n  deliveryBackoffMs: 5\n');
  return loadConfig({ cwd: dir, environ: { SLACK_WEBHOOK: webhook } });
}

describe('FileAlertStore', () => {
  it('starts empty, then round-trips states through a 0600 file', async () => {
    const file = path.join(tempDir(), 'deep', 'state.json');
    const store = new FileAlertStore(file);
    expect(await store.load()).toEqual({});
    const state = {
      key: 'r',
      rule: 'r',
      check: 'server',
      metric: null,
      state: 'pending' as const,
      severity: 'critical' as const,
      summary: 's',
      hint: 'h',
      value: 1,
      unit: null,
      threshold: null,
      labels: {},
      activeSince: '2026-12-01T10:00:00.000Z',
      firingSince: null,
      resolvedAt: null,
      lastEvaluatedAt: '2026-12-01T10:00:00.000Z',
      notified: null,
      lastNotifiedAt: null,
    };
    await store.save({ r: state });
    expect(await new FileAlertStore(file).load()).toEqual({ r: state });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged state file with E_ALERT_STATE instead of forgetting every alert', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.json');
    for (const content of [
      '{"version":1,"alerts":',
      '{"version":9,"alerts":{}}',
      '{"version":1,"alerts":{"a":{"key":"b"}}}',
    ]) {
      writeFileSync(file, content);
      const err = await new FileAlertStore(file).load().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MysqlopsError);
      expect((err as MysqlopsError).code).toBe('E_ALERT_STATE');
      expect((err as MysqlopsError).hint).toMatch(/delete it to start afresh/);
    }
  });

  it('lets one run at a time hold the lock, and takes over the lock of a dead run', async () => {
    const file = path.join(tempDir(), 'state.json');
    const store = new FileAlertStore(file);
    const inner = await store.withLock(async () => {
      const err = await new FileAlertStore(file).withLock(async () => 'second').catch((e: unknown) => e);
      return err;
    });
    expect((inner as MysqlopsError).code).toBe('E_ALERT_LOCKED');
    expect(existsSync(`${file}.lock`)).toBe(false);

    // A process that has exited: its pid is free.
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(`${file}.lock`, `${dead}\n`);
    expect(await store.withLock(async () => 'taken over')).toBe('taken over');
  });
});

describe('checkAlerts across runs', () => {
  it('keeps the for wait and the notified mark in the state file: one message when firing, one when resolved', async () => {
    const dir = tempDir();
    const hook = await slack();
    const c = config(dir, hook.url);
    const states = () =>
      JSON.parse(readFileSync(path.join(dir, '.mysqlops', 'alerts', 'state.json'), 'utf8'));

    // The built-in rule: a check critical for 5 minutes.
    const runs = [];
    for (const [m, status] of [
      [0, 'critical'],
      [2, 'critical'],
      [4, 'critical'],
      [5, 'critical'],
      [6, 'critical'],
      [8, 'ok'],
      [9, 'ok'],
    ] as const) {
      runs.push(await checkAlerts(sample(m, status), c));
    }
    const key = 'health-critical/deadlocks';
    expect(runs.map((r) => r.alerts.find((a) => a.key === key)?.state)).toEqual([
      'pending',
      'pending',
      'pending',
      'firing',
      'firing',
      'resolved',
      'inactive',
    ]);
    expect(hook.requests.map((r) => r.body.text)).toEqual([
      '[FIRING] critical: Deadlocks: critical on sandbox default/app_db',
      '[RESOLVED] critical: Deadlocks: ok on sandbox default/app_db',
    ]);
    expect(states().alerts[key]).toMatchObject({ state: 'inactive', notified: 'resolved' });
    expect(existsSync(path.join(dir, '.mysqlops', 'alerts', 'state.json.lock'))).toBe(false);
  });

  it('an evaluation on a state file another process holds is refused; a dry run still works', async () => {
    const dir = tempDir();
    const hook = await slack();
    const c = config(dir, hook.url);
    const file = path.join(dir, '.mysqlops', 'alerts', 'state.json');
    const holder = new FileAlertStore(file);
    await holder.withLock(async () => {
      const err = await checkAlerts(sample(0, 'critical'), c).catch((e: unknown) => e);
      expect((err as MysqlopsError).code).toBe('E_ALERT_LOCKED');
      const dry = await checkAlerts(sample(0, 'critical'), c, { dryRun: true });
      expect(dry.alerts.find((a) => a.key === 'health-critical/deadlocks')?.state).toBe('pending');
    });
    expect(existsSync(file)).toBe(false);
  });

  it('a dry run sends nothing and leaves the state file as it was', async () => {
    const dir = tempDir();
    const hook = await slack();
    const c = config(dir, hook.url);
    const file = path.join(dir, '.mysqlops', 'alerts', 'state.json');
    await checkAlerts(sample(0, 'critical'), c);
    const before = readFileSync(file, 'utf8');
    const dry = await checkAlerts(sample(10, 'critical'), c, { dryRun: true });
    expect(dry.notifications.map((n) => n.kind)).toEqual(['firing']);
    expect(dry.deliveries).toEqual([]);
    expect(hook.requests).toHaveLength(0);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
