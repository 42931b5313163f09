/**
 * The one definition of an audit row's content hash, as SQL. The trigger evaluates it over the
 * values it is about to insert; `audit seal` and `audit verify` evaluate the same definition over
 * the stored columns. Computing both on the server means both sides see identical text for every
 * value (JSON, DATETIME(6), numbers), whatever the client's type conversions.
 *
 * Encoding (hashed with SHA2-256): the fields below concatenated in this order, each but the last
 * as `<bytes>:<text>` (LENGTH(): bytes, cheaper than CHAR_LENGTH()), a NULL of a nullable field as
 * `~`, and the last field (changed_at) as its text alone: it runs to the end of the string. A
 * decoder reads a length, a colon and that many bytes, so no value can pass for another by moving
 * a boundary. A NULL in a NOT NULL field makes the whole hash NULL, which never matches a stored
 * hash (verify treats NULL as a mismatch).
 */
import type { Flavor } from '../db/index.js';

/** The covered fields, in hash order. `audit_id` and `seal_id` are not covered (the seal covers them). */
export const CONTENT_FIELDS = [
  'table_name',
  'action',
  'row_pk',
  'old_values',
  'new_values',
  'app_user',
  'request_id',
  'db_user',
  'connection_id',
  'changed_at',
] as const;

/** An audit log column covered by a row's content hash. */
export type ContentField = (typeof CONTENT_FIELDS)[number];

const NULLABLE = new Set<ContentField>(['old_values', 'new_values', 'app_user', 'request_id']);
const JSON_FIELDS = new Set<ContentField>(['old_values', 'new_values']);

/**
 * A field's value: SQL evaluated on the server, or (in a trigger) a constant known when the
 * trigger is generated, encoded here once instead of on every row. Literals must be plain
 * identifier characters (a table name, an action), or null.
 */
export type ContentValue = { sql: string } | { literal: string | null };

/** The encoding of a constant field, as the SQL expression would produce it. */
export function encodeLiteral(field: ContentField, value: string | null): string {
  if (value === null) {
    if (!NULLABLE.has(field)) throw new Error(`audit content field ${field} cannot be NULL`);
    return '~';
  }
  if (!/^[A-Za-z0-9_$]*$/.test(value)) throw new Error(`unsafe audit literal ${JSON.stringify(value)}`);
  return field === 'changed_at' ? value : `${Buffer.byteLength(value, 'utf8')}:${value}`;
}

/**
 * `SHA2(CONCAT(...), 256)` over the fields. `value(field)` gives each field's SQL or constant;
 * adjacent constants are merged into one string literal.
 */
export function contentHashSql(value: (field: ContentField) => ContentValue, flavor: Flavor): string {
  const parts: string[] = [];
  let literal = '';
  for (const field of CONTENT_FIELDS) {
    const v = value(field);
    if ('literal' in v) {
      literal += encodeLiteral(field, v.literal);
      continue;
    }
    if (literal) parts.push(`'${literal}'`);
    literal = '';
    // MySQL's JSON is binary: hash its canonical text form, the same on write and on read.
    const e = JSON_FIELDS.has(field) && !flavor.isMariaDB ? `CAST(${v.sql} AS CHAR)` : v.sql;
    if (field === 'changed_at') parts.push(e);
    else if (NULLABLE.has(field)) parts.push(`IFNULL(CONCAT(LENGTH(${e}), ':', ${e}), '~')`);
    else parts.push(`LENGTH(${e})`, "':'", e);
  }
  if (literal) parts.push(`'${literal}'`);
  return `SHA2(CONCAT(${parts.join(', ')}), 256)`;
}

/** The content hash over audit_log's own columns (optionally qualified: `a.`), for seal and verify. */
export function storedContentHashSql(flavor: Flavor, qualifier = ''): string {
  return contentHashSql((f) => ({ sql: `${qualifier}${f}` }), flavor);
}
