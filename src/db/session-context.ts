/**
 * Who is acting: the application user and request id that audit triggers record. They travel as
 * session variables, and because a pooled connection outlives the caller that set them, every
 * checkout sets or clears them before the caller's statement runs (see DatabaseManager).
 */

/** Session variable the audit triggers read for the application user. */
export const APP_USER_VARIABLE = '@app_user';
/** Session variable the audit triggers read for the request id. */
export const APP_REQUEST_ID_VARIABLE = '@app_request_id';

export interface SessionContext {
  /** Application-level user (not the database account), e.g. `alice@example.com` or `etl`. */
  user?: string;
  /** A correlation id for the request or job that issued the statements. */
  requestId?: string;
}

export const SET_CONTEXT_SQL = `SET ${APP_USER_VARIABLE} = ?, ${APP_REQUEST_ID_VARIABLE} = ?`;

/** A stable key for comparing contexts; null means "no context". */
export function contextKey(ctx: SessionContext | null | undefined): string | null {
  if (!ctx || (ctx.user === undefined && ctx.requestId === undefined)) return null;
  return JSON.stringify([ctx.user ?? null, ctx.requestId ?? null]);
}

export function contextValues(ctx: SessionContext | null | undefined): [string | null, string | null] {
  return [ctx?.user ?? null, ctx?.requestId ?? null];
}
