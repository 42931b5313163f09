/**
 * Turning a value and its levels into a status and a threshold text, and combining statuses.
 */
import { HEALTH_LEVELS, type HealthLevelName, type HealthThresholds } from './config-schema.js';
import type { CheckStatus, HealthCheck } from './types.js';

const RANK: Record<CheckStatus, number> = { ok: 0, unknown: 1, warning: 2, critical: 3 };

/** The worse of the statuses (critical > warning > unknown > ok); ok for none. */
export function worst(statuses: Iterable<CheckStatus>): CheckStatus {
  let out: CheckStatus = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[out]) out = s;
  return out;
}

/** The status of `value` against the named levels (direction from HEALTH_LEVELS). */
export function judge(value: number, name: HealthLevelName, t: HealthThresholds): CheckStatus {
  const { warning, critical } = t[name];
  if (HEALTH_LEVELS[name] === 'up')
    return value >= critical ? 'critical' : value >= warning ? 'warning' : 'ok';
  return value <= critical ? 'critical' : value <= warning ? 'warning' : 'ok';
}

/** `>= 80% warning, >= 95% critical` (or `<=` for levels where lower is worse). */
export function levelText(name: HealthLevelName, t: HealthThresholds, unit = ''): string {
  const op = HEALTH_LEVELS[name] === 'up' ? '>=' : '<=';
  const { warning, critical } = t[name];
  const u = unit === '%' ? '%' : unit ? ` ${unit}` : '';
  return `${op} ${warning}${u} warning, ${op} ${critical}${u} critical`;
}

/** A check built from a measured value and its levels. */
export function leveled(
  base: Pick<HealthCheck, 'name' | 'title'> & { unit?: string },
  value: number,
  name: HealthLevelName,
  t: HealthThresholds,
  hint: (status: CheckStatus) => string,
): HealthCheck {
  const status = judge(value, name, t);
  return {
    ...base,
    status,
    value: round(value),
    threshold: levelText(name, t, base.unit),
    hint: hint(status),
  };
}

/** A check that could not be measured, with the reason as its hint. */
export function unknownCheck(
  base: Pick<HealthCheck, 'name' | 'title'> & { unit?: string },
  threshold: string | null,
  reason: string,
): HealthCheck {
  return { ...base, status: 'unknown', value: null, threshold, hint: reason };
}

/** Two decimals at most: enough for percentages and rates, short in tables and JSON. */
export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
