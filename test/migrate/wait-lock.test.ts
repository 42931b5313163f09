/**
 * The deploy-pipeline step `mysqlops migrate up --wait-lock 60s`: the duration spellings, the clash
 * with --lock-timeout, giving up on a held lock, and a failing migration that names its statement.
 */
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWaitLock } from '../../src/cli/commands/migrate.js';
import { UsageError } from '../../src/errors.js';
import { migrationLockName } from '../../src/migrate/index.js';
import { runCliOnSandbox as cli } from '../support/cli.js';
import { sandboxEndpoint } from '../support/db.js';
import { type FreshDatabase, fixtureDir, freshDatabase } from './helpers.js';

let fresh: FreshDatabase | undefined;
let holder: mysql.Connection | undefined;
afterEach(async () => {
  await holder?.end();
  holder = undefined;
  await fresh?.drop();
  fresh = undefined;
});

describe('parseWaitLock', () => {
  it('reads seconds, `s` and `m` suffixes', () => {
    expect(parseWaitLock('60s')).toBe(60);
    expect(parseWaitLock('2m')).toBe(120);
    expect(parseWaitLock('90')).toBe(90);
    expect(parseWaitLock('0')).toBe(0);
    expect(parseWaitLock('1.5m')).toBe(90);
  });

  it('refuses other units, negatives, garbage and more than a day', () => {
    for (const bad of ['', 'soon', '-5', '1h', '60 s', '2d', '86401', '1441m']) {
      expect(() => parseWaitLock(bad)).toThrow(UsageError);
    }
  });
});

describe('mysqlops migrate up --wait-lock', () => {
  it('applies pending migrations with --wait-lock 60s', async () => {
    fresh = freshDatabase('waitlock_ok');
    const { dir } = fixtureDir({ 'migrations/V1__items.sql': 'CREATE TABLE items (id INT PRIMARY KEY);' });
    const r = await cli(['migrate', 'up', '--wait-lock', '60s', '--json', '--dir', dir], {
      DB_NAME: fresh.name,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, applied: [{ script: 'V1__items.sql' }] });
  });

  it('gives up with exit 1 when another runner holds the lock past the wait', async () => {
    fresh = freshDatabase('waitlock_held');
    const { dir } = fixtureDir({ 'migrations/V1__items.sql': 'CREATE TABLE items (id INT PRIMARY KEY);' });
    const sb = sandboxEndpoint();
    holder = await mysql.createConnection({
      socketPath: sb.socket,
      user: sb.user,
      password: sb.password.reveal(),
    });
    const [rows] = await holder.query('SELECT GET_LOCK(?, 0) AS got', [migrationLockName(fresh.name)]);
    expect((rows as Array<{ got: number }>)[0]?.got).toBe(1);

    const r = await cli(['migrate', 'up', '--wait-lock', '0s', '--json', '--dir', dir], {
      DB_NAME: fresh.name,
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'E_MIGRATION_LOCK' } });
  });

  it('both --wait-lock and --lock-timeout, or a bad duration, are usage errors (exit 2)', async () => {
    const both = await cli(['migrate', 'up', '--wait-lock', '60s', '--lock-timeout', '60', '--json']);
    expect(both.code).toBe(2);
    expect(JSON.parse(both.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
    expect(both.stderr).toContain('--lock-timeout and --wait-lock');

    const bad = await cli(['migrate', 'up', '--wait-lock', '1h']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--wait-lock expects a duration');
  });

  it('a failing migration exits 1 naming the file, statement, line, SQL and the server error', async () => {
    fresh = freshDatabase('waitlock_fail');
    const { dir } = fixtureDir({
      'migrations/V1__bad.sql': 'CREATE TABLE part_one (id INT);\n\nINSERT INTO not_there VALUES (1);\n',
    });
    const r = await cli(['migrate', 'up', '--wait-lock', '60s', '--dir', dir], { DB_NAME: fresh.name });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('V1__bad.sql failed at statement 2 (line 3)');
    expect(r.stderr).toContain('INSERT INTO not_there VALUES (1)');
    expect(r.stderr).toMatch(/not_there' doesn't exist/);
  });
});
