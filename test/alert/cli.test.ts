/**
 * `mysqlops alerts check` end to end: a real process, the real health checks against the run's
 * sandbox (or against a port nothing listens on, which forces the `server` check critical), the
 * state file between runs, and the local stand-ins for Slack and the SMTP relay.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runCliOnSandbox } from '../support/cli.js';
import { freePort } from '../support/net.js';
import { type FakeSlack, type FakeSmtp, startFakeSlack, startFakeSmtp } from './channels.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-alerts-cli-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
async function slack(script: number[] = []): Promise<FakeSlack> {
  const s = await startFakeSlack(script);
  cleanup.push(s.close);
  return s;
}
async function smtp(): Promise<FakeSmtp> {
  const s = await startFakeSmtp();
  cleanup.push(s.close);
  return s;
}

/** A config file with `rules` (YAML flow mappings) and fast retries; returns the env to use it. */
function setup(rules: string[]): { env: Record<string, string>; stateFile: string } {
  const dir = tempDir();
  const file = path.join(dir, 'mysqlops.config.yaml');
  writeFileSync(
    file,
    `alerts:\n  deliveryBackoffMs: 5\n  deliveryAttempts: 3\n  rules:\n${rules.map((r) => `    - ${r}\n`).join('')}`,
  );
  const stateFile = path.join(dir, 'alerts-state.json');
  return { env: { MYSQLOPS_CONFIG: file, ALERTS_STATE_FILE: stateFile }, stateFile };
}

describe('mysqlops alerts check', () => {
  it('evaluates the real health checks, notifies once, and remembers it across runs', async () => {
    const hook = await slack();
    // The server check's value is the uptime in seconds: a rule on it that always holds.
    const { env, stateFile } = setup([
      "{ name: uptime, check: server, op: '>=', threshold: 0, severity: info }",
    ]);
    const all = { ...env, SLACK_WEBHOOK: hook.url };

    const dry = await runCliOnSandbox(['alerts', 'check', '--dry-run', '--json'], all);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout);
    expect(planned).toMatchObject({ ok: true, dryRun: true, channels: ['slack'], deliveries: [] });
    expect(planned.notifications).toEqual([
      { key: 'uptime', kind: 'firing', repeat: false, title: '[FIRING] info: Server reachable >= 0 s' },
    ]);
    expect(hook.requests).toHaveLength(0);
    expect(existsSync(stateFile)).toBe(false);

    const first = await runCliOnSandbox(['alerts', 'check', '--json'], all);
    expect(first.code).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc.health).toMatch(/^(ok|warning|critical|unknown)$/);
    expect(doc.alerts).toEqual([
      expect.objectContaining({ key: 'uptime', state: 'firing', check: 'server', unit: 's' }),
    ]);
    expect(doc.deliveries).toEqual([
      { channel: 'slack', key: 'uptime', kind: 'firing', ok: true, attempts: 1 },
    ]);
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]?.body.text).toMatch(
      /^\[FIRING\] info: Server reachable >= 0 s on sandbox test\//,
    );
    expect(JSON.stringify(doc)).not.toContain(hook.url);

    const second = await runCliOnSandbox(['alerts', 'check'], all);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/uptime +firing +info/);
    expect(second.stdout).toContain('nothing to send');
    expect(hook.requests).toHaveLength(1);
  });

  it('an unreachable server fires the server rule to Slack and e-mail; a dead Slack endpoint does not stop the e-mail', async () => {
    const mail = await smtp();
    const { env } = setup(['{ name: server-down, check: server, when: critical }']);
    const down = `http://127.0.0.1:${await freePort()}/services/T/B/deadTOKEN`;
    const r = await runCli(['alerts', 'check', '--json'], {
      ...env,
      DB_HOST: '127.0.0.1',
      DB_PORT: String(await freePort()),
      DB_NAME: 'app_db',
      SLACK_WEBHOOK: down,
      EMAIL_ALERTS: 'dba@example.com',
      SMTP_URL: mail.url,
      ALERT_EMAIL_FROM: 'mysqlops@db1.example.com',
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.health).toBe('critical');
    expect(doc.deliveries).toEqual([
      expect.objectContaining({
        channel: 'slack',
        ok: false,
        attempts: 3,
        error: 'connection failed (ECONNREFUSED)',
      }),
      expect.objectContaining({ channel: 'email', ok: true, attempts: 1 }),
    ]);
    expect(mail.messages).toHaveLength(1);
    const m = mail.messages[0];
    expect(m?.headers.subject).toBe('[mysqlops] [FIRING] critical: Server reachable: critical');
    expect(m?.text).toMatch(/on 127\.0\.0\.1:\d+\/app_db/);
    expect(m?.text).toMatch(/ECONNREFUSED|connect/i);
    expect(r.stdout + r.stderr).not.toContain('deadTOKEN');
    expect(r.stdout + r.stderr).not.toContain(mail.password);
  });

  it('exits 1 when a notification reached no channel, and sends it on the next run', async () => {
    const hook = await slack([500, 500, 500]);
    const { env } = setup(['{ name: server-down, check: server, when: critical }']);
    const all = { ...env, DB_HOST: '127.0.0.1', DB_PORT: String(await freePort()), SLACK_WEBHOOK: hook.url };
    const failed = await runCli(['alerts', 'check'], all);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/slack failed after 3 attempt\(s\): HTTP 500/);
    expect(failed.stderr).toContain('1 notification(s) reached no channel');
    const retried = await runCli(['alerts', 'check', '--json'], all);
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout).deliveries).toEqual([
      { channel: 'slack', key: 'server-down', kind: 'firing', ok: true, attempts: 1 },
    ]);
    expect(hook.delivered()).toHaveLength(1);
  });

  it('alerts test sends one test message to every channel and says how each went', async () => {
    const hook = await slack();
    const mail = await smtp();
    const ok = await runCli(['alerts', 'test', '--json'], {
      DB_HOST: '127.0.0.1',
      SLACK_WEBHOOK: hook.url,
      EMAIL_ALERTS: 'dba@example.com',
      SMTP_URL: mail.url,
    });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      title: '[FIRING] info: Test notification from mysqlops',
      deliveries: [
        { channel: 'slack', ok: true },
        { channel: 'email', ok: true },
      ],
    });
    expect(hook.requests).toHaveLength(1);
    expect(mail.messages[0]?.headers.subject).toBe(
      '[mysqlops] [FIRING] info: Test notification from mysqlops',
    );

    const gone = await slack([404]);
    const failed = await runCli(['alerts', 'test'], { DB_HOST: '127.0.0.1', SLACK_WEBHOOK: gone.url });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('slack: failed after 1 attempt(s): HTTP 404 no_service');

    const none = await runCli(['alerts', 'test'], { DB_HOST: '127.0.0.1' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no alert channel is configured');
  });

  it('refuses bad alert settings with exit 2, naming the variable and not the secret', async () => {
    const r = await runCliOnSandbox(['alerts', 'check'], {
      SLACK_WEBHOOK: 'hooks.slack.com/services/T/B/rawTOKEN',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SLACK_WEBHOOK: expected a URL');
    expect(r.stderr).not.toContain('rawTOKEN');
  });
});
