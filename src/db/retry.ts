/**
 * Which failures a whole transaction may be retried after, and how long to wait between tries.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** ER_LOCK_DEADLOCK: InnoDB rolled the transaction back (Galera reports certification failures so too). */
export const ER_LOCK_DEADLOCK = 1213;
/** ER_LOCK_WAIT_TIMEOUT: only the statement was rolled back, so the caller must roll back the rest. */
export const ER_LOCK_WAIT_TIMEOUT = 1205;

const RETRYABLE = new Set([ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT]);

/** The server error number of `err` or of any error in its `cause` chain. */
export function serverErrno(err: unknown): number | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === 'number') return errno;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the failure was a deadlock or lock wait timeout, so re-running the whole transaction may succeed. */
export function isRetryableTransactionError(err: unknown): boolean {
  const errno = serverErrno(err);
  return errno !== undefined && RETRYABLE.has(errno);
}

/**
 * "Full jitter" exponential backoff: a random delay in [0, min(max, base * 2^attempt)], so that
 * two transactions that deadlocked each other do not retry in lock step and collide again.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(random() * ceiling);
}

export function delay(ms: number): Promise<void> {
  return sleep(ms);
}
