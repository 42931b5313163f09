/**
 * What statements return, in the two shapes the API hands out: rows, or what a change did.
 */
import type { ResultSetHeader } from 'mysql2';

/** Result of `execute()`: what a data-changing statement did. */
export interface ExecuteResult {
  affectedRows: number;
  insertId: number;
  changedRows: number;
  warningStatus: number;
}

export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : [];
}

export function headerOf(result: unknown): ExecuteResult {
  const h = (Array.isArray(result) ? {} : (result ?? {})) as Partial<ResultSetHeader>;
  return {
    affectedRows: h.affectedRows ?? 0,
    insertId: Number(h.insertId ?? 0),
    changedRows: h.changedRows ?? 0,
    warningStatus: h.warningStatus ?? 0,
  };
}

export function rowCount(result: unknown): number {
  if (Array.isArray(result)) return result.length;
  return (result as Partial<ResultSetHeader> | undefined)?.affectedRows ?? 0;
}
