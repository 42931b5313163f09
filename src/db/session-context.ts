/**
 * Who is acting: the application user and request id that audit triggers record. They travel as
 * session variables, and because a pooled connection outlives the caller that set them, every
 * checkout sets or clears them before the caller's statement runs (see DatabaseManager).
 */

/** Session variable the audit triggers read for the application user. */
export const APP_USER_VARIABLE = '@app_user';
/** Session variable the audit triggers read for the request id. */
export const APP_REQUEST_ID_VARIABLE = '@app_request_id';

/**
 * Who is acting, for the audit trail: passed to `db.withContext()` and set as session variables
 * before each statement. Both fields are optional; an empty context clears what a pooled connection
 * carried.
 */
export interface SessionContext {
  /** Application-level user (not the database account), e.g. `alice@example.com` or `etl`. */
  user?: string;
  /** A correlation id for the request or job that issued the statements. */
  requestId?: string;
}

export const SET_CONTEXT_SQL = `SET ${APP_USER_VARIABLE} = ?, ${APP_REQUEST_ID_VARIABLE} = ?`;

/** A context prepared once for the hot path: its comparison key and the values to SET. */
export interface BoundContext {
  readonly key: string;
  readonly values: readonly [string | null, string | null];
}

/** Prepare a context; null when it carries nothing (then it behaves as "no context"). */
export function bindContext(ctx: SessionContext): BoundContext | null {
  if (ctx.user === undefined && ctx.requestId === undefined) return null;
  const values = [ctx.user ?? null, ctx.requestId ?? null] as const;
  return { key: JSON.stringify(values), values };
}

/** The values that clear a context. */
export const NO_CONTEXT_VALUES = [null, null] as const;
