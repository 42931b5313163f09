/**
 * Delivery with retries: exponential backoff with jitter, a time limit per attempt, and one deadline
 * for everything a channel does in an evaluation, so a dead endpoint costs bounded time. Only
 * failures that may pass are retried (the channel says which); the outcome is returned, never thrown.
 */

/** How hard to try. All times in milliseconds. */
export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** Wait before the second attempt; doubles for each later one, with ±25 % jitter. */
  baseBackoffMs: number;
  /** Ceiling for one wait. Default 30000. */
  maxBackoffMs?: number;
  /** Time limit of one attempt. */
  timeoutMs: number;
}

/** A failed attempt, as a channel reports it. The message must not contain secrets. */
export class DeliveryError extends Error {
  /** Worth another attempt (server error, rate limit, network trouble, timeout). */
  readonly retryable: boolean;
  /** The server asked to wait this long (429 Retry-After). */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number | undefined; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface AttemptOutcome {
  ok: boolean;
  attempts: number;
  error?: string;
}

/**
 * Run `attempt` until it succeeds, fails for good, runs out of attempts, or would pass `deadline`
 * (epoch ms). Each attempt gets a signal that aborts at its time limit (or the deadline, if sooner).
 * Anything thrown that is not a DeliveryError counts as retryable.
 */
export async function withRetries(
  attempt: (signal: AbortSignal) => Promise<void>,
  policy: RetryPolicy,
  deadline: number,
  sleep: (ms: number) => Promise<void> = delay,
): Promise<AttemptOutcome> {
  let lastError = 'no attempt made: the delivery deadline had passed';
  for (let n = 1; n <= policy.attempts; n++) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { ok: false, attempts: n - 1, error: lastError };
    const limit = Math.min(policy.timeoutMs, remaining);
    try {
      await attempt(AbortSignal.timeout(limit));
      return { ok: true, attempts: n };
    } catch (err) {
      const failure = asDeliveryError(err, limit);
      lastError = failure.message;
      if (!failure.retryable) return { ok: false, attempts: n, error: lastError };
      if (n === policy.attempts) return { ok: false, attempts: n, error: lastError };
      const wait = failure.retryAfterMs ?? backoff(policy, n);
      if (Date.now() + wait >= deadline)
        return { ok: false, attempts: n, error: `${lastError} (gave up: the delivery deadline would pass)` };
      await sleep(wait);
    }
  }
  return { ok: false, attempts: policy.attempts, error: lastError };
}

/** The wait after attempt `n` (1-based). */
export function backoff(policy: RetryPolicy, n: number): number {
  const raw = policy.baseBackoffMs * 2 ** (n - 1);
  const capped = Math.min(raw, policy.maxBackoffMs ?? 30_000);
  return Math.round(capped * (0.75 + Math.random() * 0.5));
}

function asDeliveryError(err: unknown, limit: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return new DeliveryError(`timed out after ${limit} ms`, { retryable: true, cause: err });
  return new DeliveryError(err instanceof Error ? err.message : String(err), { retryable: true, cause: err });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
