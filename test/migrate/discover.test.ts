import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors.js';
import {
  checksumOf,
  compareVersions,
  DEFAULT_MIGRATIONS_DIR,
  discoverMigrations,
  filesForFlavor,
  parseMigrationName,
} from '../../src/migrate/index.js';
import { fixtureDir } from './helpers.js';

async function discoveryError(dir: string): Promise<MigrationError> {
  const err = await discoverMigrations(dir).catch((e: unknown) => e);
  if (!(err instanceof MigrationError)) throw new Error(`expected a MigrationError, got ${String(err)}`);
  return err;
}

describe('parseMigrationName', () => {
  it('reads version, description and flavor from a versioned name', () => {
    expect(parseMigrationName('versioned', 'V0001__core_normalized.sql')).toEqual({
      version: '1',
      description: 'core normalized',
      flavor: null,
    });
    expect(parseMigrationName('versioned', 'V0005__json_cols.mysql.sql')).toEqual({
      version: '5',
      description: 'json cols',
      flavor: 'mysql',
    });
    expect(parseMigrationName('versioned', 'V0__zero.sql')?.version).toBe('0');
  });

  it('reads repeatable names', () => {
    expect(parseMigrationName('repeatable', 'R__views.mariadb.sql')).toEqual({
      version: null,
      description: 'views',
      flavor: 'mariadb',
    });
  });

  it('rejects malformed names', () => {
    for (const bad of [
      'V1_x.sql',
      'V__x.sql',
      'v1__x.sql',
      'V1__.sql',
      'V1__x.oracle.sql',
      'R__x.sql',
      'V1x__a.sql',
    ]) {
      expect(parseMigrationName('versioned', bad)).toBeNull();
    }
    for (const bad of ['R_x.sql', 'R__.sql', 'V1__x.sql', 'R__x.postgres.sql']) {
      expect(parseMigrationName('repeatable', bad)).toBeNull();
    }
  });
});

describe('versions and checksums', () => {
  it('orders versions numerically, whatever their padding or length', () => {
    const sorted = ['10', '2', '1', '100000000000000000000', '9'].sort(compareVersions);
    expect(sorted).toEqual(['1', '2', '9', '10', '100000000000000000000']);
  });

  it('checksums ignore CRLF versus LF', () => {
    expect(checksumOf('SELECT 1;\r\nSELECT 2;\r\n')).toBe(checksumOf('SELECT 1;\nSELECT 2;\n'));
    expect(checksumOf('SELECT 1;')).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf('SELECT 1;')).not.toBe(checksumOf('SELECT 2;'));
  });
});

describe('discoverMigrations', () => {
  it('finds versioned files in numeric order, then repeatables by name, split and checksummed', async () => {
    const { dir } = fixtureDir({
      'migrations/V10__ten.sql': 'SELECT 10;',
      'migrations/V2__two.sql': 'SELECT 2; SELECT 22;',
      'migrations/V0001__one.sql': 'SELECT 1;',
      'migrations/README.md': 'not a migration',
      'repeatable/R__b_views.sql': 'SELECT 4;',
      'repeatable/R__a_routines.mariadb.sql': 'SELECT 3;',
      'repeatable/.gitkeep': '',
    });
    const files = await discoverMigrations(dir);
    expect(files.map((f) => f.script)).toEqual([
      'V0001__one.sql',
      'V2__two.sql',
      'V10__ten.sql',
      'R__a_routines.mariadb.sql',
      'R__b_views.sql',
    ]);
    const two = files[1];
    expect(two).toMatchObject({ type: 'versioned', version: '2', description: 'two', flavor: null });
    expect(two?.statements).toEqual([
      { sql: 'SELECT 2', line: 1 },
      { sql: 'SELECT 22', line: 1 },
    ]);
    expect(two?.checksum).toBe(checksumOf('SELECT 2; SELECT 22;'));
    expect(two?.path).toBe(path.join(dir, 'migrations', 'V2__two.sql'));
  });

  it('narrows to a flavor: unsuffixed files apply on both', async () => {
    const { dir } = fixtureDir({
      'migrations/V1__base.sql': 'SELECT 1;',
      'migrations/V2__json.mysql.sql': 'SELECT 2;',
      'migrations/V2__json.mariadb.sql': 'SELECT 2;',
      'repeatable/R__only_mysql.mysql.sql': 'SELECT 3;',
    });
    const files = await discoverMigrations(dir);
    expect(filesForFlavor(files, 'mariadb').map((f) => f.script)).toEqual([
      'V1__base.sql',
      'V2__json.mariadb.sql',
    ]);
    expect(filesForFlavor(files, 'mysql').map((f) => f.script)).toEqual([
      'V1__base.sql',
      'V2__json.mysql.sql',
      'R__only_mysql.mysql.sql',
    ]);
  });

  it('treats missing migrations/ and repeatable/ folders as empty', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-migrate-empty-'));
    expect(await discoverMigrations(dir)).toEqual([]);
    mkdirSync(path.join(dir, 'migrations'));
    writeFileSync(path.join(dir, 'migrations', 'V1__only.sql'), 'SELECT 1;');
    expect((await discoverMigrations(dir)).map((f) => f.script)).toEqual(['V1__only.sql']);
  });

  it('refuses a directory that does not exist (exit 2)', async () => {
    const err = await discoveryError('/nonexistent/mysqlops-schemas');
    expect(err.code).toBe('E_MIGRATION_FILES');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('/nonexistent/mysqlops-schemas');
  });

  it('names every badly named file', async () => {
    const { dir } = fixtureDir({
      'migrations/V1_x.sql': 'SELECT 1;',
      'migrations/R__misplaced.sql': 'SELECT 1;',
      'repeatable/views.sql': 'SELECT 1;',
      'migrations/V2__fine.sql': 'SELECT 1;',
    });
    const err = await discoveryError(dir);
    expect(err.code).toBe('E_MIGRATION_FILES');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('migrations/V1_x.sql');
    expect(err.message).toContain('migrations/R__misplaced.sql');
    expect(err.message).toContain('repeatable/views.sql');
    expect(err.message).not.toContain('V2__fine.sql');
    expect(err.script).toBeDefined();
  });

  it('refuses two files with the same version, even with different padding', async () => {
    const { dir } = fixtureDir({
      'migrations/V1__a.sql': 'SELECT 1;',
      'migrations/V0001__b.sql': 'SELECT 1;',
    });
    const err = await discoveryError(dir);
    expect(err.message).toContain('version 1 is used by migrations/V0001__b.sql and migrations/V1__a.sql');
  });

  it('refuses an unsuffixed file and a flavor variant with the same version', async () => {
    const { dir } = fixtureDir({
      'migrations/V3__x.sql': 'SELECT 1;',
      'migrations/V3__x.mariadb.sql': 'SELECT 1;',
    });
    const err = await discoveryError(dir);
    expect(err.message).toContain('version 3 is used by');
    expect(err.message).toContain('(on mariadb)');
  });

  it('refuses two repeatables that would both apply under one name', async () => {
    const { dir } = fixtureDir({
      'repeatable/R__views.sql': 'SELECT 1;',
      'repeatable/R__views.mysql.sql': 'SELECT 1;',
    });
    expect((await discoveryError(dir)).message).toContain('repeatable "views" is used by');
  });

  it('refuses a sub-folder inside migrations/', async () => {
    const { dir } = fixtureDir({});
    mkdirSync(path.join(dir, 'migrations', 'old'));
    expect((await discoveryError(dir)).message).toContain('migrations/old is a folder');
  });

  it('reports a file the splitter cannot read, with file and line', async () => {
    const { dir } = fixtureDir({ 'migrations/V1__bad.sql': "SELECT 1;\nSELECT 'oops;\n" });
    const err = await discoveryError(dir);
    expect(err.code).toBe('E_MIGRATION_FILES');
    expect(err.script).toBe('V1__bad.sql');
    expect(err.line).toBe(2);
  });

  it('defaults to the package schemas/ folder', () => {
    expect(DEFAULT_MIGRATIONS_DIR.replace(/[\\/]+$/, '')).toBe(
      path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../schemas'),
    );
  });
});

describe('unreadable migration files', () => {
  it('reports a folder that is named like a migration file (a symlink to a folder) as E_MIGRATION_FILES', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-unreadable-'));
    mkdirSync(path.join(dir, 'migrations'));
    mkdirSync(path.join(dir, 'elsewhere'));
    symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, 'migrations', 'V2__b.sql'));
    const err = await discoverMigrations(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).code).toBe('E_MIGRATION_FILES');
    expect((err as MigrationError).message).toContain('it is a folder, not a file');
    expect((err as MigrationError).exitCode).toBe(2);
  });
});
