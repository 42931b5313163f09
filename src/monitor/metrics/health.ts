/**
 * Health check states as metrics: `mysqlops_health_check_status{check}` (0 ok, 1 warning,
 * 2 critical, 3 unknown), the overall status, and each check's value where it is a number.
 */
import type { CheckStatus, HealthReport } from '../types.js';
import { type Exposition, labelSet } from './exposition.js';

/** What a health status is worth as a sample; alert rules compare against these numbers. */
export const HEALTH_STATUS_VALUE: Readonly<Record<CheckStatus, number>> = Object.freeze({
  ok: 0,
  warning: 1,
  critical: 2,
  unknown: 3,
});

/** The part of a health report the metrics use. */
export type HealthSnapshot = Pick<HealthReport, 'status' | 'checks'>;

export function writeHealth(out: Exposition, report: HealthSnapshot): void {
  const statusOf = (s: CheckStatus) => HEALTH_STATUS_VALUE[s] ?? HEALTH_STATUS_VALUE.unknown;
  out.single(
    'mysqlops_health_status',
    'gauge',
    'Worst health check status: 0 ok, 1 warning, 2 critical, 3 unknown.',
    statusOf(report.status),
  );
  out.family(
    'mysqlops_health_check_status',
    'gauge',
    'Health check status: 0 ok, 1 warning, 2 critical, 3 unknown.',
    report.checks.map((c) => [labelSet([['check', c.name]]), statusOf(c.status)] as const),
  );
  out.family(
    'mysqlops_health_check_value',
    'gauge',
    'The value a health check measured, for checks that measure a number (unit in the check).',
    report.checks
      .filter((c) => typeof c.value === 'number' && Number.isFinite(c.value))
      .map(
        (c) =>
          [
            labelSet([
              ['check', c.name],
              ['unit', c.unit ?? ''],
            ]),
            c.value as number,
          ] as const,
      ),
  );
}
