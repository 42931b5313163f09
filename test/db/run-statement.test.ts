/**
 * The pure decisions around one statement: which failures leave the connection unusable, which
 * allow a re-send, and how server messages are redacted. No server needed.
 */
import { describe, expect, it } from 'vitest';
import { isFatal, mayResend, toQueryError } from '../../src/db/run-statement.js';
import { driverFields, MysqlopsError, QueryError, redactServerMessage } from '../../src/errors.js';

function driverError(fields: Record<string, unknown>, message = 'driver error'): Error {
  return Object.assign(new Error(message), fields);
}

describe('fatal errors and re-sending', () => {
  it('follows the cause chain of our own errors to the driver error', () => {
    const lost = driverError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
    const wrapped = toQueryError(lost, 'SELECT ?', undefined);
    expect((wrapped as MysqlopsError).code).toBe('E_CONNECTION_LOST');
    expect(isFatal(wrapped)).toBe(true);
    const twice = new MysqlopsError({ code: 'E_QUERY', message: 'outer', cause: wrapped });
    expect(isFatal(twice)).toBe(true);
    expect(driverFields(twice)).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
    const plain = toQueryError(driverError({ code: 'ER_NO_SUCH_TABLE', errno: 1146 }), 'SELECT ?', undefined);
    expect(isFatal(plain)).toBe(false);
  });

  it('a client-side timeout is fatal for the connection but is not a lost connection, and never re-sent', () => {
    const timeout = driverError({ code: 'PROTOCOL_SEQUENCE_TIMEOUT' });
    expect(isFatal(timeout)).toBe(true);
    expect(mayResend(timeout, { idempotent: true })).toBe(false);
    expect((toQueryError(timeout, 'UPDATE t SET a = ?', undefined) as MysqlopsError).code).toBe(
      'E_QUERY_TIMEOUT',
    );
  });

  it('re-sends what was never sent; what was sent only when declared idempotent', () => {
    const neverSent = driverError(
      { fatal: true },
      "Can't add new command when connection is in closed state",
    );
    const lost = driverError({ code: 'ECONNRESET', fatal: true });
    expect(mayResend(neverSent, undefined)).toBe(true);
    expect(mayResend(lost, undefined)).toBe(false);
    expect(mayResend(lost, { idempotent: true })).toBe(true);
    const serverError = driverError({ code: 'ER_DUP_ENTRY', errno: 1062 });
    expect(mayResend(serverError, { idempotent: true })).toBe(false);
  });
});

describe('server messages', () => {
  it.each([
    ["Duplicate entry 'alice@example.com' for key 'email'", "Duplicate entry '…' for key 'email'"],
    ["Duplicate entry 'O'Brien-7' for key 'uq_name'", "Duplicate entry '…' for key 'uq_name'"],
    [
      "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'secret' LIMIT' at line 1",
      "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '…' at line 1",
    ],
    [
      "Incorrect integer value: 'abc' for column `shop`.`t`.`n` at row 1",
      "Incorrect integer value: '…' for column `shop`.`t`.`n` at row 1",
    ],
    ["Truncated incorrect DOUBLE value: '12x'", "Truncated incorrect DOUBLE value: '…'"],
    ["Unknown column 'emial' in 'field list'", "Unknown column 'emial' in 'field list'"],
    ["Table 'shop.orders' doesn't exist", "Table 'shop.orders' doesn't exist"],
    ["Column 'email' cannot be null", "Column 'email' cannot be null"],
    ['Custom check failed for "4111 1111 1111 1111"', 'Custom check failed for "…"'],
  ])('redacts the values in %j', (raw, redacted) => {
    expect(redactServerMessage(raw)).toBe(redacted);
  });

  it('QueryError keeps the raw message out of sight and scrubs the driver error it keeps', () => {
    const raw = "Duplicate entry 'bob@example.com' for key 'email'";
    const cause = driverError(
      {
        code: 'ER_DUP_ENTRY',
        errno: 1062,
        sqlState: '23000',
        sqlMessage: raw,
        sql: "INSERT INTO users (email) VALUES ('bob@example.com')",
      },
      raw,
    );
    const err = new QueryError({
      shape: 'INSERT INTO users (email) VALUES (?)',
      driver: driverFields(cause),
      cause,
    });
    expect(err.message).toBe(
      "Duplicate entry '…' for key 'email' (in: INSERT INTO users (email) VALUES (?))",
    );
    expect(err.serverMessage).toBe(raw);
    expect(JSON.stringify(err)).not.toContain('bob@');
    expect(cause).not.toHaveProperty('sql');
    expect(`${cause.message} ${cause.stack}`).not.toContain('bob@');
    expect(err.errno).toBe(1062);
  });
});
