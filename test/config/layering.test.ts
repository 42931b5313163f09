import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, tempDir, write } from './helpers.js';

const FILE = `
connection:
  host: file-host
  port: 3310
  user: file_user
pool:
  size: 7
  idleCheckMs: 5000
monitoring:
  slowQueryMs: 300
transactions:
  maxRetries: 2
environments:
  production:
    connection:
      host: prod-host
    pool:
      size: 30
  development:
    pool:
      size: 3
`;

describe('layering: defaults < file < file environment section < environment variables', () => {
  it('applies the config file top level over the defaults', () => {
    const cwd = tempDir();
    const file = write(cwd, 'mysqlops.config.yaml', FILE);
    const config = load(cwd, {}, { env: 'test' });
    expect(config.configFile).toBe(file);
    expect(config.connection).toMatchObject({
      host: 'file-host',
      port: 3310,
      user: 'file_user',
      database: 'app_db',
    });
    expect(config.pool).toEqual({
      size: 7,
      acquireTimeoutMs: 10_000,
      idleCheckMs: 5000,
      maxPreparedStatements: 128,
    });
    expect(config.monitoring.slowQueryMs).toBe(300);
    expect(config.transactions).toEqual({ maxRetries: 2, baseBackoffMs: 20, maxBackoffMs: 1000 });
    expect(config.usesSandbox).toBe(false);
  });

  it('applies the section for the chosen environment over the top level', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', FILE);
    const prod = load(cwd, {}, { env: 'production' });
    expect(prod.connection.host).toBe('prod-host');
    expect(prod.connection.port).toBe(3310);
    expect(prod.pool.size).toBe(30);
    expect(prod.connection.ssl.mode).toBe('required');
    expect(load(cwd, {}, { env: 'development' }).pool.size).toBe(3);
  });

  it('lets environment variables win over both', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yaml', FILE);
    const config = load(
      cwd,
      { DB_HOST: 'env-host', DB_PORT: '3399', DB_POOL_SIZE: '40', DB_SLOW_QUERY_MS: '50', DB_NAME: 'shop' },
      { env: 'production' },
    );
    expect(config.connection).toMatchObject({
      host: 'env-host',
      port: 3399,
      user: 'file_user',
      database: 'shop',
    });
    expect(config.pool.size).toBe(40);
    expect(config.monitoring.slowQueryMs).toBe(50);
  });

  it('maps every connection and sandbox variable', () => {
    const cwd = tempDir();
    const config = load(cwd, {
      DB_SOCKET: 'run/mysqld.sock',
      DB_USER: 'reporter',
      DB_SSL_MODE: 'REQUIRED',
      DB_CONNECT_TIMEOUT_MS: '2500',
      DB_ACQUIRE_TIMEOUT_MS: '700',
      MYSQLOPS_HOME: 'state',
      MYSQLOPS_SANDBOX: 'replica-1',
    });
    expect(config.usesSandbox).toBe(false);
    expect(config.connection).toMatchObject({
      socket: path.join(cwd, 'run/mysqld.sock'),
      user: 'reporter',
      ssl: { mode: 'required' },
      connectTimeoutMs: 2500,
    });
    expect(config.pool.acquireTimeoutMs).toBe(700);
    expect(config.sandbox).toEqual({ name: 'replica-1', home: path.join(cwd, 'state') });
  });

  it('reads a JSON file named by MYSQLOPS_CONFIG, and the configFile option wins over it', () => {
    const cwd = tempDir();
    const json = write(
      cwd,
      'ops.json',
      JSON.stringify({ connection: { host: 'json-host' }, pool: { size: 9 } }),
    );
    write(cwd, 'other.yaml', 'connection:\n  host: yaml-host\n');
    const fromVar = load(cwd, { MYSQLOPS_CONFIG: 'ops.json' });
    expect(fromVar.configFile).toBe(json);
    expect(fromVar.connection.host).toBe('json-host');
    expect(fromVar.pool.size).toBe(9);
    const fromOption = load(cwd, { MYSQLOPS_CONFIG: 'ops.json' }, { configFile: 'other.yaml' });
    expect(fromOption.connection.host).toBe('yaml-host');
  });

  it('finds mysqlops.config.json in the working directory', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.json', '{ "sandbox": { "name": "ci" } }');
    expect(load(cwd).sandbox.name).toBe('ci');
  });

  it('resolves relative paths in the file against the file, not the working directory', () => {
    const cwd = tempDir();
    const confDir = path.join(cwd, 'conf');
    mkdirSync(confDir);
    write(confDir, 'db.pass', 'pw-from-file\n');
    write(
      confDir,
      'ops.yaml',
      'connection:\n  passwordFile: db.pass\n  socket: ../sock\nsandbox:\n  home: data\n',
    );
    const config = load(cwd, {}, { configFile: 'conf/ops.yaml' });
    expect(config.connection.password?.reveal()).toBe('pw-from-file');
    expect(config.connection.socket).toBe(path.join(cwd, 'sock'));
    expect(config.sandbox.home).toBe(path.join(confDir, 'data'));
  });

  it('accepts an empty config file', () => {
    const cwd = tempDir();
    write(cwd, 'mysqlops.config.yml', '# nothing yet\n');
    expect(load(cwd).pool.size).toBe(10);
  });
});
