/**
 * `config check` against the run's real sandbox: it compares the running server with the
 * recommendation for its own flavor and version and gives the reasons, as a library call and
 * through the CLI (human and --json). Advice exits 0; an unreachable server exits 1; bad flags 2.
 */
import { describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import { checkServerConfig, type SettingFinding } from '../../src/tuning/index.js';
import { runCli, runCliOnSandbox } from '../support/cli.js';
import { sandboxConfig } from '../support/db.js';
import { freePort } from '../support/net.js';

const find = (findings: readonly SettingFinding[], name: string) => findings.find((f) => f.variable === name);

describe('checkServerConfig on the sandbox', () => {
  it('lists the buffer pool and flush settings with current value, recommendation and reason', async () => {
    const db = new DatabaseManager(sandboxConfig());
    try {
      const report = await checkServerConfig(db, { memoryBytes: 16 * 2 ** 30, cores: 4 });
      expect(report.server).toMatch(/^MariaDB 10\.11\./);
      expect(report.recommendation).toMatchObject({ flavor: 'mariadb', memoryBytes: 16 * 2 ** 30, cores: 4 });
      // The sandbox runs a 128M pool on purpose; a 16G machine should give it 12G.
      expect(find(report.findings, 'innodb_buffer_pool_size')).toMatchObject({
        current: String(128 * 2 ** 20),
        recommended: '12G',
        severity: 'warning',
        note: 'lower than recommended by more than 25%',
        reason: expect.stringContaining('75% of 16G'),
      });
      // The sandbox keeps full durability, so these match, and still carry their reasons.
      for (const name of ['innodb_flush_log_at_trx_commit', 'sync_binlog']) {
        expect(find(report.findings, name)).toMatchObject({
          current: '1',
          recommended: '1',
          severity: 'ok',
          reason: expect.stringContaining('durability'),
        });
      }
      expect(find(report.findings, 'innodb_flush_method')).toMatchObject({ recommended: 'O_DIRECT' });
      expect(find(report.findings, 'binlog_format')).toMatchObject({ current: 'ROW', severity: 'ok' });
      expect(find(report.findings, 'gtid_strict_mode')).toMatchObject({ current: 'ON', severity: 'ok' });
      expect(find(report.findings, 'server_id')).toBeUndefined();
      expect(report.observations.map((o) => o.name)).toContain('buffer pool reads from disk (%)');
      const total = report.summary.ok + report.summary.info + report.summary.warning;
      expect(total).toBe(report.findings.length + report.observations.length);
    } finally {
      await db.close();
    }
  });
});

describe('mysqlops config (CLI)', () => {
  it('check --json prints the findings and exits 0 even with warnings', async () => {
    const r = await runCliOnSandbox(['config', 'check', '--memory', '8G', '--cores', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.summary.warning).toBeGreaterThan(0);
    const pool = find(doc.findings, 'innodb_buffer_pool_size');
    expect(pool).toMatchObject({ recommended: '6G', severity: 'warning' });
    expect(pool?.reason).toContain('75% of 8G');
    expect(find(doc.findings, 'innodb_flush_log_at_trx_commit')).toMatchObject({
      severity: 'ok',
      current: '1',
    });
  });

  it('check prints a table for people, warnings first', async () => {
    const r = await runCliOnSandbox(['config', 'check', '--memory', '8G']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^MariaDB 10\.11\.\d+: recommendation for 8G memory/);
    expect(r.stdout).toMatch(/WARN\s+innodb_buffer_pool_size\s+134217728\s+6G/);
    expect(r.stdout).toMatch(/ok\s+innodb_flush_log_at_trx_commit\s+1\s+1\s+durability/);
    expect(r.stdout.indexOf('WARN')).toBeLessThan(r.stdout.indexOf('ok '));
  });

  it('server prints a commented my.cnf and --json the settings', async () => {
    const text = await runCli(['config', 'server', '--memory', '2G', '--cores', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('[mysqld]\n');
    expect(text.stdout).toMatch(/# 50% of 2G .*\ninnodb_buffer_pool_size = 1G\n/);
    const json = await runCli([
      'config',
      'server',
      '--memory',
      '64G',
      '--flavor',
      'mysql',
      '--server-version',
      '8.0.36',
      '--json',
    ]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ ok: true, flavor: 'mysql', version: '8.0.36', memoryBytes: 64 * 2 ** 30 });
    expect(doc.settings).toContainEqual(
      expect.objectContaining({ name: 'innodb_redo_log_capacity', value: '4G' }),
    );
    expect(doc.text).toBeUndefined();
  });

  it('exits 2 with one clear message for bad flags, before connecting', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['config', 'server', '--memory', '12X'], /memory "12X" is not a size/],
      [['config', 'server', '--memory', '512M'], /below the 1G minimum/],
      [['config', 'server', '--cores', 'many'], /cores "many" is not a whole number/],
      [['config', 'server', '--workload', 'batch'], /unknown workload "batch"/],
      [['config', 'server', '--flavor', 'mysql', '--server-version', '5.7'], /older than mysqlops supports/],
      [['config', 'check', '--memory', '0G'], /below the 1G minimum/],
    ];
    for (const [args, message] of cases) {
      // An unreachable server: only flag validation can answer before connecting.
      const r = await runCli(args, { DB_HOST: '127.0.0.1', DB_PORT: '1', DB_USER: 'nobody' });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('fix:');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
    const json = await runCli(['config', 'server', '--memory', '12X', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
  });

  it('check exits 1 when the server cannot be reached', async () => {
    const port = await freePort();
    const r = await runCli(['config', 'check', '--json'], {
      DB_HOST: '127.0.0.1',
      DB_PORT: String(port),
      DB_USER: 'nobody',
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'E_CONNECT' } });
  });
});
