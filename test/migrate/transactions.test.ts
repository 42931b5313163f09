/**
 * Files that leave a transaction open must not lose their work or their history row: the engine
 * commits a successful file's open transaction, rolls back a failed one, and records both runs in
 * autocommit mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors.js';
import { migrate, migrationStatus } from '../../src/migrate/index.js';
import { type FreshDatabase, fixtureDir, freshDatabase, historyRows } from './helpers.js';

let fresh: FreshDatabase | undefined;
afterEach(async () => {
  await fresh?.drop();
  fresh = undefined;
});

describe('migrations that leave a transaction open', () => {
  it('keeps the data and the history of a file that turned autocommit off', async () => {
    fresh = freshDatabase('autocommit');
    const { dir } = fixtureDir({
      'migrations/V1__table.sql': 'CREATE TABLE t (id INT PRIMARY KEY);',
      'migrations/V2__data.sql': 'SET autocommit = 0;\nINSERT INTO t VALUES (1), (2);\n',
    });
    const result = await migrate(fresh.config, { dir });
    expect(result.applied.map((a) => a.script)).toEqual(['V1__table.sql', 'V2__data.sql']);
    // A new session sees what the engine's session did.
    const [row] = await fresh.admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${fresh.name}\`.t`);
    expect(Number(row?.n)).toBe(2);
    expect((await historyRows(fresh.admin, fresh.name)).map((h) => [h.script, h.success])).toEqual([
      ['V1__table.sql', 1],
      ['V2__data.sql', 1],
    ]);
    expect((await migrate(fresh.config, { dir })).applied).toEqual([]);
  });

  it('rolls back the open transaction of a failed file and still records the failure', async () => {
    fresh = freshDatabase('opentx');
    const { dir } = fixtureDir({
      'migrations/V1__table.sql': 'CREATE TABLE t (id INT PRIMARY KEY);',
      'migrations/V2__dup.sql':
        'START TRANSACTION;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (1);\nCOMMIT;\n',
    });
    const err = await migrate(fresh.config, { dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).message).toContain('V2__dup.sql failed at statement 3');
    expect((err as MigrationError).message).not.toContain('could not be recorded');
    const [row] = await fresh.admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${fresh.name}\`.t`);
    expect(Number(row?.n)).toBe(0);
    const status = await migrationStatus(fresh.config, { dir });
    expect(status.find((s) => s.script === 'V2__dup.sql')?.state).toBe('failed');
  });
});
