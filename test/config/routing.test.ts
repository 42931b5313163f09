import { describe, expect, it } from 'vitest';
import { describeConfig, Secret } from '../../src/config/index.js';
import { runCli } from '../support/cli.js';
import { configError, lines, load, tempDir, write } from './helpers.js';

describe('routing configuration', () => {
  it('has no replicas and replication defaults unless told otherwise', () => {
    const config = load(tempDir(), { DB_HOST: 'db1' });
    expect(config.connection.replicas).toBeUndefined();
    expect(config.routing).toEqual({
      mode: 'replication',
      maxLagSeconds: 5,
      checkIntervalMs: 1000,
      readYourWrites: 'wait',
      waitTimeoutMs: 1000,
    });
  });

  it('reads DB_REPLICAS as host:port, bare hosts, [IPv6]:port and socket paths', () => {
    const cwd = tempDir();
    const config = load(cwd, {
      DB_HOST: 'db1',
      DB_REPLICAS: 'db2:3307, db3 ,[::1]:3308,run/r.sock',
      DB_ROUTING_MODE: 'Galera',
      DB_MAX_REPLICA_LAG_SECONDS: '2',
      DB_READ_YOUR_WRITES: 'primary',
    });
    expect(config.connection.replicas).toEqual([
      { host: 'db2', port: 3307 },
      { host: 'db3' },
      { host: '::1', port: 3308 },
      { socket: `${cwd}/run/r.sock` },
    ]);
    expect(config.routing).toMatchObject({ mode: 'galera', maxLagSeconds: 2, readYourWrites: 'primary' });
  });

  it('reports every bad DB_REPLICAS entry and bad routing variables together', () => {
    const err = configError(() =>
      load(tempDir(), {
        DB_HOST: 'db1',
        DB_REPLICAS: 'db2:3307,,db3:70000,db4:x',
        DB_ROUTING_MODE: 'sharded',
        DB_MAX_REPLICA_LAG_SECONDS: 'soon',
        DB_READ_YOUR_WRITES: 'always',
      }),
    );
    expect(lines(err.issues)).toEqual([
      'DB_REPLICAS: entry 2: is empty (expected host:port)',
      'DB_REPLICAS: entry 3: port must be from 1 to 65535, got 70000',
      'DB_REPLICAS: entry 4: expected host:port, got "db4:x"',
      'DB_ROUTING_MODE: expected replication or galera, got "sharded"',
      'DB_MAX_REPLICA_LAG_SECONDS: expected an integer from 0 to 86400, got "soon"',
      'DB_READ_YOUR_WRITES: expected primary, wait or off, got "always"',
    ]);
    expect(err.exitCode).toBe(2);
  });

  it('refuses replicas without a configured primary (the sandbox is one server)', () => {
    const err = configError(() => load(tempDir(), { DB_REPLICAS: 'db2:3307' }));
    expect(lines(err.issues)).toEqual([
      'connection.replicas: replicas need a configured primary: set DB_HOST or DB_SOCKET (the local sandbox is a single server)',
    ]);
  });

  it('takes replicas and routing from the config file, passwords from files, and checks them', () => {
    const cwd = tempDir();
    write(cwd, 'r2.pw', 'replica-secret\n');
    write(
      cwd,
      'mysqlops.config.yaml',
      [
        'connection:',
        '  host: db1',
        '  replicas:',
        '    - { host: db2, port: 3307, user: reader, passwordFile: r2.pw }',
        '    - { socket: /run/db3.sock }',
        'routing: { maxLagSeconds: 1, checkIntervalMs: 250, waitTimeoutMs: 300 }',
      ].join('\n'),
    );
    const config = load(cwd);
    const [r2, r3] = config.connection.replicas ?? [];
    expect(r2).toMatchObject({ host: 'db2', port: 3307, user: 'reader' });
    expect(r2?.password).toBeInstanceOf(Secret);
    expect(r2?.password?.reveal()).toBe('replica-secret');
    expect(r3).toMatchObject({ socket: '/run/db3.sock' });
    expect(config.routing).toMatchObject({ maxLagSeconds: 1, checkIntervalMs: 250, waitTimeoutMs: 300 });
    const shown = JSON.stringify(describeConfig(config));
    expect(shown).not.toContain('replica-secret');
    expect(describeConfig(config).connection).toMatchObject({
      replicas: [
        { host: 'db2', port: 3307, user: 'reader', password: '[redacted]' },
        { socket: '/run/db3.sock', password: 'as the primary' },
      ],
    });

    write(
      cwd,
      'mysqlops.config.yaml',
      [
        'connection:',
        '  host: db1',
        '  replicas:',
        '    - { port: 3307 }',
        '    - { host: db3, prot: 1 }',
        'routing: { maxLagSeconds: -1, checkIntervalMs: 10, readYourWrites: maybe, lag: 1 }',
      ].join('\n'),
    );
    expect(lines(configError(() => load(cwd)).issues)).toEqual([
      'mysqlops.config.yaml: connection.replicas.0: needs a host or a socket',
      'mysqlops.config.yaml: connection.replicas.1.prot: unknown key (allowed: host, port, socket, user, password, passwordFile)',
      'mysqlops.config.yaml: routing.maxLagSeconds: expected an integer from 0 to 86400, got -1',
      'mysqlops.config.yaml: routing.checkIntervalMs: expected an integer from 100 to 600000, got 10',
      'mysqlops.config.yaml: routing.readYourWrites: expected primary, wait or off, got "maybe"',
      'mysqlops.config.yaml: routing.lag: unknown key (allowed: mode, maxLagSeconds, checkIntervalMs, readYourWrites, waitTimeoutMs)',
    ]);
  });

  it('makes the CLI exit 2 with the problem named', async () => {
    const run = await runCli(['config', 'check'], {
      DB_HOST: '127.0.0.1',
      DB_REPLICAS: '127.0.0.1:99999',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DB_REPLICAS: entry 1: port must be from 1 to 65535, got 99999');
  });
});
