/**
 * The SELECT that reads a chunk. Two ways, same bytes in the file:
 *
 * - `server`: the server builds each escaped line itself (`CONCAT_WS(0x09, ...)` of every value
 *   as raw bytes, with `\`, tab, newline, CR, NUL and Ctrl-Z escaped by REPLACE and NULL as `\N`),
 *   so the client receives one value per row and copies it. About three times less client CPU.
 *   Used only when no value can make a line longer than max_allowed_packet: past that the server
 *   returns NULL for the line (with a warning), which would lose data.
 * - `client`: the values as the server sends them, escaped by RowEncoder. For tables with
 *   MEDIUM/LONG TEXT/BLOB, JSON or spatial columns.
 */
import { quoteId } from '../db/index.js';
import type { ColumnInfo, TableInfo } from './catalog.js';

export type RowEncoding = 'server' | 'client';

/** Types whose values carry no byte that needs escaping, and are never NULL-confusable. */
const PLAIN_TYPES = new Set([
  'tinyint',
  'smallint',
  'mediumint',
  'int',
  'integer',
  'bigint',
  'decimal',
  'float',
  'double',
  'date',
  'datetime',
  'timestamp',
  'time',
  'year',
]);
/** Values that may exceed what a line can hold on the server. */
const UNBOUNDED_TYPES = new Set(['mediumtext', 'longtext', 'mediumblob', 'longblob', 'json']);
/** Spatial types: binary values of any length. */
const SPATIAL =
  /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|geomcollection)$/;

/** A bound on the bytes a value takes on the line after escaping (every byte may double). */
function lineBytes(c: ColumnInfo): number {
  if (PLAIN_TYPES.has(c.dataType)) return 100;
  return 2 * (c.octetLength ?? 64) + 2;
}

/** How `table` is best read, given the server's max_allowed_packet. */
export function chooseEncoding(table: TableInfo, maxPacket: number): RowEncoding {
  let bound = 0;
  for (const c of table.columns) {
    if (UNBOUNDED_TYPES.has(c.dataType) || SPATIAL.test(c.dataType)) return 'client';
    bound += lineBytes(c) + 1;
  }
  // Leave room for the packet's own framing.
  return bound < maxPacket - 1024 ? 'server' : 'client';
}

/** The escaped line expression of one column. */
function lineExpr(c: ColumnInfo): string {
  const col = quoteId(c.name);
  if (PLAIN_TYPES.has(c.dataType)) return `IFNULL(${col}, 0x5C4E)`;
  // BINARY keeps each column's own bytes (no conversion to a common character set).
  const escaped =
    `REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(BINARY ${col}, 0x5C, 0x5C5C), 0x09, 0x5C74), ` +
    '0x0A, 0x5C6E), 0x0D, 0x5C72), 0x00, 0x5C30), 0x1A, 0x5C5A)';
  return `IFNULL(${escaped}, 0x5C4E)`;
}

/** The SELECT list for `table` read with `encoding`. */
export function selectList(table: TableInfo, encoding: RowEncoding): string {
  if (encoding === 'client') return table.columns.map((c) => quoteId(c.name)).join(', ');
  return `CONCAT_WS(0x09, ${table.columns.map(lineExpr).join(', ')})`;
}
