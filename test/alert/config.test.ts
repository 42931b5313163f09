/**
 * The `alerts` config section: defaults, SLACK_WEBHOOK / EMAIL_ALERTS / SMTP_URL, rules from a
 * config file, every problem reported at once, and secrets never shown.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertStateFile, notifiersFromConfig } from '../../src/alert/engine.js';
import { describeConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { Secret } from '../../src/secret.js';
import { load, tempDir, write } from '../config/helpers.js';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('alerts configuration', () => {
  it('has defaults: no channel, built-in rules, state file in the sandbox home', () => {
    const dir = tempDir();
    const c = load(dir);
    expect(c.alerts).toMatchObject({
      enabled: true,
      repeatIntervalMs: 14_400_000,
      emailTo: [],
      deliveryAttempts: 4,
    });
    expect(c.alerts.slackWebhook).toBeUndefined();
    expect(c.alerts.rules.map((r) => r.name)).toEqual(['server-down', 'health-critical']);
    expect(alertStateFile(c)).toBe(path.join(dir, '.mysqlops', 'alerts', 'state.json'));
    expect(notifiersFromConfig(c.alerts)).toEqual([]);
  });

  it('reads the blueprint variables; the webhook and SMTP URL become Secrets', () => {
    const dir = tempDir();
    const c = load(dir, {
      SLACK_WEBHOOK: 'https://hooks.slack.com/services/T1/B2/hookSECRET',
      EMAIL_ALERTS: 'dba@example.com, oncall@example.com',
      SMTP_URL: 'smtps://alerts:smtpSECRET@mail.example.com:465',
      ALERT_EMAIL_FROM: 'mysqlops@db1.example.com',
      ALERTS_STATE_FILE: 'state/alerts.json',
    });
    expect(c.alerts.slackWebhook).toBeInstanceOf(Secret);
    expect(c.alerts.smtpUrl?.reveal()).toBe('smtps://alerts:smtpSECRET@mail.example.com:465');
    expect(c.alerts.emailTo).toEqual(['dba@example.com', 'oncall@example.com']);
    expect(c.alerts.emailFrom).toBe('mysqlops@db1.example.com');
    expect(alertStateFile(c)).toBe(path.join(dir, 'state', 'alerts.json'));
    expect(notifiersFromConfig(c.alerts).map((n) => n.channel)).toEqual(['slack', 'email']);
    const shown = JSON.stringify(describeConfig(c));
    expect(shown).not.toContain('SECRET');
    expect(describeConfig(c).alerts).toMatchObject({ slackWebhook: '[redacted]', smtpUrl: '[redacted]' });
  });

  it('reports every bad variable together, naming none of the secret values', () => {
    const err = configError(() =>
      load(tempDir(), {
        SLACK_WEBHOOK: 'not a url hookSECRET',
        EMAIL_ALERTS: 'dba',
        SMTP_URL: 'http://x:smtpSECRET@h',
      }),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['SLACK_WEBHOOK', 'EMAIL_ALERTS', 'SMTP_URL']);
    expect(err.message).not.toContain('SECRET');
    expect(err.message).toContain('SMTP_URL: expected a smtp: or smtps: URL, got http:');
  });

  it('needs SMTP_URL when EMAIL_ALERTS names recipients', () => {
    const err = configError(() => load(tempDir(), { EMAIL_ALERTS: 'dba@example.com' }));
    expect(err.issues).toEqual([
      { path: 'SMTP_URL', message: 'required when EMAIL_ALERTS names recipients (or set alerts.smtpUrl)' },
    ]);
  });

  it('takes rules and settings from the config file, replacing the built-in rules', () => {
    const dir = tempDir();
    const file = write(
      dir,
      'mysqlops.config.yaml',
      `alerts:
  repeatIntervalMs: 600000
  slackWebhook: https://hooks.slack.com/services/T/B/fileSECRET
  stateFile: run/alerts.json
  rules:
    - { name: lag, check: replication_lag, when: warning, forMs: 120000, labels: { team: dba } }
    - { name: qps, metric: mysql_global_status_queries, op: '>', threshold: 1e9, severity: info }
environments:
  production:
    alerts:
      emailTo: [dba@example.com]
      smtpUrl: smtp://relay.internal:25
`,
    );
    const c = load(dir, { DB_HOST: 'db1.internal' }, { configFile: file, env: 'production' });
    expect(c.alerts.repeatIntervalMs).toBe(600_000);
    expect(c.alerts.rules).toEqual([
      { name: 'lag', check: 'replication_lag', when: 'warning', forMs: 120_000, labels: { team: 'dba' } },
      { name: 'qps', metric: 'mysql_global_status_queries', op: '>', threshold: 1e9, severity: 'info' },
    ]);
    expect(c.alerts.slackWebhook?.reveal()).toBe('https://hooks.slack.com/services/T/B/fileSECRET');
    expect(alertStateFile(c)).toBe(path.join(dir, 'run', 'alerts.json'));
    expect(c.alerts.emailTo).toEqual(['dba@example.com']);
  });

  it('refuses malformed rules with one issue each', () => {
    const dir = tempDir();
    const file = write(
      dir,
      'bad.yaml',
      `alerts:
  slackWebhook: ftp://fileSECRET
  rules:
    - { name: a, check: connections, metric: x }
    - { name: b, metric: qps }
    - { name: d, check: server, op: '>' }
    - { name: 'bad name', check: server }
    - { name: c, check: server, when: sometimes, forMs: -1 }
`,
    );
    const err = configError(() => load(dir, {}, { configFile: file }));
    const issues = err.issues.map((i) => `${i.path.replace(/^.*bad\.yaml: /, '')}: ${i.message}`);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts\.slackWebhook: expected a https: or http: URL/),
        'alerts.rules.0: set exactly one of check and metric',
        'alerts.rules.1: a metric rule needs op and threshold',
        'alerts.rules.2: op and threshold go together',
        expect.stringMatching(/^alerts\.rules\.3\.name: expected letters, digits/),
        expect.stringMatching(/^alerts\.rules\.4\.when: expected warning or critical/),
        expect.stringMatching(/^alerts\.rules\.4\.forMs: /),
      ]),
    );
    expect(err.message).not.toContain('fileSECRET');
  });

  it('refuses two rules with the same name', () => {
    const dir = tempDir();
    const file = write(
      dir,
      'dup.yaml',
      'alerts:\n  rules:\n    - { name: a, check: server }\n    - { name: a, check: connections }\n',
    );
    const err = configError(() => load(dir, {}, { configFile: file }));
    expect(err.issues.map((i) => i.message)).toEqual(['duplicate rule name "a"']);
  });
});
