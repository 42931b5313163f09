/**
 * Samples for the engine from the monitor's health report, so callers (`alerts check`, `serve`)
 * do not repeat the conversion.
 */
import type { HealthReport } from '../monitor/index.js';
import type { AlertSample } from './types.js';

/**
 * The alert sample of a health report: its checks, taken at `at` (default the report's own time).
 * `metrics` adds numbers for metric rules (a check's numeric value is available under its name anyway).
 */
export function sampleFromHealth(
  report: HealthReport,
  options: { at?: Date; metrics?: Record<string, number> } = {},
): AlertSample {
  return {
    at: options.at ?? new Date(report.at),
    checks: report.checks,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  };
}
