import { describe, expect, it } from 'vitest';
import { DatabaseConfig, Secret } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { load, tempDir, write } from './helpers.js';

describe('the loaded configuration', () => {
  it('is frozen all the way down, with Secrets left intact', () => {
    const config = load(tempDir(), { DB_PASSWORD: 'pw' });
    expect(Object.isFrozen(config)).toBe(true);
    for (const section of [
      config.connection,
      config.connection.ssl,
      config.pool,
      config.monitoring,
      config.transactions,
      config.sandbox,
    ]) {
      expect(Object.isFrozen(section)).toBe(true);
    }
    expect(() => {
      (config.pool as { size: number }).size = 99;
    }).toThrow(TypeError);
    expect(config.connection.password).toBeInstanceOf(Secret);
    expect(Object.isFrozen(config.connection.password)).toBe(false);
    expect(config.connection.password?.reveal()).toBe('pw');
  });

  it('is a new object on every load, unaffected by later changes to the environment', () => {
    const cwd = tempDir();
    const environ: Record<string, string> = { DB_POOL_SIZE: '3' };
    const first = load(cwd, environ);
    environ.DB_POOL_SIZE = '4';
    expect(first.pool.size).toBe(3);
    expect(load(cwd, environ).pool.size).toBe(4);
  });
});

describe('DatabaseConfig.getConfig (the blueprint entry point)', () => {
  it('loads production from environment variables', () => {
    const cwd = tempDir();
    write(cwd, 'pw', 's3cret\n');
    const config = DatabaseConfig.getConfig('production', {
      cwd,
      environ: {
        DB_HOST: 'db.prod',
        DB_PORT: '3307',
        DB_USER: 'svc',
        DB_PASSWORD_FILE: 'pw',
        DB_NAME: 'shop',
      },
    });
    expect(config.env).toBe('production');
    expect(config.usesSandbox).toBe(false);
    expect(config.connection).toMatchObject({
      host: 'db.prod',
      port: 3307,
      user: 'svc',
      database: 'shop',
      ssl: { mode: 'required' },
    });
    expect(config.connection.password?.reveal()).toBe('s3cret');
    expect(config.pool.size).toBe(20);
  });

  it('throws a ConfigError for production without DB_HOST', () => {
    expect(() => DatabaseConfig.getConfig('production', { cwd: tempDir(), environ: {} })).toThrow(
      ConfigError,
    );
    expect(() => DatabaseConfig.getConfig('production', { cwd: tempDir(), environ: {} })).toThrow(
      'invalid configuration: DB_HOST: required in production (the local sandbox is for development and test)',
    );
  });

  it('falls back to MYSQLOPS_ENV when no environment is given', () => {
    const config = DatabaseConfig.getConfig(undefined, { cwd: tempDir(), environ: { MYSQLOPS_ENV: 'test' } });
    expect(config.env).toBe('test');
  });
});
