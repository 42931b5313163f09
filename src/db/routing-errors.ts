/**
 * The failures routing adds: no writable server right now. Such a write was never applied (the
 * server refused the connection, or answered read-only), so it is safe to retry once a primary is
 * found again; the manager looks for one at once and on every health check.
 */
import { MysqlopsError } from '../errors.js';
import { serverErrno } from './retry.js';

/** Thrown for writes while no configured server is writable (e.g. during a failover). Safe to retry. */
export class PrimaryUnavailableError extends MysqlopsError {
  /** Always true: the statement was not applied. */
  readonly retryable = true;
  /** The server that refused, or null when none was writable to begin with. */
  readonly node: string | null;

  constructor(node: string | null, cause?: unknown) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    super({
      code: 'E_PRIMARY_UNAVAILABLE',
      message: node
        ? `the primary ${node} did not take the statement${why}`
        : 'no writable server among the configured ones (read_only=0 and not a replica)',
      hint: 'the statement was not applied; retry it shortly (mysqlops is looking for the writable server, e.g. after a failover)',
      cause,
    });
    this.node = node;
  }
}

// ER_OPTION_PREVENTS_STATEMENT (with --read-only), ER_READ_ONLY_MODE, ER_UNKNOWN_COM_ERROR (Galera
// node not ready), ER_SERVER_SHUTDOWN.
const READ_ONLY_OPTION = 1290;
const REFUSED_ERRNOS = new Set([1836, 1047, 1053]);

/**
 * True when the server certainly did not apply the statement because it cannot take writes now:
 * unreachable at connect time, read-only, a Galera node that left the cluster, or shutting down.
 */
export function isWriterRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (code === 'E_CONNECT') return true;
  const errno = serverErrno(err);
  if (errno === READ_ONLY_OPTION) return /read.only/i.test(String((err as Error)?.message ?? ''));
  return errno !== undefined && REFUSED_ERRNOS.has(errno);
}
