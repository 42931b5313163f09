/**
 * The alert engine's data: what it consumes (a sample of health checks and metrics), the state it
 * keeps per alert, and the notifications it asks the channels to deliver.
 */
import type { HealthCheck } from '../monitor/index.js';
import type { Severity } from './config-schema.js';

/** One health check result, as `runHealthChecks()` (src/monitor) reports it. */
export type AlertCheck = HealthCheck;

/** What one evaluation looks at. */
export interface AlertSample {
  /** When the sample was taken; the engine's clock for `for` durations and repeats. */
  at: Date;
  checks: readonly AlertCheck[];
  /** Extra numbers for metric rules (`metric: name`); a check's numeric value is used when absent. */
  metrics?: Readonly<Record<string, number>>;
}

/** The lifecycle of one alert (one rule, or one rule and check for `check: '*'`). */
export type AlertStateName = 'inactive' | 'pending' | 'firing' | 'resolved';

/** The kept state of one alert: plain JSON, so it can be stored between runs. */
export interface AlertState {
  /** `rule` or `rule/check` for wildcard rules; unique. */
  key: string;
  rule: string;
  /** The check the alert watches, if it is a check rule. */
  check: string | null;
  metric: string | null;
  state: AlertStateName;
  severity: Severity;
  /** One line: what is wrong. */
  summary: string;
  hint: string;
  /** The value at the last evaluation, with its unit. */
  value: number | string | null;
  unit: string | null;
  /** The threshold in words, e.g. `> 90` or `critical >= 95 %`. */
  threshold: string | null;
  labels: Readonly<Record<string, string>>;
  /** ISO time the condition started to hold (pending and firing), else null. */
  activeSince: string | null;
  /** ISO time the alert fired (firing, and resolved until cleared), else null. */
  firingSince: string | null;
  /** ISO time the condition stopped holding after firing. */
  resolvedAt: string | null;
  lastEvaluatedAt: string;
  /**
   * What the last delivered notification said. A firing alert whose notification was not delivered
   * by any channel keeps `null` here, so the next evaluation sends it again.
   */
  notified: 'firing' | 'resolved' | null;
  lastNotifiedAt: string | null;
}

/** Alert states by key. */
export type AlertStates = Readonly<Record<string, AlertState>>;

/** A message for the channels: an alert that fired, is still firing (repeat), or resolved. */
export interface AlertNotification {
  kind: 'firing' | 'resolved';
  /** True for the repeat of a still-firing alert. */
  repeat: boolean;
  alert: AlertState;
  /** Where: the server (host:port/database or sandbox name). */
  source: string;
  at: string;
}

/** The outcome of one channel for one notification. */
export interface DeliveryResult {
  channel: string;
  key: string;
  kind: AlertNotification['kind'];
  ok: boolean;
  attempts: number;
  /** Why it failed (never a secret: no webhook URL, no SMTP password). */
  error?: string;
}
