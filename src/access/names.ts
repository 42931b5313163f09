/**
 * Account and role names as they reach SQL. User, role and host names cannot be bound with `?`,
 * so every one of them passes through `quoteAccount` / `quoteRole` here, which validate first and
 * quote second. Stricter than the server on purpose: a name that needs exotic quoting is a mistake
 * or an attack, and the error says which.
 */
import { isValidIdentifier } from '../db/index.js';
import { MysqlopsError } from '../errors.js';

/** MySQL caps user names at 32 characters (MariaDB at 80); we keep to the lower limit everywhere. */
export const MAX_ACCOUNT_NAME = 32;

/** Names the servers reserve for roles (`SET ROLE NONE`, `PUBLIC` in MariaDB 11). */
const RESERVED = new Set(['none', 'public', 'current_user', 'current_role']);

function identifierError(what: string, value: string, hint: string): MysqlopsError {
  // JSON.stringify shows NUL, quotes and newlines escaped, so the message itself stays harmless.
  const shown = value.length > 80 ? `${JSON.stringify(value.slice(0, 80))}…` : JSON.stringify(value);
  return new MysqlopsError({ code: 'E_IDENTIFIER', message: `invalid ${what} ${shown}`, hint, exitCode: 2 });
}

/** Why `name` is not a valid user or role name, or undefined when it is. */
export function accountNameProblem(name: string): string | undefined {
  if (!isValidIdentifier(name) || name.includes('$'))
    return 'use letters, digits and _ only (not all digits)';
  if (name.length > MAX_ACCOUNT_NAME) return `at most ${MAX_ACCOUNT_NAME} characters`;
  if (RESERVED.has(name.toLowerCase())) return 'this name is reserved by the server';
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV4_PREFIX = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){0,2}\.%$/;
const IPV4_NETMASK = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,3}(?:\.\d{1,3}){3})$/;
const IPV6 = /^[0-9a-fA-F:]{2,39}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Why `host` is not an account host we accept, or undefined when it is. Accepted: `%` (any host,
 * spelled out on purpose), `localhost`, an IPv4 or IPv6 address, an IPv4 prefix ending in `.%`
 * (`10.0.%`), an address/netmask pair, or a DNS name. `%` anywhere else and `_` (the other LIKE
 * wildcard) are refused: `%.example.com` or `10.%.1.%` widen access in ways nobody reviews.
 */
export function hostProblem(host: string): string | undefined {
  if (host === '%' || host === 'localhost') return undefined;
  if (IPV4.test(host) || IPV4_PREFIX.test(host)) return undefined;
  const mask = IPV4_NETMASK.exec(host);
  if (mask && IPV4.test(mask[1] ?? '') && IPV4.test(mask[2] ?? '')) return undefined;
  if (host.includes(':') && IPV6.test(host)) return undefined;
  if (!host.includes('%') && !host.includes('_') && HOSTNAME.test(host)) return undefined;
  return 'use %, localhost, an IP address, an IPv4 prefix like 10.0.%, address/netmask or a DNS name';
}

/** `name` validated as a user or role name and backtick-quoted. Throws E_IDENTIFIER (exit 2). */
export function quoteName(name: string, what = 'user or role name'): string {
  const problem = accountNameProblem(name);
  if (problem) throw identifierError(what, name, problem);
  return `\`${name}\``;
}

/** A role as SQL: `` `app_read` `` (MySQL reads it as `` `app_read`@`%` ``). */
export function quoteRole(role: string): string {
  return quoteName(role, 'role name');
}

/**
 * An account as SQL, `` `user`@`host` ``, after validating both parts. The only way a user or host
 * reaches a statement. Throws E_IDENTIFIER (exit 2) naming the offending part.
 */
export function quoteAccount(user: string, host: string): string {
  const u = quoteName(user, 'user name');
  const problem = hostProblem(host);
  if (problem) throw identifierError('host', host, problem);
  return `${u}@\`${host}\``;
}
