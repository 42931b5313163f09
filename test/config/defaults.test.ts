import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../src/config/index.js';
import { load, tempDir } from './helpers.js';

describe('built-in defaults', () => {
  it('uses the local sandbox with blueprint names in development', () => {
    const cwd = tempDir();
    const config = load(cwd);
    expect(config).toEqual({
      env: 'development',
      usesSandbox: true,
      connection: {
        port: 3306,
        user: 'app_user',
        database: 'app_db',
        ssl: { mode: 'disabled' },
        connectTimeoutMs: 10_000,
      },
      pool: { size: 10, acquireTimeoutMs: 10_000, idleCheckMs: 30_000, maxPreparedStatements: 128 },
      monitoring: { slowQueryMs: 200, enabled: true },
      transactions: { maxRetries: 5, baseBackoffMs: 20, maxBackoffMs: 1000 },
      routing: {
        mode: 'replication',
        maxLagSeconds: 5,
        checkIntervalMs: 1000,
        readYourWrites: 'wait',
        waitTimeoutMs: 1000,
      },
      sandbox: { name: 'default', home: path.join(cwd, '.mysqlops') },
      backup: {
        retentionDays: 7,
        encrypt: false,
        compression: 'zstd',
        threads: 4,
        schedule: { full: '0 2 * * *', incremental: '0 * * * *' },
      },
      etl: {
        batchSize: 5000,
        schedule: {
          customer_order_summary: '*/15 * * * *',
          product_performance_summary: '*/15 * * * *',
          daily_sales_summary: '*/15 * * * *',
          customer_cohort_analysis: '5 * * * *',
        },
      },
      health: expect.objectContaining({ sampleIntervalMs: 1000, missingBackup: 'warning' }),
      serve: { host: '127.0.0.1', port: 8080, auditSeal: '*/10 * * * *' },
      alerts: expect.objectContaining({ enabled: true, intervalMs: 60_000, emailTo: [] }),
      maintenance: {
        schedule: '30 3 * * *',
        analyzeThreshold: 0.1,
        optimizeFreeRatio: 0.2,
        optimizeMinFreeBytes: 64 * 1024 * 1024,
        optimizeMaxBytes: 10 * 1024 ** 3,
        binlogRetentionDays: 7,
        partitionsAheadMonths: 3,
        partitionRetentionMonths: null,
        etlRunsRetentionDays: 90,
      },
    });
    expect(config.connection.host).toBeUndefined();
    expect(config.configFile).toBeUndefined();
  });

  it('uses a smaller pool and a laxer slow-query threshold in test', () => {
    const config = load(tempDir(), {}, { env: 'test' });
    expect(config.env).toBe('test');
    expect(config.pool.size).toBe(5);
    expect(config.monitoring.slowQueryMs).toBe(500);
    expect(config.connection.ssl.mode).toBe('disabled');
    expect(config.usesSandbox).toBe(true);
  });

  it.each(['staging', 'production'] as const)('requires TLS and a bigger pool in %s', (env) => {
    const config = load(tempDir(), { DB_HOST: 'db.internal' }, { env });
    expect(config.env).toBe(env);
    expect(config.usesSandbox).toBe(false);
    expect(config.pool).toEqual({
      size: 20,
      acquireTimeoutMs: 10_000,
      idleCheckMs: 30_000,
      maxPreparedStatements: 128,
    });
    expect(config.connection.ssl.mode).toBe('required');
    expect(config.monitoring.slowQueryMs).toBe(1000);
    expect(config.transactions).toEqual({ maxRetries: 5, baseBackoffMs: 20, maxBackoffMs: 1000 });
  });

  it('keeps every environment pool within the server-wide prepared statement limit', () => {
    for (const env of ENVIRONMENTS) {
      const config = load(tempDir(), { DB_HOST: 'h' }, { env });
      expect(config.pool.size * config.pool.maxPreparedStatements).toBeLessThan(16_382 / 4);
    }
  });
});

describe('choosing the environment', () => {
  it('prefers the env option over MYSQLOPS_ENV over NODE_ENV', () => {
    const cwd = tempDir();
    const environ = { MYSQLOPS_ENV: 'test', NODE_ENV: 'staging', DB_HOST: 'h' };
    expect(load(cwd, environ, { env: 'production' }).env).toBe('production');
    expect(load(cwd, environ).env).toBe('test');
    expect(load(cwd, { NODE_ENV: 'staging', DB_HOST: 'h' }).env).toBe('staging');
  });

  it('ignores a NODE_ENV that is not one of the four names', () => {
    expect(load(tempDir(), { NODE_ENV: 'prod' }).env).toBe('development');
  });

  it('treats empty strings as unset', () => {
    const config = load(
      tempDir(),
      { MYSQLOPS_ENV: '', DB_HOST: '', DB_PORT: '', DB_PASSWORD: '' },
      { env: '' },
    );
    expect(config.env).toBe('development');
    expect(config.usesSandbox).toBe(true);
    expect(config.connection.port).toBe(3306);
    expect(config.connection.password).toBeUndefined();
  });
});
