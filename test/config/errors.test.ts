import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configError, lines, load, PEM_CERT, tempDir, write } from './helpers.js';

const EXPECTED_ENVS = '(expected development, test, staging or production)';

describe('every failure is a ConfigError naming where the value came from', () => {
  it('refuses an unknown environment from the env option and from MYSQLOPS_ENV', () => {
    const cwd = tempDir();
    expect(lines(configError(() => load(cwd, {}, { env: 'prod' })).issues)).toEqual([
      `env: unknown environment "prod" ${EXPECTED_ENVS}`,
    ]);
    expect(lines(configError(() => load(cwd, { MYSQLOPS_ENV: 'Production' })).issues)).toEqual([
      `MYSQLOPS_ENV: unknown environment "Production" ${EXPECTED_ENVS}`,
    ]);
  });

  it('refuses a malformed or out-of-range port', () => {
    const cwd = tempDir();
    const issue = (port: string) => lines(configError(() => load(cwd, { DB_PORT: port })).issues);
    expect(issue('abc')).toEqual(['DB_PORT: expected an integer from 1 to 65535, got "abc"']);
    expect(issue('0')).toEqual(['DB_PORT: expected an integer from 1 to 65535, got 0']);
    expect(issue('70000')).toEqual(['DB_PORT: expected an integer from 1 to 65535, got 70000']);
    expect(issue('33.06')).toEqual(['DB_PORT: expected an integer from 1 to 65535, got "33.06"']);
  });

  it('checks pool size and durations from environment variables', () => {
    const err = configError(() =>
      load(tempDir(), {
        DB_POOL_SIZE: '0',
        DB_ACQUIRE_TIMEOUT_MS: '-5',
        DB_SLOW_QUERY_MS: 'fast',
        DB_SSL_MODE: 'preferred',
      }),
    );
    expect(lines(err.issues)).toEqual([
      'DB_SSL_MODE: expected disabled, required, verify-ca or verify-identity, got "preferred"',
      'DB_POOL_SIZE: expected an integer from 1 to 1000, got 0',
      'DB_ACQUIRE_TIMEOUT_MS: expected an integer from 1 to 2147483647, got -5',
      'DB_SLOW_QUERY_MS: expected an integer from 0 to 2147483647, got "fast"',
    ]);
  });

  it('reports a missing password file by path, without content', () => {
    const cwd = tempDir();
    const err = configError(() => load(cwd, { DB_PASSWORD_FILE: 'missing.txt' }));
    expect(err.issues).toEqual([
      { path: 'DB_PASSWORD_FILE', message: `cannot read ${path.join(cwd, 'missing.txt')}: no such file` },
    ]);
  });

  it('refuses an empty password file', () => {
    const cwd = tempDir();
    const file = write(cwd, 'pw', '\n');
    expect(lines(configError(() => load(cwd, { DB_PASSWORD_FILE: 'pw' })).issues)).toEqual([
      `DB_PASSWORD_FILE: ${file} is empty`,
    ]);
  });

  it('refuses DB_PASSWORD and DB_PASSWORD_FILE together', () => {
    const cwd = tempDir();
    write(cwd, 'pw', 'x');
    expect(lines(configError(() => load(cwd, { DB_PASSWORD: 'y', DB_PASSWORD_FILE: 'pw' })).issues)).toEqual([
      'DB_PASSWORD_FILE: set DB_PASSWORD or DB_PASSWORD_FILE, not both',
    ]);
  });

  it('refuses password and passwordFile together in the file', () => {
    const cwd = tempDir();
    write(cwd, 'pw', 'x');
    write(
      cwd,
      'mysqlops.config.yaml',
      'environments:\n  test:\n    connection: { password: y, passwordFile: pw }\n',
    );
    expect(lines(configError(() => load(cwd, {}, { env: 'test' })).issues)).toEqual([
      'mysqlops.config.yaml: environments.test.connection.passwordFile: set password or passwordFile, not both',
    ]);
  });

  it('reports unreadable and non-PEM certificate files', () => {
    const cwd = tempDir();
    const notPem = write(cwd, 'ca.txt', 'hello');
    const err = configError(() => load(cwd, { DB_SSL_CA: 'ca.txt', DB_SSL_KEY: 'nope.pem' }));
    expect(lines(err.issues)).toEqual([
      `DB_SSL_CA: ${notPem} is not a PEM file (no "-----BEGIN" line)`,
      `DB_SSL_KEY: cannot read ${path.join(cwd, 'nope.pem')}: no such file`,
    ]);
  });

  it('refuses unknown keys anywhere in the file, one issue per key', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', 'connection:\n  prot: 3307\npools: {}\nenvironments:\n  prod: {}\n');
    const err = configError(() => load(cwd));
    expect(lines(err.issues)).toEqual([
      'mysqlops.config.yaml: connection.prot: unknown key (allowed: host, port, socket, user, password, passwordFile, database, ssl, connectTimeoutMs, replicas)',
      'mysqlops.config.yaml: environments.prod: unknown key (allowed: development, test, staging, production)',
      'mysqlops.config.yaml: pools: unknown key (allowed: connection, pool, monitoring, transactions, routing, sandbox, backup, etl, serve, alerts, health, maintenance, environments)',
    ]);
  });

  it('names bad values in the file by file and dot path', () => {
    const cwd = tempDir();
    write(
      cwd,
      'mysqlops.config.yaml',
      'connection:\n  port: "3306"\n  ssl: { mode: on }\npool: { size: 5000 }\nmonitoring: { enabled: yes }\nsandbox: { name: ../etc }\n',
    );
    expect(lines(configError(() => load(cwd)).issues)).toEqual([
      'mysqlops.config.yaml: connection.port: expected an integer from 1 to 65535, got "3306"',
      'mysqlops.config.yaml: connection.ssl.mode: expected disabled, required, verify-ca or verify-identity, got "on"',
      'mysqlops.config.yaml: pool.size: expected an integer from 1 to 1000, got 5000',
      'mysqlops.config.yaml: monitoring.enabled: expected true or false, got "yes"',
      'mysqlops.config.yaml: sandbox.name: expected 1-32 letters, digits, "_" or "-", starting with a letter or digit',
    ]);
  });

  it('reports invalid YAML with the line and column', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', 'pool:\n  size: 3\npool:\n  size: 4\n');
    expect(lines(configError(() => load(cwd)).issues)).toEqual([
      'mysqlops.config.yaml: invalid YAML at line 3, column 1: Map keys must be unique',
    ]);
    write(cwd, 'mysqlops.config.yaml', 'connection:\n  host: a\n   port: 1\n');
    expect(configError(() => load(cwd)).issues[0]).toEqual({
      path: 'mysqlops.config.yaml',
      message: 'invalid YAML at line 2, column 9: Nested mappings are not allowed in compact mappings',
    });
  });

  it('reports invalid JSON with the line', () => {
    const cwd = tempDir();
    write(cwd, 'ops.json', '{\n  "pool": { "size": 3 },,\n}\n');
    expect(lines(configError(() => load(cwd, {}, { configFile: 'ops.json' })).issues)).toEqual([
      'ops.json: invalid JSON at line 2, column 25: Unexpected , in flow map',
    ]);
  });

  it('refuses a file that is not a mapping', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', '- a\n- b\n');
    expect(lines(configError(() => load(cwd)).issues)).toEqual([
      'mysqlops.config.yaml: expected a mapping, got a list',
    ]);
  });

  it('requires a named config file to exist', () => {
    const cwd = tempDir();
    expect(lines(configError(() => load(cwd, {}, { configFile: 'nope.yaml' })).issues)).toEqual([
      `configFile: cannot read ${path.join(cwd, 'nope.yaml')}: no such file`,
    ]);
    expect(lines(configError(() => load(cwd, { MYSQLOPS_CONFIG: '/nonexistent/ops.yaml' })).issues)).toEqual([
      'MYSQLOPS_CONFIG: cannot read /nonexistent/ops.yaml: no such file',
    ]);
  });

  it('refuses two default config files side by side', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', '{}');
    write(cwd, 'mysqlops.config.json', '{}');
    expect(configError(() => load(cwd)).issues[0]?.message).toBe(
      `found mysqlops.config.yaml and mysqlops.config.json in ${cwd}; keep one, or name one with MYSQLOPS_CONFIG`,
    );
  });

  it.each(['staging', 'production'])('refuses %s without a host or socket', (env) => {
    expect(lines(configError(() => load(tempDir(), {}, { env })).issues)).toEqual([
      `DB_HOST: required in ${env} (the local sandbox is for development and test)`,
    ]);
  });

  it('accepts production with only a socket', () => {
    expect(load(tempDir(), { DB_SOCKET: '/run/mysqld/mysqld.sock' }, { env: 'production' }).usesSandbox).toBe(
      false,
    );
  });

  it('requires a CA for verify-ca and verify-identity, and a key with a client certificate', () => {
    const cwd = tempDir();
    write(cwd, 'cert.pem', PEM_CERT);
    expect(
      lines(configError(() => load(cwd, { DB_SSL_MODE: 'VERIFY_CA', DB_SSL_CERT: 'cert.pem' })).issues),
    ).toEqual([
      'DB_SSL_CA: required when the SSL mode is verify-ca (or set connection.ssl.caFile in the config file)',
      'DB_SSL_KEY: a client certificate and its key go together: set both DB_SSL_CERT and DB_SSL_KEY, or neither',
    ]);
  });

  it('refuses a backoff ceiling below the base backoff', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', 'transactions: { baseBackoffMs: 500, maxBackoffMs: 100 }\n');
    expect(lines(configError(() => load(cwd)).issues)).toEqual([
      'transactions.maxBackoffMs: must be at least transactions.baseBackoffMs (100 < 500)',
    ]);
  });

  it('reports every issue from every layer together in one error', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', 'connection:\n  host: filehost\n  prot: 1\npool:\n  size: -1\n');
    const err = configError(() =>
      load(cwd, { MYSQLOPS_ENV: 'prod', DB_PORT: 'abc', DB_PASSWORD_FILE: 'missing', DB_POOL_SIZE: 'many' }),
    );
    expect(lines(err.issues)).toEqual([
      `MYSQLOPS_ENV: unknown environment "prod" ${EXPECTED_ENVS}`,
      expect.stringMatching(/^mysqlops\.config\.yaml: connection\.prot: unknown key/),
      'mysqlops.config.yaml: pool.size: expected an integer from 1 to 1000, got -1',
      'DB_PORT: expected an integer from 1 to 65535, got "abc"',
      `DB_PASSWORD_FILE: cannot read ${path.join(cwd, 'missing')}: no such file`,
      'DB_POOL_SIZE: expected an integer from 1 to 1000, got "many"',
    ]);
    expect(err.code).toBe('E_CONFIG');
    expect(err.exitCode).toBe(2);
    for (const line of lines(err.issues)) expect(err.message).toContain(line);
  });

  it('keeps the valid parts of a file that has issues, so no misleading extra issues appear', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', 'connection:\n  host: filehost\n  port: nope\n');
    // host is still used: no "DB_HOST: required in production" on top of the real problem
    expect(lines(configError(() => load(cwd, {}, { env: 'production' })).issues)).toEqual([
      'mysqlops.config.yaml: connection.port: expected an integer from 1 to 65535, got "nope"',
    ]);
  });
});
