/**
 * The alert engine: evaluate the rules on a sample, deliver what is due, remember what was said.
 * `AlertEngine` serves `mysqlops serve` (one long-lived instance, states in memory or a store);
 * `checkAlerts()` is one evaluation with the states in the state file, for `mysqlops alerts check`.
 */
import * as path from 'node:path';
import type { MysqlopsConfig } from '../config/index.js';
import type { AlertRuleConfig, AlertsConfig } from './config-schema.js';
import { type DeliveryOptions, deliverNotifications } from './deliver.js';
import { evaluateAlerts, recordDeliveries } from './evaluate.js';
import { EmailNotifier, type Notifier, SlackNotifier } from './notifiers.js';
import { type AlertStore, FileAlertStore, MemoryAlertStore } from './store.js';
import type { AlertNotification, AlertSample, AlertState, DeliveryResult } from './types.js';

/** How an AlertEngine is built; `AlertEngine.fromConfig` fills it from `config.alerts`. */
export interface AlertEngineOptions {
  rules: readonly AlertRuleConfig[];
  /** A still-firing alert is notified again after this long; 0 never repeats. */
  repeatIntervalMs: number;
  /** Where the samples come from, as notifications name it (`db1:3306/app_db`). */
  source: string;
  /** The channels; none is allowed (states are still kept). */
  notifiers: readonly Notifier[];
  delivery: DeliveryOptions;
  /** Where states live between evaluations. Default: in memory. */
  store?: AlertStore;
}

/** One evaluation's outcome. */
export interface AlertRunResult {
  at: string;
  dryRun: boolean;
  /** Every alert's state after the evaluation, by key. */
  alerts: AlertState[];
  /** What was due (with dryRun: what would have been sent). */
  notifications: AlertNotification[];
  /** Per notification and channel; empty with dryRun. */
  deliveries: DeliveryResult[];
}

/** Options of one `AlertEngine.evaluate` call. */
export interface EvaluateCallOptions {
  /** Evaluate and report, but send nothing and keep the stored states unchanged. */
  dryRun?: boolean;
}

/**
 * A long-lived evaluator. Calls to `evaluate` run one after the other, so a slow delivery cannot
 * make two evaluations interleave and notify twice.
 *
 * @example
 * ```ts
 * const engine = AlertEngine.fromConfig(config);
 * const report = await runHealthChecks(db, config);
 * const result = await engine.evaluate({ at: new Date(), checks: report.checks });
 * ```
 */
export class AlertEngine {
  readonly #options: AlertEngineOptions;
  readonly #store: AlertStore;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AlertEngineOptions) {
    this.#options = options;
    this.#store = options.store ?? new MemoryAlertStore();
  }

  /** An engine with the rules, channels and delivery settings of `config.alerts`. */
  static fromConfig(
    config: MysqlopsConfig,
    options: { store?: AlertStore; notifiers?: Notifier[] } = {},
  ): AlertEngine {
    return new AlertEngine({
      rules: config.alerts.rules,
      repeatIntervalMs: config.alerts.repeatIntervalMs,
      source: alertSource(config),
      notifiers: options.notifiers ?? notifiersFromConfig(config.alerts),
      delivery: deliveryOptions(config.alerts),
      ...(options.store ? { store: options.store } : {}),
    });
  }

  /** Evaluate `sample` against the kept states; deliver and record what is due. Never throws for a failed delivery. */
  evaluate(sample: AlertSample, options: EvaluateCallOptions = {}): Promise<AlertRunResult> {
    const dryRun = options.dryRun === true;
    const store = this.#store;
    // A dry run writes nothing, so it needs no lock (and works next to a running evaluation).
    const once = () =>
      !dryRun && store.withLock
        ? store.withLock(() => this.#evaluate(sample, false))
        : this.#evaluate(sample, dryRun);
    const run = this.#queue.then(once);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #evaluate(sample: AlertSample, dryRun: boolean): Promise<AlertRunResult> {
    const o = this.#options;
    const previous = await this.#store.load();
    const { states, notifications } = evaluateAlerts(o.rules, sample, previous, {
      repeatIntervalMs: o.repeatIntervalMs,
      source: o.source,
    });
    const at = sample.at.toISOString();
    if (dryRun) return { at, dryRun, alerts: sorted(states), notifications, deliveries: [] };
    const report = await deliverNotifications(notifications, o.notifiers, o.delivery);
    const next = recordDeliveries(states, report.delivered);
    await this.#store.save(next);
    return { at, dryRun, alerts: sorted(next), notifications, deliveries: report.results };
  }
}

/**
 * Options of `checkAlerts`: the defaults keep states in the state file between runs and notify the configured
 * channels.
 */
export interface CheckAlertsOptions extends EvaluateCallOptions {
  /** Default: a FileAlertStore on `alertStateFile(config)`, locked for the run. */
  store?: AlertStore;
  /** Default: the channels configured in `config.alerts`. */
  notifiers?: Notifier[];
}

/**
 * One evaluation with the states kept in the state file: what `mysqlops alerts check` does after
 * running the health checks. Holds the state file's lock for the run (see AlertStore.withLock).
 *
 * @throws MysqlopsError E_ALERT_STATE (state file unreadable/corrupt), E_ALERT_LOCKED (another run).
 */
export async function checkAlerts(
  sample: AlertSample,
  config: MysqlopsConfig,
  options: CheckAlertsOptions = {},
): Promise<AlertRunResult> {
  const store = options.store ?? new FileAlertStore(alertStateFile(config));
  const engine = AlertEngine.fromConfig(config, {
    store,
    ...(options.notifiers ? { notifiers: options.notifiers } : {}),
  });
  return engine.evaluate(sample, { dryRun: options.dryRun === true });
}

/**
 * Send one made-up `info` notification through every configured channel, so a new webhook or SMTP
 * setting can be tried without waiting for a real alert. Touches no state.
 */
export async function sendTestNotification(
  config: MysqlopsConfig,
  options: { notifiers?: Notifier[]; at?: Date } = {},
): Promise<{ notification: AlertNotification; deliveries: DeliveryResult[] }> {
  const at = (options.at ?? new Date()).toISOString();
  const notification: AlertNotification = {
    kind: 'firing',
    repeat: false,
    source: alertSource(config),
    at,
    alert: {
      key: 'test',
      rule: 'test',
      check: null,
      metric: null,
      state: 'firing',
      severity: 'info',
      summary: 'Test notification from mysqlops',
      hint: 'nothing to do: this checks that alerts reach you',
      value: null,
      unit: null,
      threshold: null,
      labels: {},
      activeSince: at,
      firingSince: at,
      resolvedAt: null,
      lastEvaluatedAt: at,
      notified: null,
      lastNotifiedAt: null,
    },
  };
  const notifiers = options.notifiers ?? notifiersFromConfig(config.alerts);
  const report = await deliverNotifications([notification], notifiers, deliveryOptions(config.alerts));
  return { notification, deliveries: report.results };
}

/** The state file: `alerts.stateFile`, else `<sandbox.home>/alerts/state.json`. */
export function alertStateFile(config: Pick<MysqlopsConfig, 'alerts' | 'sandbox'>): string {
  return config.alerts.stateFile ?? path.join(config.sandbox.home, 'alerts', 'state.json');
}

/** The channels `alerts` configures: Slack when a webhook is set, e-mail when recipients and SMTP are. */
export function notifiersFromConfig(alerts: AlertsConfig): Notifier[] {
  const out: Notifier[] = [];
  if (alerts.slackWebhook) out.push(new SlackNotifier(alerts.slackWebhook));
  if (alerts.smtpUrl && alerts.emailTo.length > 0)
    out.push(new EmailNotifier({ smtpUrl: alerts.smtpUrl, from: alerts.emailFrom, to: alerts.emailTo }));
  return out;
}

/** The retry settings of `alerts`. */
export function deliveryOptions(alerts: AlertsConfig): DeliveryOptions {
  return {
    attempts: alerts.deliveryAttempts,
    baseBackoffMs: alerts.deliveryBackoffMs,
    timeoutMs: alerts.deliveryTimeoutMs,
    deadlineMs: alerts.deliveryDeadlineMs,
  };
}

/** Where, in words: `db1.internal:3306/app_db`, `socket /run/mysqld.sock/app_db`, `sandbox default/app_db`. */
export function alertSource(config: Pick<MysqlopsConfig, 'usesSandbox' | 'connection' | 'sandbox'>): string {
  const c = config.connection;
  const server = config.usesSandbox
    ? `sandbox ${config.sandbox.name}`
    : c.socket
      ? `socket ${c.socket}`
      : `${c.host}:${c.port}`;
  return c.database ? `${server}/${c.database}` : server;
}

function sorted(states: Readonly<Record<string, AlertState>>): AlertState[] {
  return Object.values(states).sort((a, b) => a.key.localeCompare(b.key));
}
