/**
 * The alert state machine, as a pure function: rules + a sample + the previous states give the next
 * states and the notifications due. No clock (the sample's `at` is the time), no I/O, so the same
 * code serves the one-shot `alerts check` (states from a file) and `serve` (states in memory).
 *
 * Per alert: inactive -> pending (condition holds, `forMs` not yet over) -> firing -> resolved ->
 * inactive. A notification is due when an alert starts firing, when it has been firing for another
 * `repeatIntervalMs` since the last notification, and when it resolves; one per transition, however
 * often the engine runs in between.
 */
import type { AlertRuleConfig, Operator, Severity } from './config-schema.js';
import type { AlertCheck, AlertNotification, AlertSample, AlertState, AlertStates } from './types.js';

/** Options of `evaluateAlerts`. */
export interface EvaluateOptions {
  /** A still-firing alert is notified again after this long; 0 never repeats. */
  repeatIntervalMs: number;
  /** Where the sample comes from (server host:port/database), carried into notifications. */
  source: string;
}

/**
 * The result of `evaluateAlerts`, a pure function: the states to store and the notifications to send. Nothing
 * is stored or sent yet.
 */
export interface Evaluation {
  /** Every alert's next state, by key. */
  states: Record<string, AlertState>;
  /** What the channels should say, in key order. */
  notifications: AlertNotification[];
}

/** What one rule says about the sample for one alert. */
interface Condition {
  key: string;
  rule: AlertRuleConfig;
  check: AlertCheck | undefined;
  checkName: string | null;
  /** `unknown`: the sample says nothing (check missing, not run, or not a number): hold the state. */
  holds: 'yes' | 'no' | 'unknown';
  value: number | string | null;
  unit: string | null;
  threshold: string | null;
}

const STATUS_RANK = { ok: 0, warning: 1, critical: 2 } as const;

/** The next states and the notifications due. Inputs are not modified. */
export function evaluateAlerts(
  rules: readonly AlertRuleConfig[],
  sample: AlertSample,
  previous: AlertStates,
  options: EvaluateOptions,
): Evaluation {
  const now = sample.at;
  const states: Record<string, AlertState> = {};
  const notifications: AlertNotification[] = [];
  for (const condition of conditions(rules, sample, previous)) {
    const next = transition(previous[condition.key], condition, now);
    states[next.key] = next;
    const kind = due(next, now, options.repeatIntervalMs);
    if (kind)
      notifications.push({
        kind: kind === 'repeat' ? 'firing' : kind,
        repeat: kind === 'repeat',
        alert: next,
        source: options.source,
        at: now.toISOString(),
      });
  }
  notifications.sort((a, b) => a.alert.key.localeCompare(b.alert.key));
  return { states, notifications };
}

/**
 * `states` with the delivered notifications recorded. A notification counts as delivered when any
 * channel took it, or when no channel is configured (nobody to tell); one that every channel failed
 * stays due and is sent again by the next evaluation.
 */
export function recordDeliveries(
  states: Readonly<Record<string, AlertState>>,
  delivered: readonly AlertNotification[],
): Record<string, AlertState> {
  const out = { ...states };
  for (const n of delivered) {
    const current = out[n.alert.key];
    if (current) out[n.alert.key] = { ...current, notified: n.kind, lastNotifiedAt: n.at };
  }
  return out;
}

/** One condition per alert: explicit rules first, then `check: '*'` for every check nobody named. */
function conditions(
  rules: readonly AlertRuleConfig[],
  sample: AlertSample,
  previous: AlertStates,
): Condition[] {
  const named = new Set(rules.flatMap((r) => (r.check && r.check !== '*' ? [r.check] : [])));
  const byName = new Map(sample.checks.map((c) => [c.name, c]));
  const out: Condition[] = [];
  for (const rule of rules) {
    if (rule.check === '*') {
      const seen = new Set<string>();
      for (const check of sample.checks) {
        if (named.has(check.name)) continue;
        seen.add(check.name);
        out.push(checkCondition(rule, check, check.name, `${rule.name}/${check.name}`));
      }
      // A check that went missing from the sample holds its alert where it was.
      for (const state of Object.values(previous)) {
        if (state.rule === rule.name && state.check && !seen.has(state.check) && !named.has(state.check))
          out.push(checkCondition(rule, undefined, state.check, state.key));
      }
    } else if (rule.check !== undefined) {
      out.push(checkCondition(rule, byName.get(rule.check), rule.check, rule.name));
    } else if (rule.metric !== undefined) {
      out.push(metricCondition(rule, rule.metric, sample, byName.get(rule.metric)));
    }
  }
  return out;
}

function checkCondition(
  rule: AlertRuleConfig,
  check: AlertCheck | undefined,
  checkName: string,
  key: string,
): Condition {
  const base = {
    key,
    rule,
    check,
    checkName,
    value: check?.value ?? null,
    unit: check?.unit ?? null,
  };
  if (rule.op !== undefined && rule.threshold !== undefined) {
    const threshold = `${rule.op} ${rule.threshold}`;
    const value = check?.value;
    if (typeof value !== 'number') return { ...base, holds: 'unknown', threshold };
    return { ...base, holds: compare(value, rule.op, rule.threshold) ? 'yes' : 'no', threshold };
  }
  const threshold = check?.threshold ?? null;
  if (!check || check.status === 'unknown') return { ...base, holds: 'unknown', threshold };
  const when = rule.when ?? 'critical';
  return { ...base, holds: STATUS_RANK[check.status] >= STATUS_RANK[when] ? 'yes' : 'no', threshold };
}

function metricCondition(
  rule: AlertRuleConfig,
  metric: string,
  sample: AlertSample,
  check: AlertCheck | undefined,
): Condition {
  const fromMetrics = sample.metrics?.[metric];
  const value = fromMetrics ?? (typeof check?.value === 'number' ? check.value : undefined);
  const threshold = `${rule.op} ${rule.threshold}`;
  const base = { key: rule.name, rule, check: undefined, checkName: null, threshold };
  if (value === undefined || !Number.isFinite(value) || rule.op === undefined || rule.threshold === undefined)
    return { ...base, holds: 'unknown', value: value ?? null, unit: null };
  return {
    ...base,
    holds: compare(value, rule.op, rule.threshold) ? 'yes' : 'no',
    value,
    unit: fromMetrics === undefined ? (check?.unit ?? null) : null,
  };
}

function compare(value: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

/** The rule's severity: given, else the check status it waits for, else warning. */
export function severityOf(rule: AlertRuleConfig): Severity {
  if (rule.severity) return rule.severity;
  if (rule.check !== undefined && rule.op === undefined) return rule.when ?? 'critical';
  return 'warning';
}

function describe(c: Condition): { summary: string; hint: string } {
  const { rule, check } = c;
  const summary =
    rule.summary ??
    (rule.metric !== undefined
      ? `${rule.metric} ${rule.op} ${rule.threshold}`
      : check
        ? rule.op === undefined
          ? `${check.title}: ${check.status}`
          : `${check.title} ${rule.op} ${rule.threshold}${check.unit ? ` ${check.unit}` : ''}`
        : `${c.checkName ?? rule.name}: no result`);
  return { summary, hint: rule.hint ?? check?.hint ?? '' };
}

/** The alert's next state. */
function transition(prev: AlertState | undefined, c: Condition, now: Date): AlertState {
  const at = now.toISOString();
  const forMs = c.rule.forMs ?? 0;
  const base: AlertState = prev ?? {
    key: c.key,
    rule: c.rule.name,
    check: c.checkName,
    metric: c.rule.metric ?? null,
    state: 'inactive',
    severity: severityOf(c.rule),
    summary: '',
    hint: '',
    value: null,
    unit: null,
    threshold: null,
    labels: {},
    activeSince: null,
    firingSince: null,
    resolvedAt: null,
    lastEvaluatedAt: at,
    notified: null,
    lastNotifiedAt: null,
  };
  // Rule edits (severity, labels, summary) show up at once, also on alerts already firing.
  const next: AlertState = {
    ...base,
    rule: c.rule.name,
    check: c.checkName,
    metric: c.rule.metric ?? null,
    severity: severityOf(c.rule),
    labels: { ...(c.rule.labels ?? {}) },
    lastEvaluatedAt: at,
  };
  if (c.holds === 'unknown') return next;
  Object.assign(next, describe(c), { value: c.value, unit: c.unit, threshold: c.threshold });

  if (c.holds === 'yes') {
    if (next.state === 'inactive' || next.state === 'resolved') {
      next.state = 'pending';
      next.activeSince = at;
      next.firingSince = null;
      next.resolvedAt = null;
    }
    if (next.state === 'pending' && now.getTime() - Date.parse(next.activeSince ?? at) >= forMs) {
      next.state = 'firing';
      next.firingSince = at;
      // A new episode: whatever was said about the last one, this one has not been told yet.
      next.notified = null;
    }
    return next;
  }
  if (next.state === 'firing') {
    next.state = 'resolved';
    next.resolvedAt = at;
  } else if (next.notified === 'firing') {
    // Fired and told, but the "resolved" message has not got through yet: keep trying.
    next.state = 'resolved';
    next.resolvedAt ??= at;
  } else {
    next.state = 'inactive';
    next.activeSince = null;
    next.firingSince = null;
  }
  return next;
}

/** Which notification the state calls for now, if any. */
function due(
  s: AlertState,
  now: Date,
  repeatIntervalMs: number,
): 'firing' | 'repeat' | 'resolved' | undefined {
  if (s.state === 'firing') {
    if (s.notified !== 'firing') return 'firing';
    const last = s.lastNotifiedAt === null ? 0 : Date.parse(s.lastNotifiedAt);
    if (repeatIntervalMs > 0 && now.getTime() - last >= repeatIntervalMs) return 'repeat';
    return undefined;
  }
  if (s.state === 'resolved' && s.notified === 'firing') return 'resolved';
  return undefined;
}
