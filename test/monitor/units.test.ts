/**
 * The pure parts of the monitor: the pt-duplicate-key-checker rule, GTID gap arithmetic, levels and
 * statuses, the checks computed from server counters, and the `health` config section (defaults,
 * file layers, ordering rule).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import {
  bufferPoolChecks,
  connectionsCheck,
  rateChecks,
  serverCheck,
  tableOpenCacheCheck,
  tmpDiskTablesCheck,
} from '../../src/monitor/checks-server.js';
import {
  countMysqlGtidSet,
  findRedundant,
  healthDefaults,
  type IndexDef,
  judge,
  levelText,
  mariadbGtidGap,
  worst,
} from '../../src/monitor/index.js';

function ix(index: string, parts: string[], opts: { unique?: boolean; type?: string } = {}): IndexDef {
  return {
    schema: 's',
    table: 't',
    index,
    columns: parts.map((p) => p.replace(/\(\d+\)$/, '')),
    parts,
    unique: opts.unique ?? index === 'PRIMARY',
    type: opts.type ?? 'BTREE',
    notNull: true,
  };
}

describe('duplicate and redundant indexes', () => {
  it('reports a left prefix of another index as redundant, with the DROP statement', () => {
    const found = findRedundant([ix('PRIMARY', ['id']), ix('ix_a', ['a']), ix('ix_ab', ['a', 'b'])]);
    expect(found).toEqual([
      expect.objectContaining({
        index: 'ix_a',
        kind: 'redundant',
        coveredBy: expect.objectContaining({ index: 'ix_ab' }),
        drop: 'ALTER TABLE `s`.`t` DROP INDEX `ix_a`;',
      }),
    ]);
  });

  it('reports one of two identical indexes as a duplicate and keeps the unique one', () => {
    const found = findRedundant([ix('ix_b', ['b']), ix('ux_b', ['b'], { unique: true })]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ index: 'ix_b', kind: 'duplicate', coveredBy: { index: 'ux_b' } });
  });

  it('never drops the primary key, and keeps the first of two identical plain indexes', () => {
    expect(findRedundant([ix('PRIMARY', ['id']), ix('ix_id', ['id'])])).toMatchObject([
      { index: 'ix_id', kind: 'duplicate', coveredBy: { index: 'PRIMARY' } },
    ]);
    expect(findRedundant([ix('ix_2', ['c']), ix('ix_1', ['c'])])).toMatchObject([{ index: 'ix_2' }]);
  });

  it('leaves unique prefixes, other orders, other prefix lengths and other index types alone', () => {
    expect(findRedundant([ix('ux_a', ['a'], { unique: true }), ix('ix_ab', ['a', 'b'])])).toEqual([]);
    expect(findRedundant([ix('ix_ba', ['b', 'a']), ix('ix_ab', ['a', 'b'])])).toEqual([]);
    expect(findRedundant([ix('ix_n10', ['n(10)']), ix('ix_n', ['n'])])).toEqual([]);
    expect(findRedundant([ix('ft_a', ['a'], { type: 'FULLTEXT' }), ix('ix_ab', ['a', 'b'])])).toEqual([]);
  });

  it('reports each index once even when several indexes cover it', () => {
    const found = findRedundant([ix('ix_a', ['a']), ix('ix_ab', ['a', 'b']), ix('ix_ac', ['a', 'c'])]);
    expect(found.map((f) => f.index)).toEqual(['ix_a']);
  });

  it('suggests no statement for a name quoteId refuses', () => {
    const [found] = findRedundant([ix('bad-name', ['a']), ix('ix_ab', ['a', 'b'])]);
    expect(found?.drop).toBeNull();
  });
});

describe('GTID gap', () => {
  it('counts MySQL GTID sets interval by interval', () => {
    expect(countMysqlGtidSet('')).toBe(0);
    expect(countMysqlGtidSet('3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:7')).toBe(6);
    expect(countMysqlGtidSet('a:1-3,\nb:10-11')).toBe(5);
  });

  it('sums MariaDB sequence gaps per domain and never goes negative', () => {
    expect(mariadbGtidGap('0-1-100,1-2-50', '0-1-98,1-2-50')).toBe(2);
    expect(mariadbGtidGap('0-1-100', '')).toBe(100);
    expect(mariadbGtidGap('0-1-5', '0-1-9')).toBe(0);
  });
});

describe('levels', () => {
  const t = healthDefaults(false).thresholds;

  it('judges higher-is-worse and lower-is-worse levels at their boundaries', () => {
    expect(judge(79.9, 'connectionsPct', t)).toBe('ok');
    expect(judge(80, 'connectionsPct', t)).toBe('warning');
    expect(judge(95, 'connectionsPct', t)).toBe('critical');
    expect(judge(21, 'diskFreePct', t)).toBe('ok');
    expect(judge(20, 'diskFreePct', t)).toBe('warning');
    expect(judge(10, 'diskFreePct', t)).toBe('critical');
  });

  it('says the levels in words', () => {
    expect(levelText('connectionsPct', t, '%')).toBe('>= 80% warning, >= 95% critical');
    expect(levelText('diskFreePct', t, '%')).toBe('<= 20% warning, <= 10% critical');
    expect(levelText('longTransactionSeconds', t, 's')).toBe('>= 60 s warning, >= 300 s critical');
  });

  it('ranks critical over warning over unknown over ok', () => {
    expect(worst([])).toBe('ok');
    expect(worst(['ok', 'unknown'])).toBe('unknown');
    expect(worst(['unknown', 'warning', 'ok'])).toBe('warning');
    expect(worst(['warning', 'critical', 'unknown'])).toBe('critical');
  });
});

describe('the health config section', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const withFile = (content: unknown, env = 'development') => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-health-'));
    dirs.push(dir);
    const file = path.join(dir, 'mysqlops.config.json');
    writeFileSync(file, JSON.stringify(content));
    return () => loadConfig({ cwd: dir, environ: {}, env, configFile: file });
  };

  it('defaults to a warning for a missing backup in development and critical in production', () => {
    expect(loadConfig({ cwd: tmpdir(), environ: {} }).health.missingBackup).toBe('warning');
    const prod = loadConfig({ cwd: tmpdir(), environ: { DB_HOST: 'db.internal' }, env: 'production' });
    expect(prod.health.missingBackup).toBe('critical');
    expect(prod.health.thresholds.connectionsPct).toEqual({ warning: 80, critical: 95 });
  });

  it('merges a file level half by half and keeps the other levels', () => {
    const config = withFile({
      health: { sampleIntervalMs: 0, thresholds: { connectionsPct: { critical: 90 } } },
    })();
    expect(config.health.sampleIntervalMs).toBe(0);
    expect(config.health.thresholds.connectionsPct).toEqual({ warning: 80, critical: 90 });
    expect(config.health.thresholds.diskFreePct).toEqual({ warning: 20, critical: 10 });
  });

  it('refuses levels in the wrong order, unknown level names and out-of-range values, all at once', () => {
    const load = withFile({
      health: {
        thresholds: {
          connectionsPct: { warning: 90, critical: 80 },
          diskFreePct: { warning: 10, critical: 20 },
          connectionPct: { warning: 1 },
          threadsRunning: { warning: -1 },
        },
      },
    });
    let error: unknown;
    try {
      load();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.path).join('\n');
    expect(paths).toContain('health.thresholds.connectionPct');
    expect(paths).toContain('health.thresholds.threadsRunning.warning');
    const order = withFile({
      health: {
        thresholds: {
          connectionsPct: { warning: 90, critical: 80 },
          diskFreePct: { warning: 10, critical: 20 },
        },
      },
    });
    expect(order).toThrow(ConfigError);
    try {
      order();
    } catch (err) {
      const issues = (err as ConfigError).issues;
      expect(issues.map((i) => i.path)).toEqual([
        'health.thresholds.connectionsPct.critical',
        'health.thresholds.diskFreePct.critical',
      ]);
      expect(issues[0]?.message).toMatch(/at least the warning level/);
    }
  });
});

describe('checks from server counters', () => {
  const health = healthDefaults(false);
  const t = health.thresholds;
  const values = (o: Record<string, number>) =>
    new Map(Object.entries(o).map(([k, v]) => [k.toLowerCase(), String(v)]));

  it('warns about a recent restart and names the server', () => {
    expect(serverCheck(values({ Uptime: 12 }), 'MariaDB 10.11.19', health)).toMatchObject({
      status: 'warning',
      value: 12,
      hint: expect.stringContaining('restarted 12 s ago'),
    });
    expect(serverCheck(values({ Uptime: 90_000 }), 'MariaDB 10.11.19', health)).toMatchObject({
      status: 'ok',
      hint: 'MariaDB 10.11.19 up for 1d 1h',
    });
  });

  it('measures connections against max_connections, and is unknown without it', () => {
    const c = connectionsCheck(
      values({ Threads_connected: 96, Max_used_connections: 99 }),
      values({ max_connections: 100 }),
      t,
    );
    expect(c).toMatchObject({ status: 'critical', value: 96, unit: '%' });
    expect(c.hint).toContain('96 of 100 connections in use (peak 99)');
    expect(connectionsCheck(values({ Threads_connected: 5 }), values({}), t).status).toBe('unknown');
  });

  it('does not judge ratios from too few events since start-up', () => {
    const cold = values({
      Innodb_buffer_pool_read_requests: 900,
      Innodb_buffer_pool_reads: 300,
      Innodb_buffer_pool_pages_free: 1,
      Innodb_buffer_pool_pages_total: 100,
    });
    const [hit, free] = bufferPoolChecks(cold, health);
    expect(hit).toMatchObject({
      status: 'ok',
      value: 66.67,
      hint: expect.stringContaining('judged from 100000 on'),
    });
    expect(free?.status).toBe('ok');
    expect(tmpDiskTablesCheck(values({ Created_tmp_tables: 10, Created_tmp_disk_tables: 9 }), t).status).toBe(
      'ok',
    );
    expect(
      tableOpenCacheCheck(values({ Table_open_cache_hits: 10, Table_open_cache_misses: 90 }), t).status,
    ).toBe('ok');
  });

  it('judges ratios once there are enough events', () => {
    const warm = values({
      Innodb_buffer_pool_read_requests: 1_000_000,
      Innodb_buffer_pool_reads: 60_000,
      Innodb_buffer_pool_pages_free: 1,
      Innodb_buffer_pool_pages_total: 100,
    });
    const [hit, free] = bufferPoolChecks(warm, health);
    expect(hit).toMatchObject({ status: 'critical', value: 94 });
    // Few free pages matter only while reads miss the pool.
    expect(free).toMatchObject({ status: 'warning', value: 1 });
    const fine = bufferPoolChecks(
      values({
        ...Object.fromEntries([...warm].map(([k, v]) => [k, Number(v)])),
        innodb_buffer_pool_reads: 10,
      }),
      health,
    );
    expect(fine.map((c) => c.status)).toEqual(['ok', 'ok']);
    expect(
      tmpDiskTablesCheck(values({ Created_tmp_tables: 1000, Created_tmp_disk_tables: 300 }), t),
    ).toMatchObject({ status: 'warning', value: 30 });
    expect(
      tableOpenCacheCheck(values({ Table_open_cache_hits: 400, Table_open_cache_misses: 600 }), t),
    ).toMatchObject({ status: 'critical', value: 60 });
    expect(tableOpenCacheCheck(values({}), t).status).toBe('unknown');
  });

  it('turns counter deltas into per-minute rates without blowing up short windows', () => {
    const [aborted, waits, deadlocks] = rateChecks(
      { abortedConnects: 1, rowLockWaits: 1200, deadlocks: undefined, seconds: 1 },
      t,
    );
    expect(aborted).toMatchObject({ status: 'ok', value: 1, unit: '/min' });
    expect(waits).toMatchObject({ status: 'critical', value: 1200 });
    expect(deadlocks?.status).toBe('unknown');
    const [slow] = rateChecks({ abortedConnects: 30, rowLockWaits: 0, deadlocks: 0, seconds: 120 }, t);
    expect(slow).toMatchObject({ status: 'warning', value: 15 });
    expect(rateChecks(undefined, t).map((c) => c.status)).toEqual(['unknown', 'unknown', 'unknown']);
  });
});
