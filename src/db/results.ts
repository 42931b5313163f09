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

/**
 * The rows of a result. A `CALL` answers with its result sets followed by a status header
 * (`[[rows], header]`); callers of `query()` get its first result set, which is what a procedure
 * that returns one (like `place_order`'s `order_id`) means.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (!Array.isArray(result)) return [];
  if (result.length >= 2 && Array.isArray(result[0]) && isHeader(result[result.length - 1])) {
    return result[0] as T[];
  }
  if (result.length === 1 && isHeader(result[0])) return [];
  return result as T[];
}

function isHeader(value: unknown): boolean {
  return typeof value === 'object' && value !== null && value.constructor?.name === 'ResultSetHeader';
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
