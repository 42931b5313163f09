/**
 * The migration engine against the real sandbox server: every test gets a database that does not
 * exist yet and a fixture folder in a temp dir.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError, MysqlopsError } from '../../src/errors.js';
import {
  inspectMigrations,
  type MigrateProgress,
  migrate,
  migrationPlan,
  migrationStatus,
  repairMigrations,
  validateMigrations,
} from '../../src/migrate/index.js';
import { sandboxConfig, sandboxEndpoint } from '../support/db.js';
import { type FreshDatabase, fixtureDir, freshDatabase, historyRows } from './helpers.js';

let fresh: FreshDatabase | undefined;
afterEach(async () => {
  await fresh?.drop();
  fresh = undefined;
});

function setup(label: string, files: Record<string, string>) {
  fresh = freshDatabase(label);
  return { ...fresh, ...fixtureDir(files) };
}

async function rejection(p: Promise<unknown>): Promise<MigrationError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MigrationError)) throw new Error(`expected a MigrationError, got ${String(err)}`);
  return err;
}

async function databaseExists(t: FreshDatabase): Promise<boolean> {
  const rows = await t.admin.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
    t.name,
  ]);
  return rows.length > 0;
}

const BASIC = {
  'migrations/V0001__customers.sql':
    '-- the first table\nCREATE TABLE customers (\n  id INT PRIMARY KEY,\n  name VARCHAR(50) NOT NULL\n);\n',
  'migrations/V0002__seed.sql':
    "INSERT INTO customers VALUES (1, 'Ann; the first');\nINSERT INTO customers VALUES (2, 'Bob');\n",
  'repeatable/R__customer_names.sql':
    'CREATE OR REPLACE VIEW customer_names AS SELECT name FROM customers;\n',
};

describe('migrate up', () => {
  it('creates the database utf8mb4/utf8mb4_unicode_ci and applies everything in order', async () => {
    const t = setup('apply', BASIC);
    const events: MigrateProgress[] = [];
    const result = await migrate(t.config, { dir: t.dir, onProgress: (e) => events.push(e) });

    expect(result).toMatchObject({ database: t.name, created: true, flavor: 'mariadb' });
    expect(result.applied.map((s) => [s.script, s.type, s.version, s.statements])).toEqual([
      ['V0001__customers.sql', 'versioned', '1', 1],
      ['V0002__seed.sql', 'versioned', '2', 2],
      ['R__customer_names.sql', 'repeatable', null, 1],
    ]);
    const [schema] = await t.admin.query<{ cs: string; co: string }>(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [t.name],
    );
    expect(schema).toEqual({ cs: 'utf8mb4', co: 'utf8mb4_unicode_ci' });
    expect(await t.admin.query(`SELECT name FROM \`${t.name}\`.customer_names ORDER BY name`)).toEqual([
      { name: 'Ann; the first' },
      { name: 'Bob' },
    ]);

    const history = await historyRows(t.admin, t.name);
    expect(history.map((h) => [h.script, h.version, h.type, h.success, h.statements_applied])).toEqual([
      ['V0001__customers.sql', '1', 'versioned', 1, 1],
      ['V0002__seed.sql', '2', 'versioned', 1, 2],
      ['R__customer_names.sql', null, 'repeatable', 1, 1],
    ]);
    expect(history.every((h) => /^[0-9a-f]{64}$/.test(h.checksum))).toBe(true);
    const [meta] = await t.admin.query<{ by: string; age: number }>(
      `SELECT installed_by AS \`by\`, TIMESTAMPDIFF(SECOND, installed_at, UTC_TIMESTAMP()) AS age FROM \`${t.name}\`.mysqlops_schema_history LIMIT 1`,
    );
    expect(meta?.by).toMatch(/@/);
    expect(Math.abs(meta?.age ?? 999)).toBeLessThan(60);

    const steps = events.map((e) => e.step);
    expect(steps.slice(0, 3)).toEqual(['connected', 'lock-acquired', 'database-created']);
    expect(steps.filter((s) => s === 'migration-done')).toHaveLength(3);
    expect(events.find((e) => e.step === 'statement')).toMatchObject({
      script: 'V0001__customers.sql',
      line: 2,
    });
  });

  it('is a no-op the second time: nothing applied, no history written', async () => {
    const t = setup('noop', BASIC);
    await migrate(t.config, { dir: t.dir });
    const before = await historyRows(t.admin, t.name);
    const again = await migrate(t.config, { dir: t.dir });
    expect(again).toMatchObject({ created: false, applied: [] });
    expect(await historyRows(t.admin, t.name)).toEqual(before);
    expect(await migrationPlan(t.config, { dir: t.dir })).toEqual([]);
  });

  it('applies only the new file after one is added', async () => {
    const t = setup('added', BASIC);
    await migrate(t.config, { dir: t.dir });
    t.write('migrations/V0003__email.sql', 'ALTER TABLE customers ADD COLUMN email VARCHAR(100) NULL;');
    expect((await migrationPlan(t.config, { dir: t.dir })).map((p) => p.script)).toEqual([
      'V0003__email.sql',
    ]);
    const result = await migrate(t.config, { dir: t.dir });
    expect(result.applied.map((s) => s.script)).toEqual(['V0003__email.sql']);
  });

  it('needs a target database name (exit 2)', async () => {
    const { dir } = fixtureDir(BASIC);
    const err = await migrate(sandboxConfig(), { dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MysqlopsError);
    expect(err).toMatchObject({ code: 'E_CONFIG', exitCode: 2 });
    expect((err as Error).message).toContain('target database');
  });

  it('starts every file from the same session state, while SET carries within a file', async () => {
    const t = setup('session', {
      'migrations/V1__ansi.sql':
        'SET SESSION sql_mode = CONCAT(@@sql_mode, \',ANSI_QUOTES\');\nCREATE TABLE "quoted" (id INT);\nUSE information_schema;',
      'migrations/V2__strings.sql': 'CREATE TABLE notes (s VARCHAR(10));\nINSERT INTO notes VALUES ("dq");',
    });
    await migrate(t.config, { dir: t.dir });
    expect(await t.admin.query(`SELECT s FROM \`${t.name}\`.notes`)).toEqual([{ s: 'dq' }]);
    expect(await t.admin.query(`SELECT COUNT(*) AS n FROM \`${t.name}\`.quoted`)).toEqual([{ n: 0 }]);
  });
});

describe('read-only commands', () => {
  it('plan, status and validate on a missing database show everything pending and create nothing', async () => {
    const t = setup('readonly', BASIC);
    const report = await inspectMigrations(t.config, { dir: t.dir });
    expect(report).toMatchObject({
      database: t.name,
      databaseExists: false,
      flavor: 'mariadb',
      problems: [],
    });
    expect(report.plan.map((p) => [p.script, p.reason, p.statements])).toEqual([
      ['V0001__customers.sql', 'pending', 1],
      ['V0002__seed.sql', 'pending', 2],
      ['R__customer_names.sql', 'pending', 1],
    ]);
    expect((await migrationStatus(t.config, { dir: t.dir })).map((s) => s.state)).toEqual([
      'pending',
      'pending',
      'pending',
    ]);
    expect(await validateMigrations(t.config, { dir: t.dir })).toEqual([]);
    expect(await databaseExists(t)).toBe(false);
  });

  it('status shows installed_at and execution time of applied migrations', async () => {
    const t = setup('status', BASIC);
    await migrate(t.config, { dir: t.dir });
    const status = await migrationStatus(t.config, { dir: t.dir });
    expect(status.map((s) => s.state)).toEqual(['applied', 'applied', 'applied']);
    for (const s of status) {
      expect(Date.now() - Date.parse(s.installedAt ?? '')).toBeLessThan(60_000);
      expect(s.executionMs).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('validation', () => {
  it('reports a versioned file edited after it was applied, and up refuses', async () => {
    const t = setup('edited', BASIC);
    await migrate(t.config, { dir: t.dir });
    t.write('migrations/V0002__seed.sql', "INSERT INTO customers VALUES (1, 'Ann');\n");
    t.write('migrations/V0003__more.sql', 'SELECT 1;');

    const problems = await validateMigrations(t.config, { dir: t.dir });
    expect(problems).toMatchObject([{ kind: 'checksum', script: 'V0002__seed.sql' }]);
    expect(problems[0]?.message).toContain('V0002__seed.sql was edited after it was applied');
    const status = await migrationStatus(t.config, { dir: t.dir });
    expect(status.find((s) => s.script === 'V0002__seed.sql')?.state).toBe('drifted');

    const err = await rejection(migrate(t.config, { dir: t.dir }));
    expect(err.code).toBe('E_MIGRATION_INVALID');
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain('V0002__seed.sql was edited after it was applied');
    expect((await historyRows(t.admin, t.name)).map((h) => h.script)).not.toContain('V0003__more.sql');
  });

  it('reports an applied file deleted from disk as missing, and a late lower version as out of order', async () => {
    const t = setup('missing', BASIC);
    await migrate(t.config, { dir: t.dir });
    t.remove('migrations/V0001__customers.sql');
    t.write('migrations/V0000__late.sql', 'SELECT 1;');
    const problems = await validateMigrations(t.config, { dir: t.dir });
    expect(problems.map((p) => [p.kind, p.script])).toEqual([
      ['out-of-order', 'V0000__late.sql'],
      ['missing', 'V0001__customers.sql'],
    ]);
    const err = await rejection(migrate(t.config, { dir: t.dir }));
    expect(err.code).toBe('E_MIGRATION_INVALID');
    expect(err.message).toContain('2 problems');
    expect(err.message).toContain('no longer on disk');
  });
});

describe('a failing migration', () => {
  const BROKEN = {
    'migrations/V1__base.sql': 'CREATE TABLE base (id INT);',
    'migrations/V2__broken.sql':
      'CREATE TABLE first_part (id INT);\n\nINSERT INTO no_such_table\n  VALUES (1);\nCREATE TABLE third_part (id INT);\n',
    'migrations/V3__after.sql': 'CREATE TABLE after_it (id INT);',
  };

  it('stops with file, statement, line and server error; blocks up until repair; then proceeds', async () => {
    const t = setup('broken', BROKEN);
    const err = await rejection(migrate(t.config, { dir: t.dir }));
    expect(err.code).toBe('E_MIGRATION');
    expect(err.exitCode).toBe(1);
    expect(err).toMatchObject({ script: 'V2__broken.sql', statementIndex: 2, line: 3 });
    expect(err.message).toContain('V2__broken.sql failed at statement 2 (line 3)');
    expect(err.message).toContain('"INSERT INTO no_such_table …"');
    expect(err.message).toMatch(/no_such_table' doesn't exist \(errno 1146/);
    expect(err.hint).toContain('not transactional');
    expect(err.hint).toContain('mysqlops migrate repair');

    const history = await historyRows(t.admin, t.name);
    expect(history.map((h) => [h.script, h.success, h.statements_applied])).toEqual([
      ['V1__base.sql', 1, 1],
      ['V2__broken.sql', 0, 1],
    ]);
    expect(history[1]?.error_message).toContain('1146');
    // DDL before the failing statement stays applied.
    expect(await t.admin.query(`SELECT COUNT(*) AS n FROM \`${t.name}\`.first_part`)).toEqual([{ n: 0 }]);

    const blocked = await rejection(migrate(t.config, { dir: t.dir }));
    expect(blocked.code).toBe('E_MIGRATION_BLOCKED');
    expect(blocked.message).toContain('V2__broken.sql');
    expect(blocked.hint).toContain('mysqlops migrate repair');
    expect(await validateMigrations(t.config, { dir: t.dir })).toMatchObject([
      { kind: 'failed', script: 'V2__broken.sql' },
    ]);
    expect((await migrationStatus(t.config, { dir: t.dir })).map((s) => s.state)).toEqual([
      'applied',
      'failed',
      'pending',
    ]);

    t.write(
      'migrations/V2__broken.sql',
      'CREATE TABLE IF NOT EXISTS first_part (id INT);\nINSERT INTO first_part VALUES (1);\nCREATE TABLE third_part (id INT);\n',
    );
    const repaired = await repairMigrations(t.config);
    expect(repaired.removed).toMatchObject([
      { script: 'V2__broken.sql', version: '2', statementsApplied: 1 },
    ]);
    expect(repaired.removed[0]?.error).toContain('no_such_table');
    expect((await repairMigrations(t.config)).removed).toEqual([]);

    const result = await migrate(t.config, { dir: t.dir });
    expect(result.applied.map((s) => s.script)).toEqual(['V2__broken.sql', 'V3__after.sql']);
    expect((await historyRows(t.admin, t.name)).map((h) => [h.script, h.success])).toEqual([
      ['V1__base.sql', 1],
      ['V2__broken.sql', 1],
      ['V3__after.sql', 1],
    ]);
  });

  it('a failing first statement records zero statements applied', async () => {
    const t = setup('first', { 'migrations/V1__bad.sql': 'SELEC 1;\nSELECT 2;' });
    const err = await rejection(migrate(t.config, { dir: t.dir }));
    expect(err).toMatchObject({ statementIndex: 1, line: 1 });
    expect(err.message).toContain('errno 1064');
    expect(err.hint).toContain('no statement of the file ran before it');
    expect((await historyRows(t.admin, t.name)).map((h) => [h.success, h.statements_applied])).toEqual([
      [0, 0],
    ]);
  });

  it('a user without privileges gets E_MIGRATION with the server error; a wrong password is E_AUTH', async () => {
    const t = setup('noprivs', BASIC);
    const user = `mig_${t.name.slice(-6)}`;
    const password = 'Limited-pw-9431';
    await t.admin.execute(`CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'`);
    try {
      const sb = sandboxEndpoint();
      const config = { connection: { socket: sb.socket, user, password, database: t.name } };
      const err = await rejection(migrate(config, { dir: t.dir }));
      expect(err.code).toBe('E_MIGRATION');
      expect(err.message).toContain(`migrate up on ${t.name} failed`);
      expect(err.message).toMatch(/Access denied.*\(errno 1044\)/);
      expect(err.hint).toContain('privileges');
      // Reading needs no privilege on a database that does not exist yet.
      expect(await migrationPlan(config, { dir: t.dir })).toHaveLength(3);

      const denied = await migrate(
        { connection: { ...config.connection, password: 'not-it' } },
        { dir: t.dir },
      ).catch((e: unknown) => e);
      expect(denied).toMatchObject({ code: 'E_AUTH', exitCode: 2 });
      expect(String((denied as Error).message)).not.toContain('not-it');
    } finally {
      await t.admin.execute(`DROP USER '${user}'@'localhost'`);
    }
  });

  it('repair on a database that does not exist removes nothing and creates nothing', async () => {
    const t = setup('repairnone', {});
    expect(await repairMigrations(t.config)).toEqual({ database: t.name, removed: [] });
    expect(await databaseExists(t)).toBe(false);
  });
});

describe('repeatables, routines and flavors', () => {
  it('re-applies a repeatable only when its checksum changes', async () => {
    const t = setup('repeatable', {
      'migrations/V1__t.sql': 'CREATE TABLE t (x INT);',
      'repeatable/R__v.sql': 'CREATE OR REPLACE VIEW v AS SELECT 1 AS x;',
    });
    await migrate(t.config, { dir: t.dir });
    expect((await migrate(t.config, { dir: t.dir })).applied).toEqual([]);
    t.write('repeatable/R__v.sql', 'CREATE OR REPLACE VIEW v AS SELECT 2 AS x;');
    expect((await migrationStatus(t.config, { dir: t.dir })).map((s) => s.state)).toEqual([
      'applied',
      'changed',
    ]);
    expect((await migrationPlan(t.config, { dir: t.dir })).map((p) => [p.script, p.reason])).toEqual([
      ['R__v.sql', 'changed'],
    ]);
    const result = await migrate(t.config, { dir: t.dir });
    expect(result.applied.map((s) => s.script)).toEqual(['R__v.sql']);
    expect(await t.admin.query(`SELECT x FROM \`${t.name}\`.v`)).toEqual([{ x: 2 }]);
    expect((await historyRows(t.admin, t.name)).map((h) => h.script)).toEqual([
      'V1__t.sql',
      'R__v.sql',
      'R__v.sql',
    ]);
    expect((await migrate(t.config, { dir: t.dir })).applied).toEqual([]);
  });

  it('applies a procedure written with DELIMITER $$ and a string holding ;', async () => {
    const t = setup('routine', {
      'migrations/V1__log.sql': 'CREATE TABLE log (msg VARCHAR(50));',
      'repeatable/R__routines.sql': [
        'DROP PROCEDURE IF EXISTS add_log;',
        'DELIMITER $$',
        'CREATE PROCEDURE add_log(IN suffix VARCHAR(10))',
        'BEGIN',
        "  INSERT INTO log VALUES (CONCAT('a;b', suffix)); -- not the end;",
        '  SELECT msg FROM log;',
        'END$$',
        'DELIMITER ;',
      ].join('\n'),
    });
    const result = await migrate(t.config, { dir: t.dir });
    expect(result.applied.find((s) => s.script === 'R__routines.sql')?.statements).toBe(2);
    await t.admin.query(`CALL \`${t.name}\`.add_log('!')`);
    expect(await t.admin.query(`SELECT msg FROM \`${t.name}\`.log`)).toEqual([{ msg: 'a;b!' }]);
  });

  it('on MariaDB applies .mariadb.sql and unsuffixed files and skips .mysql.sql ones', async () => {
    const t = setup('flavor', {
      'migrations/V1__base.sql': 'CREATE TABLE flavor_log (who VARCHAR(20));',
      'migrations/V2__which.mariadb.sql': "INSERT INTO flavor_log VALUES ('mariadb');",
      'migrations/V2__which.mysql.sql': 'THIS IS NOT SQL AT ALL;',
      'repeatable/R__only_mysql.mysql.sql': 'ALSO NOT SQL;',
    });
    const result = await migrate(t.config, { dir: t.dir });
    expect(result.applied.map((s) => s.script)).toEqual(['V1__base.sql', 'V2__which.mariadb.sql']);
    expect(await t.admin.query(`SELECT who FROM \`${t.name}\`.flavor_log`)).toEqual([{ who: 'mariadb' }]);
    expect((await migrationStatus(t.config, { dir: t.dir })).map((s) => s.script)).toEqual([
      'V1__base.sql',
      'V2__which.mariadb.sql',
    ]);
  });
});
