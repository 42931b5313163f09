/**
 * The recommendation rules as pure functions: sizes by memory and workload, flavor- and
 * version-specific names, and refusals of values that cannot describe a server.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  compareSetting,
  formatSize,
  parseSize,
  type RecommendedSetting,
  recommendServerConfig,
} from '../../src/tuning/index.js';

const GIB = 2 ** 30;
const value = (settings: readonly RecommendedSetting[], name: string) =>
  settings.find((s) => s.name === name)?.value;

describe('parseSize / formatSize', () => {
  it('reads the usual suffixes and bytes', () => {
    expect(parseSize('16G')).toBe(16 * GIB);
    expect(parseSize('512m')).toBe(512 * 2 ** 20);
    expect(parseSize('1.5G')).toBe(1.5 * GIB);
    expect(parseSize('2GiB')).toBe(2 * GIB);
    expect(parseSize('1073741824')).toBe(GIB);
    expect(formatSize(3 * GIB)).toBe('3G');
    expect(formatSize(384 * 2 ** 20)).toBe('384M');
  });

  it('refuses what is not a size', () => {
    for (const bad of ['12X', '', 'G', '-1G', '1.2.3G'])
      expect(() => parseSize(bad, 'memory')).toThrow(UsageError);
  });
});

describe('recommendServerConfig', () => {
  it('gives an OLTP server three quarters of its memory as buffer pool, leaving the rest', () => {
    const r = recommendServerConfig({ memoryBytes: 16 * GIB, cores: 8, workload: 'oltp' });
    expect(value(r.settings, 'innodb_buffer_pool_size')).toBe('12G');
    expect(value(r.settings, 'innodb_log_file_size')).toBe('3G');
    expect(value(r.settings, 'max_connections')).toBe('400');
    expect(value(r.settings, 'long_query_time')).toBe('0.5');
  });

  it('gives a mixed workload less pool, fewer connections, larger temporary tables', () => {
    const r = recommendServerConfig({ memoryBytes: 64 * GIB, cores: 16, workload: 'mixed' });
    expect(parseSize(value(r.settings, 'innodb_buffer_pool_size') ?? '')).toBeCloseTo(0.6 * 64 * GIB, -9);
    expect(value(r.settings, 'max_connections')).toBe('500');
    expect(value(r.settings, 'tmp_table_size')).toBe('64M');
    expect(value(r.settings, 'innodb_log_file_size')).toBe('4G');
  });

  it('keeps half of a small machine for everything else', () => {
    const r = recommendServerConfig({ memoryBytes: 2 * GIB, cores: 2 });
    expect(value(r.settings, 'innodb_buffer_pool_size')).toBe('1G');
    expect(value(r.settings, 'innodb_log_file_size')).toBe('256M');
    expect(value(r.settings, 'max_connections')).toBe('100');
  });

  it('uses MariaDB names on MariaDB and MySQL names (by version) on MySQL', () => {
    const maria = recommendServerConfig({
      memoryBytes: 16 * GIB,
      cores: 8,
      flavor: 'mariadb',
      version: '10.11',
    });
    const names = maria.settings.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['gtid_strict_mode', 'innodb_log_file_size']));
    expect(names).not.toContain('innodb_buffer_pool_instances');
    expect(names).not.toContain('gtid_mode');

    const mysql = recommendServerConfig({
      memoryBytes: 16 * GIB,
      cores: 8,
      flavor: 'mysql',
      version: '8.0.36',
    });
    expect(value(mysql.settings, 'innodb_redo_log_capacity')).toBe('3G');
    expect(value(mysql.settings, 'innodb_buffer_pool_instances')).toBe('8');
    expect(value(mysql.settings, 'gtid_mode')).toBe('ON');
    expect(value(mysql.settings, 'enforce_gtid_consistency')).toBe('ON');
    expect(value(mysql.settings, 'collation_server')).toBe('utf8mb4_0900_ai_ci');

    const old = recommendServerConfig({
      memoryBytes: 16 * GIB,
      cores: 8,
      flavor: 'mysql',
      version: '8.0.29',
    });
    expect(value(old.settings, 'innodb_log_file_size')).toBe('1536M');
    expect(old.settings.map((s) => s.name)).not.toContain('innodb_redo_log_capacity');
  });

  it('writes every setting into the my.cnf text under [mysqld], each after its reason', () => {
    const r = recommendServerConfig({ memoryBytes: 8 * GIB, cores: 4 });
    const lines = r.text.split('\n');
    expect(lines).toContain('[mysqld]');
    for (const s of r.settings) {
      const at = lines.indexOf(`${s.name} = ${s.value}`);
      expect(at, s.name).toBeGreaterThan(0);
      expect(lines[at - 1]).toBe(`# ${s.reason}`);
      expect(s.reason.length).toBeGreaterThan(10);
    }
    expect(value(r.settings, 'innodb_flush_log_at_trx_commit')).toBe('1');
    expect(value(r.settings, 'sync_binlog')).toBe('1');
  });

  it('defaults memory and cores to this machine', () => {
    const r = recommendServerConfig();
    expect(r.memoryBytes).toBeGreaterThanOrEqual(GIB);
    expect(r.cores).toBeGreaterThanOrEqual(1);
    expect(r.flavor).toBe('mariadb');
  });

  it('refuses memory below 1G, bad cores, unknown workload, flavor or an old version', () => {
    const bad = [
      { memoryBytes: 512 * 2 ** 20 },
      { memoryBytes: Number.NaN },
      { cores: 0 },
      { cores: 2.5 },
      { workload: 'batch' as never },
      { flavor: 'postgres' as never },
      { flavor: 'mariadb' as const, version: '10.5' },
      { flavor: 'mysql' as const, version: '5.7' },
      { version: 'latest' },
    ];
    for (const input of bad) {
      expect(
        () => recommendServerConfig({ memoryBytes: 4 * GIB, cores: 2, ...input }),
        JSON.stringify(input),
      ).toThrow(UsageError);
    }
  });
});

describe('compareSetting thresholds', () => {
  const setting = (over: Partial<RecommendedSetting>): RecommendedSetting => ({
    name: 'x',
    value: '1G',
    reason: 'because',
    kind: 'size',
    importance: 'warning',
    ...over,
  });

  it('counts a size within 25% as matching and beyond as the setting importance', () => {
    expect(compareSetting(setting({}), String(GIB)).severity).toBe('ok');
    expect(compareSetting(setting({}), String(0.8 * GIB)).severity).toBe('ok');
    expect(compareSetting(setting({}), String(128 * 2 ** 20))).toMatchObject({
      severity: 'warning',
      note: 'lower than recommended by more than 25%',
    });
    expect(compareSetting(setting({ importance: 'info' }), String(2 * GIB)).severity).toBe('info');
  });

  it('compares switches as ON/OFF and text case-insensitively', () => {
    expect(compareSetting(setting({ kind: 'switch', value: 'ON' }), '1').severity).toBe('ok');
    expect(compareSetting(setting({ kind: 'switch', value: 'mysql-bin' }), 'ON').severity).toBe('ok');
    expect(compareSetting(setting({ kind: 'switch', value: 'ON' }), 'OFF').severity).toBe('warning');
    expect(compareSetting(setting({ kind: 'text', value: 'ROW' }), 'row').severity).toBe('ok');
    expect(compareSetting(setting({ kind: 'text', value: 'ROW' }), 'MIXED').severity).toBe('warning');
  });

  it('treats a flush setting of 2 instead of 1 as a warning and a missing variable as info', () => {
    const flush = setting({ kind: 'number', value: '1' });
    expect(compareSetting(flush, '2').severity).toBe('warning');
    expect(compareSetting(flush, undefined)).toMatchObject({ severity: 'info', current: null });
  });
});
