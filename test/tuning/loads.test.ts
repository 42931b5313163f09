/**
 * `config server` output must load in a real server: a private sandbox (its own home, port and
 * data directory) is restarted with the recommended [mysqld] lines appended to its generated my.cnf
 * (later lines win), for a small and a large machine, and the server must then report the
 * recommended values. The large case is 16G (a 12G pool): the test machine has 24 GiB and no swap,
 * and MariaDB 10.11.19 maps the whole pool at start-up, so the 64G recommendation (a 48G pool) is
 * refused there ("Cannot map innodb_buffer_pool_size_max"): a recommendation is for the machine
 * that runs it (docs/operations/server-config.md says so).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import { destroySandbox, startSandbox, stopSandbox } from '../../src/sandbox/index.js';
import { compareSetting, parseSize, recommendServerConfig } from '../../src/tuning/index.js';

const GIB = 2 ** 30;

describe('config server output loads in a real server', () => {
  let home: string;
  let cnf: string;
  let original: string;

  beforeAll(async () => {
    home = mkdtempSync(path.join(tmpdir(), 'mysqlops-tuning-'));
    await startSandbox({ home, name: 'tuned' });
    await stopSandbox({ home, name: 'tuned' });
    cnf = path.join(home, 'sandbox', 'tuned', 'my.cnf');
    original = readFileSync(cnf, 'utf8');
  }, 180_000);

  afterAll(async () => {
    if (home) {
      await destroySandbox({ home, name: 'tuned' });
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);

  async function startWith(memory: string): Promise<Map<string, string>> {
    // The library's text is exactly what `config server` prints (the CLI test checks that).
    const { text } = recommendServerConfig({ memoryBytes: parseSize(memory), cores: 4 });
    writeFileSync(cnf, `${original}\n${text}`);
    await startSandbox({ home, name: 'tuned', timeoutMs: 120_000 });
    const db = new DatabaseManager({ connection: {}, usesSandbox: true, sandbox: { home, name: 'tuned' } });
    try {
      const rows = await db.query<{ Variable_name: string; Value: string }>('SHOW GLOBAL VARIABLES');
      return new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
    } finally {
      await db.close();
      await stopSandbox({ home, name: 'tuned' });
    }
  }

  for (const [memory, pool, redo] of [
    ['2G', 1 * GIB, 256 * 2 ** 20],
    ['16G', 12 * GIB, 3 * GIB],
  ] as const) {
    it(`starts with the ${memory} recommendation and reports every recommended value`, async () => {
      const vars = await startWith(memory);
      expect(Number(vars.get('innodb_buffer_pool_size'))).toBe(pool);
      expect(Number(vars.get('innodb_log_file_size'))).toBe(redo);
      expect(vars.get('innodb_flush_log_at_trx_commit')).toBe('1');
      expect(vars.get('sync_binlog')).toBe('1');
      expect(vars.get('innodb_flush_method')).toBe('O_DIRECT');
      expect(vars.get('require_secure_transport')).toBe('ON');
      const rec = recommendServerConfig({ memoryBytes: parseSize(memory), cores: 4 });
      const off = rec.settings
        .filter((s) => s.name !== 'server_id')
        .map((s) => compareSetting(s, vars.get(s.name)))
        .filter((f) => f.severity !== 'ok' || f.note !== 'matches');
      expect(off).toEqual([]);
    }, 240_000);
  }
});
