/**
 * `tableReport()`: table sizes and fragmentation from information_schema.TABLES. The figures are
 * the storage engine's estimates (InnoDB samples pages; ANALYZE TABLE refreshes them); DATA_FREE is
 * space allocated to the table but unused, which OPTIMIZE TABLE gives back.
 */
import type { DatabaseManager } from '../db/index.js';
import { schemaCondition, toNumber } from './server-state.js';
import type { TableInfo, TableReport, TableReportOptions } from './types.js';

const FRAGMENTED_PCT = 10;
const FRAGMENTED_BYTES = 64 * 1024 * 1024;
const MAX_LIMIT = 10_000;

/** The biggest tables first (data + index), with free space and whether they have a primary key. */
export async function tableReport(
  db: DatabaseManager,
  options: TableReportOptions = {},
): Promise<TableReport> {
  const limit = Math.max(1, Math.min(Math.trunc(options.limit ?? 20), MAX_LIMIT));
  const where = schemaCondition('t.TABLE_SCHEMA', options.schemas);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT t.TABLE_SCHEMA AS s, t.TABLE_NAME AS t, t.ENGINE AS engine, t.TABLE_ROWS AS n,
            t.DATA_LENGTH AS data, t.INDEX_LENGTH AS idx, t.DATA_FREE AS free,
            EXISTS (SELECT 1 FROM information_schema.STATISTICS s
                     WHERE s.TABLE_SCHEMA = t.TABLE_SCHEMA AND s.TABLE_NAME = t.TABLE_NAME
                       AND s.INDEX_NAME = 'PRIMARY') AS pk
       FROM information_schema.TABLES t
      WHERE t.TABLE_TYPE = 'BASE TABLE' AND ${where.sql}`,
    where.params,
  );
  const all: TableInfo[] = rows.map((r) => {
    const dataBytes = toNumber(r.data) ?? 0;
    const indexBytes = toNumber(r.idx) ?? 0;
    const freeBytes = toNumber(r.free) ?? 0;
    const allocated = dataBytes + indexBytes + freeBytes;
    const fragmentationPct = allocated > 0 ? Math.round((10_000 * freeBytes) / allocated) / 100 : 0;
    return {
      schema: String(r.s),
      table: String(r.t),
      engine: r.engine == null ? null : String(r.engine),
      rows: toNumber(r.n) ?? 0,
      dataBytes,
      indexBytes,
      totalBytes: dataBytes + indexBytes,
      freeBytes,
      fragmentationPct,
      fragmented: fragmentationPct >= FRAGMENTED_PCT && freeBytes >= FRAGMENTED_BYTES,
      hasPrimaryKey: Number(r.pk) === 1,
    };
  });
  all.sort(
    (a, b) =>
      b.totalBytes - a.totalBytes || a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table),
  );
  const totals = {
    tables: all.length,
    dataBytes: all.reduce((n, t) => n + t.dataBytes, 0),
    indexBytes: all.reduce((n, t) => n + t.indexBytes, 0),
    freeBytes: all.reduce((n, t) => n + t.freeBytes, 0),
  };
  return {
    tables: all.slice(0, limit),
    totals,
    notes: [
      'sizes are the storage engine estimates (ANALYZE TABLE refreshes them)',
      `fragmented: at least ${FRAGMENTED_PCT}% and ${FRAGMENTED_BYTES / 1024 / 1024} MiB allocated but free; OPTIMIZE TABLE rebuilds the table and returns it`,
    ],
  };
}
