/**
 * What a failed connection attempt means for a person: wrong credentials (exit 2), a missing
 * database, or an unreachable server, with the fix named. Shared by the pool and by the
 * single-purpose connections (migration lock holder, seed loaders).
 */
import { ConnectError, driverFields, MysqlopsError } from '../errors.js';

const ACCESS_DENIED = 1045;
const BAD_DATABASE = 1049;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

/** Where a connection was going: `description` for messages, `sandbox` when it is the local sandbox. */
export interface ConnectTarget {
  description: string;
  sandbox?: string | undefined;
}

/** The fix for an unreachable sandbox, or undefined for a configured server. */
export function unreachableHint(target: ConnectTarget): string | undefined {
  if (target.sandbox === undefined) return undefined;
  const flag = target.sandbox === 'default' ? '' : ` --name ${target.sandbox}`;
  return `start it with \`mysqlops sandbox start${flag}\` (\`mysqlops sandbox status${flag}\` tells why it stopped)`;
}

/** A driver error from connecting (or pinging) turned into a typed error naming the target. */
export function connectErrorFor(err: unknown, target: ConnectTarget): Error {
  if (err instanceof MysqlopsError) return err;
  const d = driverFields(err);
  if (d.errno === ACCESS_DENIED) {
    return new ConnectError({ target: target.description, cause: err, auth: true, detail: d.sqlMessage });
  }
  if (d.errno === BAD_DATABASE) {
    return new MysqlopsError({
      code: 'E_CONNECT',
      message: `connected to ${target.description}, but ${d.sqlMessage ?? 'the database does not exist'}`,
      hint: 'create it (`mysqlops migrate up` does) or set DB_NAME to an existing database',
      cause: err,
    });
  }
  if (d.code && UNREACHABLE_CODES.has(d.code)) {
    return new ConnectError({
      target: target.description,
      cause: err,
      detail: describeNetworkCode(d.code),
      hint: unreachableHint(target),
    });
  }
  return new ConnectError({
    target: target.description,
    cause: err,
    detail: d.sqlMessage ?? (err as Error).message,
  });
}

function describeNetworkCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running on that port?)';
    case 'ENOENT':
      return 'socket file not found (is the server running?)';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ECONNRESET':
      return 'connection reset by the server';
    default:
      return code;
  }
}
