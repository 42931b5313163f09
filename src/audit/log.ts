/**
 * `audit log`: query the trail, newest first, with bound filters. The table filter is checked by
 * `quoteId` (E_IDENTIFIER, exit 2) before it is used, like any name from the command line.
 */
import { type DatabaseManager, quoteId } from '../db/index.js';

/** Filters of `queryAuditLog`; all given ones must match. Newest rows come first. */
export interface AuditLogQuery {
  table?: string;
  /** Rows changed at or after this instant. */
  since?: Date;
  /** Application user (@app_user) exactly. */
  user?: string;
  /** Primary key as stored: `42`, or a JSON array for composite keys. */
  row?: string;
  /** Default 100, at most 10,000. */
  limit?: number;
}

/**
 * One row of the audit log: who changed which row how, with the values before and after (null where the
 * action has none).
 */
export interface AuditLogEntry {
  auditId: number;
  table: string;
  /** The sealed block holding the row; null while unsealed. */
  sealId: number | null;
  rowPk: string;
  action: 'INSERT' | 'UPDATE' | 'DELETE';
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  appUser: string | null;
  requestId: string | null;
  dbUser: string;
  connectionId: number;
  /** ISO 8601 UTC with microseconds. */
  changedAt: string;
}

/** The most rows one `queryAuditLog` returns, so a query without filters cannot pull the whole log. */
export const AUDIT_LOG_MAX_LIMIT = 10_000;

function json(v: unknown): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  return (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;
}

/** The matching audit rows, newest first. */
export async function queryAuditLog(db: DatabaseManager, q: AuditLogQuery = {}): Promise<AuditLogEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.table !== undefined) {
    quoteId(q.table);
    where.push('table_name = ?');
    params.push(q.table);
  }
  if (q.since !== undefined) {
    where.push('changed_at >= ?');
    params.push(q.since);
  }
  if (q.user !== undefined) {
    where.push('app_user = ?');
    params.push(q.user);
  }
  if (q.row !== undefined) {
    where.push('row_pk = ?');
    params.push(q.row);
  }
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), AUDIT_LOG_MAX_LIMIT);
  params.push(limit);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT audit_id, table_name, seal_id, row_pk, action, old_values, new_values, app_user, request_id,
            db_user, connection_id, DATE_FORMAT(changed_at, '%Y-%m-%dT%H:%i:%s.%fZ') AS changed_at
     FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY audit_id DESC LIMIT ?`,
    params as never,
  );
  return rows.map((r) => ({
    auditId: Number(r.audit_id),
    table: String(r.table_name),
    sealId: r.seal_id === null || r.seal_id === undefined ? null : Number(r.seal_id),
    rowPk: String(r.row_pk),
    action: r.action as AuditLogEntry['action'],
    oldValues: json(r.old_values),
    newValues: json(r.new_values),
    appUser: (r.app_user as string | null) ?? null,
    requestId: (r.request_id as string | null) ?? null,
    dbUser: String(r.db_user),
    connectionId: Number(r.connection_id),
    changedAt: String(r.changed_at),
  }));
}
