/**
 * The alert state machine on samples built here: pending -> firing after `forMs`, one notification
 * per transition, repeats, resolution, checks that say nothing, wildcard and metric rules.
 */
import { describe, expect, it } from 'vitest';
import type { AlertRuleConfig } from '../../src/alert/config-schema.js';
import { type Evaluation, evaluateAlerts, recordDeliveries } from '../../src/alert/evaluate.js';
import type { AlertCheck, AlertSample, AlertStates } from '../../src/alert/types.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);
const options = { repeatIntervalMs: 60 * MIN, source: 'db1:3306/app_db' };

function check(name: string, status: AlertCheck['status'], value: number | null = 1): AlertCheck {
  return {
    name,
    title: `Check ${name}`,
    status,
    value,
    unit: '%',
    threshold: '>= 80 warning, >= 95 critical',
    hint: `fix ${name}`,
  };
}
const sample = (minutes: number, checks: AlertCheck[], metrics?: Record<string, number>): AlertSample => ({
  at: at(minutes),
  checks,
  ...(metrics ? { metrics } : {}),
});

/** Evaluate a sequence of samples, every notification delivered, returning each step. */
function run(rules: AlertRuleConfig[], samples: AlertSample[], start: AlertStates = {}): Evaluation[] {
  let states: AlertStates = start;
  return samples.map((s) => {
    const e = evaluateAlerts(rules, s, states, options);
    states = recordDeliveries(e.states, e.notifications);
    return e;
  });
}

const connRule: AlertRuleConfig = { name: 'conn', check: 'connections', when: 'critical', forMs: 5 * MIN };

describe('evaluateAlerts', () => {
  it('stays pending (no notification) until the condition has held for forMs, then fires once', () => {
    const steps = run(
      [connRule],
      [0, 2, 4, 5, 6, 7].map((m) => sample(m, [check('connections', 'critical', 97)])),
    );
    expect(steps.map((s) => s.states.conn?.state)).toEqual([
      'pending',
      'pending',
      'pending',
      'firing',
      'firing',
      'firing',
    ]);
    expect(steps.map((s) => s.notifications.length)).toEqual([0, 0, 0, 1, 0, 0]);
    const fired = steps[3]?.notifications[0];
    expect(fired).toMatchObject({ kind: 'firing', repeat: false, source: 'db1:3306/app_db' });
    expect(fired?.alert).toMatchObject({
      key: 'conn',
      severity: 'critical',
      value: 97,
      unit: '%',
      threshold: '>= 80 warning, >= 95 critical',
      hint: 'fix connections',
      activeSince: at(0).toISOString(),
      firingSince: at(5).toISOString(),
    });
  });

  it('sends one "resolved" when a firing alert clears, then goes inactive', () => {
    const steps = run(
      [connRule],
      [
        sample(0, [check('connections', 'critical')]),
        sample(5, [check('connections', 'critical')]),
        sample(6, [check('connections', 'ok')]),
        sample(7, [check('connections', 'ok')]),
      ],
    );
    expect(steps.map((s) => s.states.conn?.state)).toEqual(['pending', 'firing', 'resolved', 'inactive']);
    expect(steps.flatMap((s) => s.notifications.map((n) => n.kind))).toEqual(['firing', 'resolved']);
    expect(steps[2]?.states.conn?.resolvedAt).toBe(at(6).toISOString());
  });

  it('a condition that clears while pending resets the wait and notifies nobody', () => {
    const steps = run(
      [connRule],
      [
        sample(0, [check('connections', 'critical')]),
        sample(4, [check('connections', 'warning')]),
        sample(5, [check('connections', 'critical')]),
        sample(9, [check('connections', 'critical')]),
        sample(10, [check('connections', 'critical')]),
      ],
    );
    expect(steps.map((s) => s.states.conn?.state)).toEqual([
      'pending',
      'inactive',
      'pending',
      'pending',
      'firing',
    ]);
    expect(steps.flatMap((s) => s.notifications)).toHaveLength(1);
  });

  it('fires at once with forMs 0', () => {
    const [step] = run([{ ...connRule, forMs: 0 }], [sample(0, [check('connections', 'critical')])]);
    expect(step?.states.conn?.state).toBe('firing');
    expect(step?.notifications).toHaveLength(1);
  });

  it('repeats a still-firing alert once per repeat interval', () => {
    const minutes = [0, 5, 30, 64, 65, 100, 125];
    const steps = run(
      [connRule],
      minutes.map((m) => sample(m, [check('connections', 'critical')])),
    );
    expect(steps.map((s) => s.notifications.map((n) => (n.repeat ? 'repeat' : n.kind)).join())).toEqual([
      '',
      'firing',
      '',
      '',
      'repeat',
      '',
      'repeat',
    ]);
  });

  it('never repeats with repeatIntervalMs 0', () => {
    let states: AlertStates = {};
    const kinds: string[] = [];
    for (const m of [0, 5, 600, 6000]) {
      const e = evaluateAlerts([connRule], sample(m, [check('connections', 'critical')]), states, {
        ...options,
        repeatIntervalMs: 0,
      });
      states = recordDeliveries(e.states, e.notifications);
      kinds.push(...e.notifications.map((n) => n.kind));
    }
    expect(kinds).toEqual(['firing']);
  });

  it('keeps a firing notification due until it is delivered', () => {
    const crit = (m: number) => sample(m, [check('connections', 'critical')]);
    const first = evaluateAlerts([{ ...connRule, forMs: 0 }], crit(0), {}, options);
    expect(first.notifications).toHaveLength(1);
    // Nothing delivered: the next evaluation asks again; once delivered, it stops.
    const second = evaluateAlerts([{ ...connRule, forMs: 0 }], crit(1), first.states, options);
    expect(second.notifications.map((n) => [n.kind, n.repeat])).toEqual([['firing', false]]);
    const third = evaluateAlerts(
      [{ ...connRule, forMs: 0 }],
      crit(2),
      recordDeliveries(second.states, second.notifications),
      options,
    );
    expect(third.notifications).toEqual([]);
  });

  it('keeps a resolved notification due until it is delivered', () => {
    const [, fired] = run(
      [connRule],
      [sample(0, [check('connections', 'critical')]), sample(5, [check('connections', 'critical')])],
    );
    const delivered = recordDeliveries(fired?.states ?? {}, fired?.notifications ?? []);
    const ok1 = evaluateAlerts([connRule], sample(6, [check('connections', 'ok')]), delivered, options);
    expect(ok1.notifications.map((n) => n.kind)).toEqual(['resolved']);
    const ok2 = evaluateAlerts([connRule], sample(7, [check('connections', 'ok')]), ok1.states, options);
    expect(ok2.states.conn?.state).toBe('resolved');
    expect(ok2.notifications.map((n) => n.kind)).toEqual(['resolved']);
    expect(ok2.states.conn?.resolvedAt).toBe(at(6).toISOString());
  });

  it('does not announce the end of an alert nobody was told about', () => {
    const fired = evaluateAlerts(
      [{ ...connRule, forMs: 0 }],
      sample(0, [check('connections', 'critical')]),
      {},
      options,
    );
    const cleared = evaluateAlerts(
      [{ ...connRule, forMs: 0 }],
      sample(1, [check('connections', 'ok')]),
      fired.states,
      options,
    );
    expect(cleared.notifications).toEqual([]);
  });

  it('holds the state while the check is unknown or missing', () => {
    const steps = run(
      [connRule],
      [
        sample(0, [check('connections', 'critical')]),
        sample(3, [check('connections', 'unknown', null)]),
        sample(5, []),
        sample(6, [check('connections', 'critical')]),
        sample(7, [check('connections', 'unknown', null)]),
      ],
    );
    // Minute 5 has no result: the wait is not over until a sample says the condition still holds.
    expect(steps.map((s) => s.states.conn?.state)).toEqual([
      'pending',
      'pending',
      'pending',
      'firing',
      'firing',
    ]);
    expect(steps[2]?.states.conn?.activeSince).toBe(at(0).toISOString());
    // The value shown is the last one measured, not the unknown one.
    expect(steps[4]?.states.conn?.value).toBe(1);
  });

  it('`when: warning` fires on warning and on critical', () => {
    const rule: AlertRuleConfig = { name: 'w', check: 'connections', when: 'warning' };
    const [a, b, c] = run(
      [rule],
      [
        sample(0, [check('connections', 'warning')]),
        sample(1, [check('connections', 'critical')]),
        sample(2, [check('connections', 'ok')]),
      ],
    );
    expect([a, b, c].map((s) => s?.states.w?.state)).toEqual(['firing', 'firing', 'resolved']);
    expect(a?.states.w?.severity).toBe('warning');
  });

  it('a wildcard rule watches every check that no other rule names, one alert each', () => {
    const rules: AlertRuleConfig[] = [
      { name: 'any', check: '*', when: 'critical', forMs: 0 },
      { name: 'conn', check: 'connections', when: 'critical', forMs: 10 * MIN },
    ];
    const [step] = run(rules, [
      sample(0, [check('connections', 'critical'), check('deadlocks', 'critical'), check('server', 'ok')]),
    ]);
    expect(Object.keys(step?.states ?? {}).sort()).toEqual(['any/deadlocks', 'any/server', 'conn']);
    expect(step?.notifications.map((n) => n.alert.key)).toEqual(['any/deadlocks']);
    expect(step?.states['any/deadlocks']).toMatchObject({ check: 'deadlocks', rule: 'any' });
  });

  it('a wildcard alert whose check disappears from the sample keeps its state', () => {
    const rules: AlertRuleConfig[] = [{ name: 'any', check: '*', when: 'critical', forMs: 0 }];
    const [, second] = run(rules, [sample(0, [check('deadlocks', 'critical')]), sample(1, [])]);
    expect(second?.states['any/deadlocks']?.state).toBe('firing');
  });

  it('metric rules compare a metric (or a check value) with the threshold', () => {
    const rules: AlertRuleConfig[] = [
      {
        name: 'qps',
        metric: 'queries_per_second',
        op: '>',
        threshold: 1000,
        forMs: 0,
        labels: { team: 'dba' },
      },
      { name: 'conn-value', metric: 'connections', op: '>=', threshold: 50 },
    ];
    const [hi, lo] = run(rules, [
      sample(0, [check('connections', 'ok', 60)], { queries_per_second: 1500 }),
      sample(1, [check('connections', 'ok', 10)], { queries_per_second: 900 }),
    ]);
    expect(hi?.states.qps).toMatchObject({
      state: 'firing',
      value: 1500,
      threshold: '> 1000',
      severity: 'warning',
      labels: { team: 'dba' },
    });
    expect(hi?.states.qps?.summary).toBe('queries_per_second > 1000');
    expect(hi?.states['conn-value']).toMatchObject({ state: 'firing', value: 60, unit: '%' });
    expect(lo?.states.qps?.state).toBe('resolved');
    expect(lo?.states['conn-value']?.state).toBe('resolved');
  });

  it('a check rule with op and threshold compares the check value, whatever its status', () => {
    const rule: AlertRuleConfig = {
      name: 'conn-high',
      check: 'connections',
      op: '>',
      threshold: 50,
      forMs: 0,
    };
    const [hi, lo, text] = run(
      [rule],
      [
        sample(0, [check('connections', 'ok', 60)]),
        sample(1, [check('connections', 'critical', 40)]),
        sample(2, [{ ...check('connections', 'critical'), value: 'n/a' }]),
      ],
    );
    expect(hi?.states['conn-high']).toMatchObject({
      state: 'firing',
      summary: 'Check connections > 50 %',
      threshold: '> 50',
      severity: 'warning',
    });
    expect(lo?.states['conn-high']?.state).toBe('resolved');
    // A value that is not a number says nothing about `> 50`.
    expect(text?.states['conn-high']?.state).toBe('resolved');
  });

  it('a metric that is absent holds the alert instead of resolving it', () => {
    const rules: AlertRuleConfig[] = [{ name: 'qps', metric: 'qps', op: '>', threshold: 1 }];
    const [, second] = run(rules, [sample(0, [], { qps: 5 }), sample(1, [])]);
    expect(second?.states.qps?.state).toBe('firing');
  });

  it('drops the states of rules that no longer exist', () => {
    const [first] = run([{ ...connRule, forMs: 0 }], [sample(0, [check('connections', 'critical')])]);
    const later = evaluateAlerts(
      [],
      sample(1, [check('connections', 'critical')]),
      first?.states ?? {},
      options,
    );
    expect(later.states).toEqual({});
    expect(later.notifications).toEqual([]);
  });
});
