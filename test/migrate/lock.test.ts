/**
 * The migration lock against the real server: concurrent runners take turns, a held lock makes a
 * runner give up after its timeout, and the lock is always released.
 */
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors.js';
import {
  type MigrateProgress,
  migrate,
  migrationLockName,
  repairMigrations,
} from '../../src/migrate/index.js';
import { sandboxEndpoint } from '../support/db.js';
import { type FreshDatabase, fixtureDir, freshDatabase, historyRows } from './helpers.js';

let fresh: FreshDatabase | undefined;
let holder: mysql.Connection | undefined;
afterEach(async () => {
  await holder?.end();
  holder = undefined;
  await fresh?.drop();
  fresh = undefined;
});

/** A plain connection that holds the migration lock of `database`, like another runner would. */
async function holdLock(database: string): Promise<mysql.Connection> {
  const sb = sandboxEndpoint();
  const conn = await mysql.createConnection({
    socketPath: sb.socket,
    user: sb.user,
    password: sb.password.reveal(),
  });
  const [rows] = await conn.query('SELECT GET_LOCK(?, 0) AS got, CONNECTION_ID() AS id', [
    migrationLockName(database),
  ]);
  expect((rows as Array<{ got: number }>)[0]?.got).toBe(1);
  return conn;
}

async function lockIsFree(database: string): Promise<boolean> {
  const conn = await holdLock(database).catch(() => undefined);
  if (!conn) return false;
  await conn.end();
  return true;
}

describe('the migration lock', () => {
  it('two concurrent runs apply each migration exactly once', async () => {
    fresh = freshDatabase('concurrent');
    const t = fresh;
    const { dir } = fixtureDir({
      'migrations/V1__runs.sql': 'CREATE TABLE runs (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20));',
      'migrations/V2__insert.sql': "INSERT INTO runs (note) VALUES ('once');\nDO SLEEP(0.5);",
      'repeatable/R__v.sql': 'CREATE OR REPLACE VIEW run_count AS SELECT COUNT(*) AS n FROM runs;',
    });
    const events: MigrateProgress[][] = [[], []];
    const results = await Promise.all(
      [0, 1].map((i) => migrate(t.config, { dir, onProgress: (e) => events[i]?.push(e) })),
    );
    const counts = results.map((r) => r.applied.length).sort();
    expect(counts).toEqual([0, 3]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const history = await historyRows(t.admin, t.name);
    expect(history.map((h) => h.script)).toEqual(['V1__runs.sql', 'V2__insert.sql', 'R__v.sql']);
    expect(await t.admin.query(`SELECT note FROM \`${t.name}\`.runs`)).toEqual([{ note: 'once' }]);
    // Both runs held the lock at some point, one after the other.
    for (const list of events) expect(list.map((e) => e.step)).toContain('lock-acquired');
    expect(await lockIsFree(t.name)).toBe(true);
  });

  it('gives up with E_MIGRATION_LOCK when another connection holds the lock past the timeout', async () => {
    fresh = freshDatabase('locked');
    const t = fresh;
    const { dir } = fixtureDir({ 'migrations/V1__a.sql': 'CREATE TABLE a (id INT);' });
    holder = await holdLock(t.name);
    const [idRows] = await holder.query('SELECT CONNECTION_ID() AS id');
    const holderId = (idRows as Array<{ id: number }>)[0]?.id;

    const events: MigrateProgress[] = [];
    const started = Date.now();
    const err = await migrate(t.config, { dir, lockTimeoutMs: 300, onProgress: (e) => events.push(e) }).catch(
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err).toMatchObject({ code: 'E_MIGRATION_LOCK', exitCode: 1 });
    expect((err as MigrationError).message).toContain(`connection ${holderId}`);
    expect((err as MigrationError).hint).toContain('--lock-timeout');
    expect(events.find((e) => e.step === 'lock-wait')).toMatchObject({ holder: holderId });
    // Nothing happened while waiting: the database was not even created.
    const schemas = await t.admin.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      t.name,
    ]);
    expect(schemas).toEqual([]);

    // lockTimeoutMs 0 fails at once; repair waits for the lock too.
    await expect(migrate(t.config, { dir, lockTimeoutMs: 0 })).rejects.toMatchObject({
      code: 'E_MIGRATION_LOCK',
    });
    await expect(repairMigrations(t.config, { lockTimeoutMs: 0 })).rejects.toMatchObject({
      code: 'E_MIGRATION_LOCK',
    });

    // Released explicitly: end() resolves before the server has finished with the connection.
    await holder.query('SELECT RELEASE_LOCK(?)', [migrationLockName(t.name)]);
    await holder.end();
    holder = undefined;
    const result = await migrate(t.config, { dir, lockTimeoutMs: 0 });
    expect(result.applied.map((s) => s.script)).toEqual(['V1__a.sql']);
  });

  it('releases the lock after a failed migration', async () => {
    fresh = freshDatabase('release');
    const t = fresh;
    const { dir } = fixtureDir({
      'migrations/V1__bad.sql': 'CREATE TABLE ok_part (id INT);\nSELECT * FROM nope;',
    });
    await expect(migrate(t.config, { dir })).rejects.toMatchObject({ code: 'E_MIGRATION' });
    expect(await lockIsFree(t.name)).toBe(true);
  });

  it('rejects a negative lock timeout as a configuration error', async () => {
    fresh = freshDatabase('badtimeout');
    const { dir } = fixtureDir({});
    await expect(migrate(fresh.config, { dir, lockTimeoutMs: -1 })).rejects.toMatchObject({
      code: 'E_CONFIG',
      exitCode: 2,
    });
  });

  it('uses a lock name of at most 64 characters, even for long database names', () => {
    expect(migrationLockName('app_db')).toBe('mysqlops_migrate:app_db');
    const long = migrationLockName('d'.repeat(64));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^mysqlops_migrate:[0-9a-f]+$/);
    expect(migrationLockName('e'.repeat(64))).not.toBe(long);
  });
});
