/**
 * Fan-out of notifications to the channels: every channel works on its own, in parallel, with its
 * own retries and deadline, so a dead Slack endpoint never delays or stops the e-mail. Nothing here
 * throws: each notification and channel ends as one DeliveryResult.
 */

import type { Notifier } from './notifiers.js';
import { type RetryPolicy, withRetries } from './retry.js';
import type { AlertNotification, DeliveryResult } from './types.js';

/**
 * How notifications are delivered: attempts and backoff per channel, and a deadline so a hanging channel
 * cannot stall an evaluation.
 */
export interface DeliveryOptions extends RetryPolicy {
  /** Everything one channel does for one call ends within this many ms. */
  deadlineMs: number;
}

/**
 * What `deliverNotifications` did with each notification on each channel. `recordDeliveries` marks only
 * `delivered` as sent; the rest stay due and go out again on the next evaluation.
 */
export interface DeliveryReport {
  results: DeliveryResult[];
  /** The notifications that count as delivered: taken by any channel, or all of them when there is no channel. */
  delivered: AlertNotification[];
}

/** Send each notification through every notifier. */
export async function deliverNotifications(
  notifications: readonly AlertNotification[],
  notifiers: readonly Notifier[],
  options: DeliveryOptions,
): Promise<DeliveryReport> {
  if (notifications.length === 0) return { results: [], delivered: [] };
  if (notifiers.length === 0) return { results: [], delivered: [...notifications] };
  const deadline = Date.now() + options.deadlineMs;
  const perChannel = await Promise.all(
    notifiers.map(async (notifier) => {
      const results: DeliveryResult[] = [];
      // In order within a channel, so "resolved" never overtakes the "firing" it answers.
      for (const n of notifications) {
        const outcome = await withRetries((signal) => notifier.send(n, signal), options, deadline).catch(
          (err: unknown) => ({
            ok: false,
            attempts: 0,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
        results.push({ channel: notifier.channel, key: n.alert.key, kind: n.kind, ...outcome });
      }
      return results;
    }),
  );
  const results = perChannel.flat();
  const delivered = notifications.filter((n) =>
    results.some((r) => r.ok && r.key === n.alert.key && r.kind === n.kind),
  );
  return { results, delivered };
}
