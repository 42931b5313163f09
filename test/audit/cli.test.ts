/**
 * `mysqlops audit ...` as users meet it: exit codes, JSON documents, and hostile names from the
 * command line or from audit_config rows refused with a clear error before any SQL is built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAudit } from '../../src/audit/index.js';
import { logQuery, parseSince } from '../../src/cli/commands/audit.js';
import type { DatabaseManager } from '../../src/db/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;
let env: Record<string, string>;

beforeAll(async () => {
  t = await createMigratedDatabase('audit_cli');
  db = t.db;
  env = { DB_NAME: t.name };
});
afterAll(async () => {
  await t?.drop();
});

const HOSTILE = [
  "orders'--",
  'ord`ers',
  'orders; DROP TABLE orders',
  'a\0b',
  'x'.repeat(200),
  'commandé',
  'orders ',
  '',
  'db.orders.x',
];

describe('mysqlops audit', () => {
  it('apply --json creates the triggers, status then reports them in sync', async () => {
    const first = await runCliOnSandbox(['audit', 'apply', '--json'], env);
    expect(first.code).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc.ok).toBe(true);
    expect(doc.audited).toHaveLength(8);
    expect(doc.changes.filter((c: { action: string }) => c.action === 'created')).toHaveLength(24);
    const status = await runCliOnSandbox(['audit', 'status', '--json'], env);
    expect(JSON.parse(status.stdout).inSync).toBe(true);
  });

  it('verify passes on an empty log; log and purge --dry-run answer in JSON', async () => {
    const verify = await runCliOnSandbox(['audit', 'verify'], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/empty/);
    await db.withContext({ user: 'carol' }).execute("INSERT INTO categories (name, slug) VALUES ('A', 'a')");
    const log = await runCliOnSandbox(
      [
        'audit',
        'log',
        '--json',
        '--table',
        'categories',
        '--user',
        'carol',
        '--since',
        '2000-01-01',
        '--row',
        '1',
      ],
      env,
    );
    expect(log.code).toBe(0);
    const rows = JSON.parse(log.stdout).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ table: 'categories', action: 'INSERT', appUser: 'carol', rowPk: '1' });
    const human = await runCliOnSandbox(['audit', 'log'], env);
    expect(human.stdout).toMatch(/categories\s+1\s+INSERT\s+carol/);
    const purge = await runCliOnSandbox(['audit', 'purge', '--dry-run', '--json'], env);
    expect(purge.code).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ ok: true, dryRun: true, purged: 0, blocks: 0 });
  });

  it('seal prints the anchor; verify prints it and checks --anchor; status shows the backlog', async () => {
    await db.withContext({ user: 'carol' }).execute("INSERT INTO categories (name, slug) VALUES ('B', 'b')");
    const status = await runCliOnSandbox(['audit', 'status'], env);
    expect(status.stdout).toMatch(/unsealed rows: 2/);
    const sealed = await runCliOnSandbox(['audit', 'seal', '--json'], env);
    expect(sealed.code).toBe(0);
    const doc = JSON.parse(sealed.stdout);
    expect(doc).toMatchObject({ ok: true, blocks: 1, rows: 2, latest: { sealId: 1 } });
    const anchor = `${doc.latest.sealId}:${doc.latest.sealHash}`;
    const again = await runCliOnSandbox(['audit', 'seal'], env);
    expect(again.stdout).toMatch(/nothing to seal/);
    expect(again.stdout).toContain(anchor);
    const verify = await runCliOnSandbox(['audit', 'verify', '--anchor', anchor], env);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain(`latest seal (keep it outside the database as an anchor): ${anchor}`);
    expect(verify.stdout).toMatch(/2 audit rows verified in 1 sealed block\(s\); 0 unsealed/);
    const wrong = await runCliOnSandbox(['audit', 'verify', '--anchor', `1:${'f'.repeat(64)}`], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/anchor mismatch at table categories, seal 1/);
    for (const bad of ['1', 'x:y', `0:${'f'.repeat(64)}`]) {
      const r = await runCliOnSandbox(['audit', 'verify', '--anchor', bad], env);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--anchor expects SEAL_ID:HASH/);
    }
    const lock = await runCliOnSandbox(['audit', 'seal', '--lock-timeout', 'soon'], env);
    expect(lock.code).toBe(2);
  });

  it('verify exits 1 with E_AUDIT_CHAIN naming the altered row', async () => {
    const [row] = await db.query<{ audit_id: number }>('SELECT audit_id FROM audit_log LIMIT 1');
    await db.execute("UPDATE audit_log SET app_user = 'mallory' WHERE audit_id = ?", [
      row?.audit_id as number,
    ]);
    const r = await runCliOnSandbox(['audit', 'verify', '--json'], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('E_AUDIT_CHAIN');
    expect(doc.error.message).toContain(`audit_id ${row?.audit_id}`);
    await db.execute("UPDATE audit_log SET app_user = 'carol' WHERE audit_id = ?", [row?.audit_id as number]);
  });

  it('bad flags are usage errors (exit 2)', async () => {
    for (const args of [
      ['--since', 'yesterday'],
      ['--since', '2026-13-45'],
      ['--limit', '0'],
      ['--limit', '1e9'],
    ]) {
      const r = await runCliOnSandbox(['audit', 'log', ...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error: --(since|limit) expects/);
    }
  });

  it('refuses hostile --table names with exit 2 and touches nothing', async () => {
    for (const name of HOSTILE.filter((n) => !n.includes('\0'))) {
      const r = await runCliOnSandbox(['audit', 'log', '--table', name], env);
      expect(r.code, JSON.stringify(name)).toBe(2);
      expect(r.stderr).toMatch(/invalid SQL identifier|without a database/);
    }
    for (const command of ['seal', 'verify']) {
      for (const name of ["orders'--", 'ord`ers', 'db.orders.x']) {
        const r = await runCliOnSandbox(['audit', command, '--table', name], env);
        expect(r.code, `${command} ${JSON.stringify(name)}`).toBe(2);
        expect(r.stderr).toMatch(/invalid SQL identifier|without a database/);
      }
    }
    // A NUL cannot travel in argv; the same parser refuses it.
    expect(() => logQuery({ table: 'a\0b' })).toThrow(/invalid SQL identifier/);
    expect(parseSince('2026-11-01T10:00:00+02:00').toISOString()).toBe('2026-11-01T08:00:00.000Z');
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'",
    );
    expect(Number(n)).toBe(1);
  });

  it('refuses hostile audit_config rows (table names and excluded columns) with a clear error', async () => {
    // 'orders ' equals 'orders' under PAD SPACE collations (already a row), so it is left out here.
    for (const name of HOSTILE.filter((n) => n.length <= 64 && n !== 'orders ')) {
      await db.execute('INSERT INTO audit_config (table_name) VALUES (?)', [name]);
      try {
        await expect(applyAudit(db), JSON.stringify(name)).rejects.toMatchObject({
          code: 'E_AUDIT',
          exitCode: 2,
          message: /audit_config names table/,
        });
      } finally {
        await db.execute('DELETE FROM audit_config WHERE table_name = ?', [name]);
      }
    }
    for (const column of ['pass`word', "x'); DROP TABLE orders; --", 'é', 'a\0b']) {
      await db.execute(
        "UPDATE audit_config SET excluded_columns = JSON_ARRAY(?) WHERE table_name = 'payments'",
        [column],
      );
      await expect(applyAudit(db)).rejects.toMatchObject({
        code: 'E_AUDIT',
        message: /excluded_columns of payments/,
      });
    }
    const r = await runCliOnSandbox(['audit', 'apply'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: audit_config.excluded_columns of payments must be a JSON array of column names/,
    );
    await db.execute("UPDATE audit_config SET excluded_columns = '[]' WHERE table_name = 'payments'");
    expect((await applyAudit(db)).inSync).toBe(true);
  });
});
