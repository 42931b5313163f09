/**
 * The `alerts` configuration section: its zod schema (used by src/config/schema.ts), the built-in
 * rules, and the cross-setting checks. A leaf module (zod and the config field builders only), so
 * the config loader can import it without pulling in the alert engine.
 */
import { z } from 'zod';
import { intIn, kindOf, millis, oneOf, secretText, strictObject, text } from '../config/fields.js';
import { Secret } from '../secret.js';

/** Alert severities, least urgent first. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
/** How urgent an alert is; see `severityOf` for a rule that does not say. */
export type Severity = (typeof SEVERITIES)[number];

/** The comparisons a metric rule may use (`op`). */
export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
/** A comparison a metric rule applies to its value and `threshold`. */
export type Operator = (typeof OPERATORS)[number];

/** A rule name becomes part of the state key and of messages: a word, no spaces. */
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * One alert rule. Exactly one of `check` (a health check name, or `*` for every check that no other
 * rule names) and `metric` (a number from the sample's metrics, or a check's numeric value).
 */
export const alertRuleSchema = strictObject({
  /** Unique name; it identifies the alert in state, messages and `alerts check` output. */
  name: text(64).regex(RULE_NAME, {
    error: 'expected letters, digits, _ . - (starting with a letter or digit)',
  }),
  /** Health check name (`mysqlops health` lists them), or `*` for every check not named by another rule. */
  check: text(64).optional(),
  /** Metric name, compared with `op` and `threshold`. */
  metric: text(200).optional(),
  /**
   * For check rules without `op`: the check status that makes the rule active. `warning` means
   * warning or critical. Default `critical`.
   */
  when: oneOf(['warning', 'critical'] as const).optional(),
  /** Comparison of the value with `threshold`; required for metric rules, optional for check rules. */
  op: oneOf(OPERATORS).optional(),
  threshold: z.number({ error: (iss) => `expected a number, got ${kindOf(iss.input)}` }).optional(),
  /** How long the condition must hold before the alert fires (pending until then). Default 0. */
  forMs: millis(0).optional(),
  /** Default: `when` for check rules (critical), `warning` for metric rules. */
  severity: oneOf(SEVERITIES).optional(),
  /** Free-form labels shown in notifications (team, runbook, ...). */
  labels: z.record(text(64), text(500)).optional(),
  /** One line saying what is wrong; default the check's title or `metric op threshold`. */
  summary: text(200).optional(),
  /** What to do about it; default the check's hint. */
  hint: text(500).optional(),
}).superRefine((rule, ctx) => {
  const problem = ruleProblem(rule);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** One alert rule after validation: exactly one of `check` and `metric`, with defaults applied. */
export type AlertRuleConfig = z.output<typeof alertRuleSchema>;

// Names are compared only once every rule is valid on its own (zod skips refinements of a list
// with a bad element), so a duplicate may show up in a second round of fixes.
const rulesSchema = z.array(alertRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.name))
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `duplicate rule name ${JSON.stringify(rule.name)}`,
      });
    seen.add(rule.name);
  });
});

/** What is wrong with one rule as a whole (each field alone was already checked), or undefined. */
export function ruleProblem(rule: AlertRuleConfig): string | undefined {
  if ((rule.check === undefined) === (rule.metric === undefined))
    return 'set exactly one of check and metric';
  if ((rule.op === undefined) !== (rule.threshold === undefined)) return 'op and threshold go together';
  if (rule.metric !== undefined && rule.op === undefined) return 'a metric rule needs op and threshold';
  if (rule.metric !== undefined && rule.when !== undefined)
    return '`when` is for check rules (use op and threshold)';
  if (rule.op !== undefined && rule.when !== undefined) return 'use either `when` or op/threshold, not both';
  return undefined;
}

/** A secret URL; the message names the problem, never the value. */
function secretUrl(protocols: readonly string[]) {
  return z.instanceof(Secret, { error: 'expected a secret' }).superRefine((secret, ctx) => {
    let url: URL;
    try {
      url = new URL(secret.reveal());
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a URL (value not shown: it is a secret)' });
      return;
    }
    if (!protocols.includes(url.protocol))
      ctx.addIssue({
        code: 'custom',
        message: `expected a ${protocols.join(' or ')} URL, got ${url.protocol}`,
      });
  });
}

/** An e-mail address as people write it; the SMTP server has the last word. */
const emailAddress = text(320).regex(/^[^\s@<>,]+@[^\s@<>,]+$/, {
  error: 'expected an e-mail address (name@host)',
});

/** Alerts (`mysqlops alerts check`, and continuously in `mysqlops serve`); docs/alerts.md. */
export const alertsSchema = strictObject({
  /** Whether `mysqlops serve` evaluates alerts. Default true. `alerts check` always evaluates. */
  enabled: z.boolean({ error: (iss) => `expected true or false, got ${kindOf(iss.input)}` }),
  /** How often `mysqlops serve` runs the health checks and evaluates the rules. Default 60000 ms. */
  intervalMs: millis(1000),
  /** A still-firing alert is notified again after this long. Default 4 hours; 0 never repeats. */
  repeatIntervalMs: millis(0),
  /** Where `alerts check` keeps alert states between runs. Default `<sandbox.home>/alerts/state.json`. */
  stateFile: text().optional(),
  /** Slack incoming webhook URL (SLACK_WEBHOOK); a Secret, never printed. */
  slackWebhook: secretUrl(['https:', 'http:']).optional(),
  /** Recipients of alert e-mail (EMAIL_ALERTS, comma-separated). Default none. */
  emailTo: z.array(emailAddress),
  /** Sender address of alert e-mail. Default `mysqlops@localhost`. */
  emailFrom: emailAddress,
  /** SMTP server, `smtp://user:password@host:587` or `smtps://...` (SMTP_URL); a Secret. */
  smtpUrl: secretUrl(['smtp:', 'smtps:']).optional(),
  /** Attempts per notification and channel (first try included). Default 4. */
  deliveryAttempts: intIn(1, 20),
  /** First backoff between attempts; doubles each time, with jitter. Default 500 ms. */
  deliveryBackoffMs: millis(0),
  /** One attempt's time limit. Default 10000 ms. */
  deliveryTimeoutMs: millis(1),
  /** All attempts of one channel for one evaluation end within this. Default 30000 ms. */
  deliveryDeadlineMs: millis(1),
  /** The rules. Default: DEFAULT_ALERT_RULES. A list given in the config file replaces them. */
  rules: rulesSchema,
});
/** The `alerts` section of the configuration after validation (rules, channels, delivery settings). */
export type AlertsConfig = z.output<typeof alertsSchema>;

/** What the config file may set: every key optional, secrets as text (turned into Secrets here). */
export const alertsFileSchema = strictObject({
  ...alertsSchema.partial().shape,
  slackWebhook: secretText()
    .transform((s) => new Secret(s))
    .pipe(alertsSchema.shape.slackWebhook.unwrap())
    .optional(),
  smtpUrl: secretText()
    .transform((s) => new Secret(s))
    .pipe(alertsSchema.shape.smtpUrl.unwrap())
    .optional(),
});

/**
 * The built-in rules: an unreachable server fires after one minute; every other health check that
 * stays critical for 5 minutes fires a critical alert of its own (`health-critical/<check>`).
 * Warnings alone page nobody: they show in `mysqlops health` and the dashboard.
 */
export const DEFAULT_ALERT_RULES: readonly AlertRuleConfig[] = [
  { name: 'server-down', check: 'server', when: 'critical', forMs: 60_000, severity: 'critical' },
  { name: 'health-critical', check: '*', when: 'critical', forMs: 5 * 60_000, severity: 'critical' },
];

/** The section's built-in defaults (the same in every environment). */
export function alertDefaults(): AlertsConfig {
  return {
    enabled: true,
    intervalMs: 60_000,
    repeatIntervalMs: 4 * 60 * 60_000,
    emailTo: [],
    emailFrom: 'mysqlops@localhost',
    deliveryAttempts: 4,
    deliveryBackoffMs: 500,
    deliveryTimeoutMs: 10_000,
    deliveryDeadlineMs: 30_000,
    rules: DEFAULT_ALERT_RULES.map((r) => ({ ...r })),
  };
}

/** Problems spanning several alert settings, named by what to set. */
export function alertConfigIssues(alerts: AlertsConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (alerts.emailTo.length > 0 && !alerts.smtpUrl)
    issues.push({
      path: 'SMTP_URL',
      message: 'required when EMAIL_ALERTS names recipients (or set alerts.smtpUrl)',
    });
  return issues;
}

/** EMAIL_ALERTS: comma- or space-separated addresses. */
export function splitRecipients(value: string): string[] {
  return value
    .split(/[,;\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
