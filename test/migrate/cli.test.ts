/**
 * `mysqlops migrate` as a user meets it: a real process against the test sandbox, real exit codes,
 * one JSON document on stdout with --json.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliOnSandbox } from '../support/cli.js';
import { type FreshDatabase, fixtureDir, freshDatabase } from './helpers.js';

const cli = runCliOnSandbox;

let fresh: FreshDatabase | undefined;
afterEach(async () => {
  await fresh?.drop();
  fresh = undefined;
});

const FILES = {
  'migrations/V1__items.sql': 'CREATE TABLE items (id INT PRIMARY KEY);',
  'migrations/V2__seed.sql': 'INSERT INTO items VALUES (1);\nINSERT INTO items VALUES (2);',
  'repeatable/R__item_count.sql': 'CREATE OR REPLACE VIEW item_count AS SELECT COUNT(*) AS n FROM items;',
};

describe('mysqlops migrate', () => {
  it('plan --json on a fresh database lists every file and creates nothing', async () => {
    fresh = freshDatabase('cliplan');
    const { dir } = fixtureDir(FILES);
    const r = await cli(['migrate', 'plan', '--json', '--dir', dir], { DB_NAME: fresh.name });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: true,
      database: fresh.name,
      databaseExists: false,
      flavor: 'mariadb',
      problems: [],
    });
    expect(doc.plan).toEqual([
      {
        type: 'versioned',
        version: '1',
        description: 'items',
        script: 'V1__items.sql',
        statements: 1,
        reason: 'pending',
      },
      {
        type: 'versioned',
        version: '2',
        description: 'seed',
        script: 'V2__seed.sql',
        statements: 2,
        reason: 'pending',
      },
      {
        type: 'repeatable',
        version: null,
        description: 'item count',
        script: 'R__item_count.sql',
        statements: 1,
        reason: 'pending',
      },
    ]);
    const schemas = await fresh.admin.query(
      'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [fresh.name],
    );
    expect(schemas).toEqual([]);
  });

  it('migrate (default up) --json applies, then status --json shows everything applied', async () => {
    fresh = freshDatabase('cliup');
    const { dir } = fixtureDir(FILES);
    const env = { DB_NAME: fresh.name };
    const up = await cli(['migrate', '--json', '--dir', dir], env);
    expect(up.code).toBe(0);
    expect(up.stderr).toBe('');
    const doc = JSON.parse(up.stdout);
    expect(doc).toMatchObject({ ok: true, database: fresh.name, created: true, flavor: 'mariadb' });
    expect(doc.applied.map((s: { script: string }) => s.script)).toEqual([
      'V1__items.sql',
      'V2__seed.sql',
      'R__item_count.sql',
    ]);
    expect(doc.applied[1]).toMatchObject({ type: 'versioned', version: '2', statements: 2 });
    expect(typeof doc.applied[1].ms).toBe('number');

    const status = await cli(['migrate', 'status', '--json', '--dir', dir], env);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s).toMatchObject({ ok: true, databaseExists: true, problems: [] });
    expect(s.migrations.map((m: { state: string }) => m.state)).toEqual(['applied', 'applied', 'applied']);
    expect(s.migrations[0].installedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    const again = await cli(['migrate', 'up', '--dir', dir], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${fresh.name} is up to date`);
  });

  it('prints progress on stderr and a table on stdout for people; --quiet hides the progress', async () => {
    fresh = freshDatabase('clihuman');
    const { dir } = fixtureDir(FILES);
    const r = await cli(['migrate', 'up', '--dir', dir], { DB_NAME: fresh.name });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('… applying V1__items.sql (1 statement)');
    expect(r.stderr).toContain(`created database ${fresh.name}`);
    expect(r.stdout).toMatch(/version\s+script\s+type\s+statements\s+ms/);
    expect(r.stdout).toContain(`3 migrations applied to ${fresh.name}`);

    const status = await cli(['migrate', 'status', '--quiet', '--dir', dir], { DB_NAME: fresh.name });
    expect(status.code).toBe(0);
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/V2__seed\.sql\s+versioned\s+applied/);
  });

  it('validate exits 1 and names an edited file; up refuses with exit 1', async () => {
    fresh = freshDatabase('clivalidate');
    const { dir, write } = fixtureDir(FILES);
    const env = { DB_NAME: fresh.name };
    expect((await cli(['migrate', 'up', '--quiet', '--dir', dir], env)).code).toBe(0);
    const clean = await cli(['migrate', 'validate', '--dir', dir], env);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('no problems');

    write('migrations/V1__items.sql', 'CREATE TABLE items (id BIGINT PRIMARY KEY);');
    const r = await cli(['migrate', 'validate', '--json', '--dir', dir], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: false,
      database: fresh.name,
      problems: [{ kind: 'checksum', script: 'V1__items.sql' }],
    });

    const human = await cli(['migrate', 'validate', '--dir', dir], env);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('V1__items.sql was edited after it was applied');

    const up = await cli(['migrate', 'up', '--json', '--dir', dir], env);
    expect(up.code).toBe(1);
    expect(JSON.parse(up.stdout)).toMatchObject({ ok: false, error: { code: 'E_MIGRATION_INVALID' } });
  });

  it('a failing migration exits 1, blocks the next up, and repair --json reports what it removed', async () => {
    fresh = freshDatabase('clifail');
    const { dir, write } = fixtureDir({
      'migrations/V1__bad.sql': 'CREATE TABLE part_one (id INT);\nINSERT INTO not_there VALUES (1);\n',
    });
    const env = { DB_NAME: fresh.name };
    const r = await cli(['migrate', 'up', '--json', '--dir', dir], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('E_MIGRATION');
    expect(doc.error.message).toContain('V1__bad.sql failed at statement 2 (line 2)');
    expect(doc.error.hint).toContain('mysqlops migrate repair');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    const blocked = await cli(['migrate', '--dir', dir], env);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('blocked by a failed run: V1__bad.sql');

    const repair = await cli(['migrate', 'repair', '--json'], env);
    expect(repair.code).toBe(0);
    expect(JSON.parse(repair.stdout)).toMatchObject({
      ok: true,
      database: fresh.name,
      removed: [{ script: 'V1__bad.sql', statementsApplied: 1 }],
    });
    write(
      'migrations/V1__bad.sql',
      'CREATE TABLE IF NOT EXISTS part_one (id INT);\nINSERT INTO part_one VALUES (1);\n',
    );
    expect((await cli(['migrate', '--quiet', '--dir', dir], env)).code).toBe(0);
  });

  it('bad flag values and bad file names are usage errors (exit 2)', async () => {
    const { dir } = fixtureDir({ 'migrations/V1_missing_underscore.sql': 'SELECT 1;' });
    const timeout = await cli(['migrate', 'up', '--lock-timeout', 'soon', '--json']);
    expect(timeout.code).toBe(2);
    expect(JSON.parse(timeout.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
    expect(timeout.stderr).toContain('--lock-timeout expects seconds');

    expect((await cli(['migrate', 'repair', '--lock-timeout', '-5'])).code).toBe(2);
    expect((await cli(['migrate', 'plan', '--bogus'])).code).toBe(2);

    const files = await cli(['migrate', 'plan', '--dir', dir], { DB_NAME: 'app_db' });
    expect(files.code).toBe(2);
    expect(files.stderr).toContain('migrations/V1_missing_underscore.sql');

    const nodir = await cli(['migrate', 'status', '--dir', path.join(dir, 'nope')]);
    expect(nodir.code).toBe(2);
    expect(nodir.stderr).toContain('does not exist');
  });
});
