/** The replication module's error: a topology step that failed, an unknown node, a refused promotion. */
import { type ErrorCode, MysqlopsError } from '../errors.js';

/**
 * A replica-topology failure. Codes: E_REPLICATION (a step failed; exit 1, or 2 for a bad request),
 * E_REPLICATION_NODE (no such topology or node; exit 2), E_PROMOTE_REFUSED (promotion would lose
 * transactions or the primary is still up; exit 1).
 */
export class ReplicationError extends MysqlopsError {
  /** The node concerned, when there is one (sandbox name). */
  readonly node: string | undefined;

  constructor(
    message: string,
    options: {
      code?: Extract<ErrorCode, 'E_REPLICATION' | 'E_REPLICATION_NODE' | 'E_PROMOTE_REFUSED'>;
      hint?: string;
      node?: string;
      cause?: unknown;
      exitCode?: 1 | 2;
    } = {},
  ) {
    const code = options.code ?? 'E_REPLICATION';
    super({
      code,
      message,
      hint: options.hint,
      cause: options.cause,
      exitCode: options.exitCode ?? (code === 'E_REPLICATION_NODE' ? 2 : 1),
    });
    this.node = options.node;
  }
}
