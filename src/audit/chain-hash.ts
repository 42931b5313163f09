/**
 * The one definition of an audit row's hash, as SQL. The trigger evaluates it over its local
 * variables when it appends a row; `audit verify` evaluates the same expression over the stored
 * columns. Computing both on the server means both sides see identical text for every value
 * (JSON, DATETIME(6), numbers), whatever the client's type conversions.
 */
import type { Flavor } from '../db/index.js';

/** The covered fields, in hash order. `audit_id` is not covered: it is assigned after the trigger hashes. */
export const HASHED_FIELDS = [
  'table_name',
  'chain_seq',
  'prev_hash',
  'row_pk',
  'action',
  'old_values',
  'new_values',
  'app_user',
  'request_id',
  'db_user',
  'connection_id',
  'changed_at',
] as const;

export type HashedField = (typeof HASHED_FIELDS)[number];

/** Hash of an empty chain: what the first row's prev_hash holds. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * `SHA2(...)` over the fields, each length-prefixed (`<chars>:<text>`) so no value can pass for
 * another by moving a separator, and NULL as `~` (distinct from every length-prefixed value).
 * `expr(field)` gives the SQL for a field (a column name or a trigger variable).
 */
export function chainHashSql(expr: (field: HashedField) => string, flavor: Flavor): string {
  const parts = HASHED_FIELDS.map((field) => {
    let e = expr(field);
    if (field === 'changed_at') e = `DATE_FORMAT(${e}, '%Y-%m-%d %H:%i:%s.%f')`;
    // MySQL's JSON is binary: hash its canonical text form, the same on write and on read.
    else if ((field === 'old_values' || field === 'new_values') && !flavor.isMariaDB)
      e = `CAST(${e} AS CHAR)`;
    return `IFNULL(CONCAT(CHAR_LENGTH(${e}), ':', ${e}), '~')`;
  });
  return `SHA2(CONCAT_WS('|', ${parts.join(', ')}), 256)`;
}
