/**
 * The one place identifiers (database, table, column, user names) are put into SQL text. Values
 * are always bound with `?`; names cannot be, so they are validated and backtick-quoted here.
 */
import { MysqlopsError } from '../errors.js';

/**
 * Letters, digits, `_` and `$`, 1 to 64 characters: what both MySQL and MariaDB accept unquoted
 * (minus the all-digits case), and what we allow for names we create. Stricter than the server on
 * purpose: a name that needs exotic quoting is almost always a mistake or an injection attempt.
 */
const IDENTIFIER = /^[A-Za-z0-9_$]{1,64}$/;

/** True when `name` is an identifier mysqlops will quote. */
export function isValidIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !/^\d+$/.test(name);
}

/**
 * `name` quoted with backticks, after validation. Dotted input (`db.table`) is quoted part by part.
 * Throws `E_IDENTIFIER` (exit 2) for anything else, naming the offending text.
 */
export function quoteId(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => !isValidIdentifier(p))) {
    throw new MysqlopsError({
      code: 'E_IDENTIFIER',
      message: `invalid SQL identifier ${JSON.stringify(name)}`,
      hint: 'use 1-64 letters, digits, _ or $ (not all digits)',
      exitCode: 2,
    });
  }
  return parts.map((p) => `\`${p}\``).join('.');
}
