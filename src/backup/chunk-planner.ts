/**
 * Splitting a table into chunks that workers dump in parallel, without losing or duplicating a row
 * at a boundary. Boundaries are read inside the shared snapshot, and every comparison is made the
 * way the key's index orders: integers as integers (never through a double), strings in their own
 * character set and collation (the boundary travels as hex and is converted back on the server),
 * temporal values as their type. Key types whose order a literal cannot reproduce (FLOAT, ENUM,
 * SET, BIT) and tables without a usable key are dumped as one chunk, streamed.
 *
 * - one integer key column: ranges of equal width between MIN and MAX (no scan);
 * - any other orderable key (composite, string, temporal, decimal): every `chunkRows`-th key read by
 *   walking the key in order (`ORDER BY key LIMIT 1 OFFSET n` from the last boundary).
 *
 * Chunks are half-open: `key <= b1`, `b1 < key <= b2`, ..., `key > bn`, so every row falls in exactly
 * one. The backup also counts every chunked table inside the snapshot and checks the sum.
 */
import { quoteId } from '../db/index.js';
import type { ColumnInfo, TableInfo } from './catalog.js';
import type { Session } from './session.js';

export interface Chunk {
  table: TableInfo;
  /** 0-based position within the table. */
  index: number;
  /** SQL condition (without WHERE), empty for the whole table. */
  where: string;
  params: unknown[];
}

export interface TablePlan {
  table: TableInfo;
  chunking: 'integer-range' | 'key-boundaries' | 'single';
  chunks: Chunk[];
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const STRING_TYPES = new Set(['char', 'varchar']);
const BINARY_TYPES = new Set(['binary', 'varbinary']);
const TEMPORAL_CAST: Record<string, (c: ColumnInfo) => string> = {
  date: () => 'DATE',
  datetime: (c) => `DATETIME(${c.datetimePrecision ?? 0})`,
  timestamp: (c) => `DATETIME(${c.datetimePrecision ?? 0})`,
  time: (c) => `TIME(${c.datetimePrecision ?? 0})`,
};
const NAME = /^[A-Za-z0-9_]+$/;

/** True when boundaries of this column type can be compared exactly as the index orders. */
function orderable(c: ColumnInfo): boolean {
  if (INTEGER_TYPES.has(c.dataType) || c.dataType === 'year' || c.dataType === 'decimal') return true;
  if (c.dataType in TEMPORAL_CAST) return true;
  if (BINARY_TYPES.has(c.dataType)) return true;
  return STRING_TYPES.has(c.dataType) && NAME.test(c.charset ?? '') && NAME.test(c.collation ?? '');
}

/** How a boundary value is selected (as text the client can hold exactly). */
function fetchExpr(c: ColumnInfo): string {
  const col = quoteId(c.name);
  return STRING_TYPES.has(c.dataType) || BINARY_TYPES.has(c.dataType)
    ? `HEX(${col})`
    : `CAST(${col} AS CHAR)`;
}

/** The placeholder expression that turns a fetched boundary back into a value of the column's type. */
function paramExpr(c: ColumnInfo): string {
  if (STRING_TYPES.has(c.dataType)) return `CONVERT(UNHEX(?) USING ${c.charset}) COLLATE ${c.collation}`;
  if (BINARY_TYPES.has(c.dataType)) return 'UNHEX(?)';
  if (INTEGER_TYPES.has(c.dataType) || c.dataType === 'year')
    return c.columnType.includes('unsigned') || c.dataType === 'year'
      ? 'CAST(? AS UNSIGNED)'
      : 'CAST(? AS SIGNED)';
  if (c.dataType === 'decimal')
    return `CAST(? AS DECIMAL(${c.numericPrecision ?? 65},${c.numericScale ?? 0}))`;
  const temporal = TEMPORAL_CAST[c.dataType];
  if (temporal) return `CAST(? AS ${temporal(c)})`;
  throw new Error(`no boundary expression for ${c.dataType}`);
}

/** `key > boundary` (strict) or `key <= boundary`, lexicographic over the key columns. */
export function compareKey(
  key: readonly ColumnInfo[],
  op: '>' | '<=',
  boundary: readonly string[],
): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const build = (i: number): string => {
    const c = key[i] as ColumnInfo;
    const col = quoteId(c.name);
    const v = paramExpr(c);
    const last = i === key.length - 1;
    if (last) {
      params.push(boundary[i]);
      return `${col} ${op} ${v}`;
    }
    params.push(boundary[i], boundary[i]);
    const strict = op === '>' ? '>' : '<';
    return `(${col} ${strict} ${v} OR (${col} = ${v} AND ${build(i + 1)}))`;
  };
  return { sql: build(0), params };
}

/**
 * Plan the chunks of `table` on `s`, a session inside the snapshot. `chunkRows` is the target rows
 * per chunk; small tables (by estimate) are one chunk.
 */
export async function planTable(s: Session, table: TableInfo, chunkRows: number): Promise<TablePlan> {
  const single = (): TablePlan => ({
    table,
    chunking: 'single',
    chunks: [{ table, index: 0, where: '', params: [] }],
  });
  const key = table.key;
  if (key.length === 0 || !key.every(orderable) || table.estimatedRows <= chunkRows * 1.5) return single();
  const from = `${quoteId(table.database)}.${quoteId(table.name)}`;
  const first = key[0] as ColumnInfo;

  if (key.length === 1 && INTEGER_TYPES.has(first.dataType)) {
    const col = quoteId(first.name);
    const [row] = await s.rows<{ lo: Buffer | string | null; hi: Buffer | string | null }>(
      `SELECT CAST(MIN(${col}) AS CHAR) AS lo, CAST(MAX(${col}) AS CHAR) AS hi FROM ${from}`,
    );
    if (row?.lo == null || row.hi == null) return single();
    const lo = BigInt(String(row.lo));
    const hi = BigInt(String(row.hi));
    const n = BigInt(Math.max(1, Math.ceil(table.estimatedRows / chunkRows)));
    const width = (hi - lo + 1n + n - 1n) / n;
    if (n <= 1n || width <= 0n) return single();
    const bounds: string[] = [];
    // Boundary b means: the previous chunk ends at b - 1; expressed with <= and > on b - 1.
    for (let i = 1n; i < n; i++) bounds.push(String(lo + i * width - 1n));
    return {
      table,
      chunking: 'integer-range',
      chunks: chunksFrom(
        table,
        key,
        bounds.map((b) => [b]),
      ),
    };
  }

  const order = key.map((c) => quoteId(c.name)).join(', ');
  const select = key.map((c, i) => `${fetchExpr(c)} AS k${i}`).join(', ');
  const bounds: string[][] = [];
  for (;;) {
    const prev = bounds[bounds.length - 1];
    const cond = prev ? compareKey(key, '>', prev) : { sql: '', params: [] };
    const rows = await s.rows<Record<string, Buffer | string>>(
      `SELECT ${select} FROM ${from}${cond.sql ? ` WHERE ${cond.sql}` : ''} ORDER BY ${order} LIMIT 1 OFFSET ${chunkRows - 1}`,
      cond.params,
    );
    const row = rows[0];
    if (!row) break;
    bounds.push(key.map((_, i) => String(row[`k${i}`])));
  }
  if (bounds.length === 0) return single();
  return { table, chunking: 'key-boundaries', chunks: chunksFrom(table, key, bounds) };
}

function chunksFrom(table: TableInfo, key: readonly ColumnInfo[], bounds: readonly string[][]): Chunk[] {
  const chunks: Chunk[] = [];
  for (let i = 0; i <= bounds.length; i++) {
    const parts: string[] = [];
    const params: unknown[] = [];
    const lower = bounds[i - 1];
    const upper = bounds[i];
    if (lower) {
      const c = compareKey(key, '>', lower);
      parts.push(c.sql);
      params.push(...c.params);
    }
    if (upper) {
      const c = compareKey(key, '<=', upper);
      parts.push(c.sql);
      params.push(...c.params);
    }
    chunks.push({ table, index: i, where: parts.join(' AND '), params });
  }
  return chunks;
}
