/**
 * Notifications reaching real endpoints: a local HTTP server in Slack's place and a local SMTP server
 * (real protocol, with login). The clock is the samples' `at`, so `for` durations take no waiting.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertRuleConfig } from '../../src/alert/config-schema.js';
import { AlertEngine, type AlertEngineOptions } from '../../src/alert/engine.js';
import { EmailNotifier, type Notifier, SlackNotifier } from '../../src/alert/notifiers.js';
import type { AlertCheck, AlertSample } from '../../src/alert/types.js';
import { Secret } from '../../src/secret.js';
import { freePort } from '../support/net.js';
import { type FakeSlack, type FakeSmtp, startFakeSlack, startFakeSmtp } from './channels.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const MIN = 60_000;

const connections = (status: AlertCheck['status'], value: number): AlertCheck => ({
  name: 'connections',
  title: 'Connections used',
  status,
  value,
  unit: '%',
  threshold: '>= 80% warning, >= 95% critical',
  hint: 'raise max_connections or find the client that leaks connections',
});
const sample = (
  minutes: number,
  status: AlertCheck['status'],
  value = status === 'ok' ? 12 : 97,
): AlertSample => ({
  at: new Date(T0 + minutes * MIN),
  checks: [connections(status, value)],
});
const rule: AlertRuleConfig = {
  name: 'connections-critical',
  check: 'connections',
  when: 'critical',
  forMs: 5 * MIN,
  labels: { team: 'dba' },
};

const fast = { attempts: 4, baseBackoffMs: 5, timeoutMs: 5000, deadlineMs: 20_000 };

function engine(notifiers: Notifier[], more: Partial<AlertEngineOptions> = {}): AlertEngine {
  return new AlertEngine({
    rules: [rule],
    repeatIntervalMs: 60 * MIN,
    source: 'db1.internal:3306/app_db',
    notifiers,
    delivery: fast,
    ...more,
  });
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()?.();
});
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

describe('Slack notifications', () => {
  it('posts exactly one message when the rule fires after its for duration, none while pending, one resolved', async () => {
    const hook = await slack();
    const e = engine([new SlackNotifier(new Secret(hook.url))]);

    for (const m of [0, 1, 2, 3, 4]) await e.evaluate(sample(m, 'critical'));
    expect(hook.requests).toHaveLength(0);

    const fired = await e.evaluate(sample(5, 'critical'));
    expect(fired.alerts[0]?.state).toBe('firing');
    expect(fired.deliveries).toEqual([
      { channel: 'slack', key: 'connections-critical', kind: 'firing', ok: true, attempts: 1 },
    ]);
    for (const m of [6, 7, 8]) await e.evaluate(sample(m, 'critical'));
    expect(hook.requests).toHaveLength(1);

    const resolved = await e.evaluate(sample(9, 'ok'));
    expect(resolved.alerts[0]?.state).toBe('resolved');
    await e.evaluate(sample(10, 'ok'));
    expect(hook.requests).toHaveLength(2);

    const [firing, ended] = hook.requests;
    expect(firing?.method).toBe('POST');
    expect(firing?.path).toBe('/services/T000/B000/secretTOKEN123');
    expect(firing?.contentType).toMatch(/^application\/json/);
    expect(firing?.body.text).toBe(
      '[FIRING] critical: Connections used: critical on db1.internal:3306/app_db',
    );
    const text = JSON.stringify(firing?.body.blocks);
    // What, where, value vs threshold, since when, the hint, labels.
    expect(firing?.body.blocks[0]).toMatchObject({ type: 'header' });
    for (const part of [
      'Connections used: critical',
      'db1.internal:3306/app_db',
      '97 %',
      '&gt;= 80% warning, &gt;= 95% critical',
      '2026-12-01T10:05:00.000Z',
      '2026-12-01T10:00:00.000Z',
      'raise max_connections',
      '*team*',
    ])
      expect(text).toContain(part);
    expect(ended?.body.text).toMatch(/^\[RESOLVED\] critical: Connections used: ok on /);
    expect(JSON.stringify(ended?.body.blocks)).toContain('2026-12-01T10:09:00.000Z');
  });

  it('retries 500 answers: 500, 500, then 200 is three requests and one delivered message', async () => {
    const hook = await slack([500, 500]);
    const e = engine([new SlackNotifier(new Secret(hook.url))], { rules: [{ ...rule, forMs: 0 }] });
    const r = await e.evaluate(sample(0, 'critical'));
    expect(hook.requests).toHaveLength(3);
    expect(hook.delivered()).toHaveLength(1);
    expect(r.deliveries).toEqual([
      { channel: 'slack', key: 'connections-critical', kind: 'firing', ok: true, attempts: 3 },
    ]);
    // Delivered once: the next evaluation sends nothing more.
    await e.evaluate(sample(1, 'critical'));
    expect(hook.requests).toHaveLength(3);
  });

  it('retries 429 but not other 4xx answers, and reports the failure without the webhook URL', async () => {
    const limited = await slack([429]);
    const gone = await slack([404, 404, 404]);
    const e = engine([new SlackNotifier(new Secret(limited.url)), new SlackNotifier(new Secret(gone.url))], {
      rules: [{ ...rule, forMs: 0 }],
    });
    const r = await e.evaluate(sample(0, 'critical'));
    expect(limited.requests).toHaveLength(2);
    expect(gone.requests).toHaveLength(1);
    expect(r.deliveries.map((d) => [d.ok, d.attempts])).toEqual([
      [true, 2],
      [false, 1],
    ]);
    expect(r.deliveries[1]?.error).toBe('HTTP 404 no_service');
    expect(JSON.stringify(r)).not.toContain('secretTOKEN123');
  });

  it('names a refused request by its reason, never by the URL', async () => {
    // fetch() refuses port 1 itself ("bad port"): an error whose words come from the client.
    const e = engine([new SlackNotifier(new Secret('http://127.0.0.1:1/services/T/B/portTOKEN'))], {
      rules: [{ ...rule, forMs: 0 }],
      delivery: { ...fast, attempts: 1 },
    });
    const r = await e.evaluate(sample(0, 'critical'));
    expect(r.deliveries[0]).toMatchObject({ ok: false, attempts: 1 });
    expect(r.deliveries[0]?.error).toMatch(/^connection failed \(.+\)$/);
    expect(JSON.stringify(r)).not.toContain('portTOKEN');
  });

  it('gives up after the configured attempts and tries again at the next evaluation', async () => {
    const hook = await slack([500, 500, 500]);
    const e = engine([new SlackNotifier(new Secret(hook.url))], {
      rules: [{ ...rule, forMs: 0 }],
      delivery: { ...fast, attempts: 3 },
    });
    const first = await e.evaluate(sample(0, 'critical'));
    expect(first.deliveries).toEqual([
      {
        channel: 'slack',
        key: 'connections-critical',
        kind: 'firing',
        ok: false,
        attempts: 3,
        error: 'HTTP 500 internal_error',
      },
    ]);
    expect(first.alerts[0]?.notified).toBeNull();
    const second = await e.evaluate(sample(1, 'critical'));
    expect(second.deliveries.map((d) => d.ok)).toEqual([true]);
    expect(hook.delivered()).toHaveLength(1);
    expect(hook.delivered()[0]?.body.text).toMatch(/^\[FIRING\]/);
  });

  it('an endpoint that never answers costs one attempt timeout per attempt, then fails as timed out', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = http.createServer(() => {});
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`;
    const e = engine([new SlackNotifier(new Secret(url))], {
      rules: [{ ...rule, forMs: 0 }],
      delivery: { attempts: 2, baseBackoffMs: 5, timeoutMs: 200, deadlineMs: 10_000 },
    });
    const r = await e.evaluate(sample(0, 'critical'));
    expect(r.deliveries).toEqual([
      {
        channel: 'slack',
        key: 'connections-critical',
        kind: 'firing',
        ok: false,
        attempts: 2,
        error: 'timed out',
      },
    ]);
  });
});

describe('e-mail notifications', () => {
  it('delivers the firing and the resolved message over SMTP, with login, text and HTML', async () => {
    const mail = await smtp();
    const e = engine([
      new EmailNotifier({
        smtpUrl: new Secret(mail.url),
        from: 'mysqlops@db1.internal',
        to: ['dba@example.com', 'oncall@example.com'],
      }),
    ]);
    await e.evaluate(sample(0, 'critical'));
    expect(mail.messages).toHaveLength(0);
    const fired = await e.evaluate(sample(5, 'critical'));
    expect(fired.deliveries).toEqual([
      { channel: 'email', key: 'connections-critical', kind: 'firing', ok: true, attempts: 1 },
    ]);
    await e.evaluate(sample(6, 'ok'));
    expect(mail.messages).toHaveLength(2);

    const [m, resolved] = mail.messages;
    expect(m?.user).toBe('alerts');
    expect(m?.from).toBe('mysqlops@db1.internal');
    expect(m?.to).toEqual(['dba@example.com', 'oncall@example.com']);
    expect(m?.headers.subject).toBe('[mysqlops] [FIRING] critical: Connections used: critical');
    expect(m?.text).toContain('[FIRING] critical: Connections used: critical on db1.internal:3306/app_db');
    expect(m?.text).toMatch(/Value: +97 %/);
    expect(m?.text).toMatch(/Threshold: +>= 80% warning, >= 95% critical/);
    expect(m?.text).toMatch(/Firing since: +2026-12-01T10:05:00.000Z/);
    expect(m?.text).toContain('What to do: raise max_connections or find the client that leaks connections');
    expect(m?.html).toContain('<h2>[FIRING] critical: Connections used: critical</h2>');
    expect(m?.html).toContain('&#62;= 80% warning');
    expect(resolved?.headers.subject).toBe('[mysqlops] [RESOLVED] critical: Connections used: ok');
    expect(resolved?.text).toMatch(/Resolved at: +2026-12-01T10:06:00.000Z/);
  });

  it('a refused login is final (no retry) and the error does not show the password', async () => {
    const mail = await smtp();
    const wrong = mail.url.replace(mail.password, 'not-the-password');
    const e = engine([new EmailNotifier({ smtpUrl: new Secret(wrong), from: 'a@b.c', to: ['d@e.f'] })], {
      rules: [{ ...rule, forMs: 0 }],
    });
    const r = await e.evaluate(sample(0, 'critical'));
    expect(r.deliveries).toMatchObject([{ channel: 'email', ok: false, attempts: 1 }]);
    expect(r.deliveries[0]?.error).toMatch(/EAUTH/);
    expect(JSON.stringify(r)).not.toContain('not-the-password');
    expect(mail.messages).toHaveLength(0);
  });
});

describe('channels are independent', () => {
  it('a Slack endpoint that is down does not stop the e-mail, and the alert counts as notified', async () => {
    const mail = await smtp();
    const down = `http://127.0.0.1:${await freePort()}/services/T/B/downTOKEN`;
    const e = engine(
      [
        new SlackNotifier(new Secret(down)),
        new EmailNotifier({ smtpUrl: new Secret(mail.url), from: 'a@b.c', to: ['dba@example.com'] }),
      ],
      { rules: [{ ...rule, forMs: 0 }], delivery: { ...fast, attempts: 3 } },
    );
    const r = await e.evaluate(sample(0, 'critical'));
    expect(r.deliveries).toEqual([
      {
        channel: 'slack',
        key: 'connections-critical',
        kind: 'firing',
        ok: false,
        attempts: 3,
        error: 'connection failed (ECONNREFUSED)',
      },
      { channel: 'email', key: 'connections-critical', kind: 'firing', ok: true, attempts: 1 },
    ]);
    expect(mail.messages).toHaveLength(1);
    expect(r.alerts[0]?.notified).toBe('firing');
    expect(JSON.stringify(r)).not.toContain('downTOKEN');
    // Told through e-mail: no second try on the next evaluation.
    const again = await e.evaluate(sample(1, 'critical'));
    expect(again.deliveries).toEqual([]);
  });

  it('with no channel configured, alerts still change state and nothing is sent', async () => {
    const e = engine([], { rules: [{ ...rule, forMs: 0 }] });
    const r = await e.evaluate(sample(0, 'critical'));
    expect(r.notifications).toHaveLength(1);
    expect(r.deliveries).toEqual([]);
    expect(r.alerts[0]).toMatchObject({ state: 'firing', notified: 'firing' });
  });

  it('a dry run reports what would be sent, sends nothing and keeps the states', async () => {
    const hook = await slack();
    const e = engine([new SlackNotifier(new Secret(hook.url))], { rules: [{ ...rule, forMs: 0 }] });
    const dry = await e.evaluate(sample(0, 'critical'), { dryRun: true });
    expect(dry.notifications.map((n) => n.kind)).toEqual(['firing']);
    expect(dry.deliveries).toEqual([]);
    expect(hook.requests).toHaveLength(0);
    const real = await e.evaluate(sample(1, 'critical'));
    expect(real.notifications.map((n) => n.kind)).toEqual(['firing']);
    expect(hook.requests).toHaveLength(1);
  });
});
