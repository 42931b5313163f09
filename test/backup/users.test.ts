/**
 * Users and grants in a full backup (`backup full --users`), restored only when asked
 * (`restore --users`): a role and a user with its password hash, grants and default role come back
 * exactly; on a server that refuses password hashes the user comes back locked, with its grants.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWhole } from '../../src/backup/file-io.js';
import { type BackupResult, backupFull, restoreUsers } from '../../src/backup/index.js';
import type { Manifest, SchemaDocument } from '../../src/backup/types.js';
import { withoutCredentials } from '../../src/backup/users.js';
import type { DatabaseManager } from '../../src/db/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { createTestDatabase, sandboxEndpoint, type TestDatabase } from '../support/db.js';
import { backupDir, settings, withAdmin } from './helpers.js';

let src: TestDatabase;
const s = settings(backupDir('users'));
const tag = randomBytes(3).toString('hex');
const user = `bk_user_${tag}`;
const role = `bk_role_${tag}`;
const account = `\`${user}\`@\`%\``;
const password = `Pw-${randomBytes(9).toString('base64url')}-9a`;
let withUsers: BackupResult;
let without: BackupResult;
let grantsBefore: { user: string[]; role: string[] };

async function grants(db: DatabaseManager, who: string): Promise<string[]> {
  const rows = await db.query<Record<string, string>>(`SHOW GRANTS FOR ${who}`);
  return rows.map((r) => String(Object.values(r)[0])).sort();
}

async function dropAccounts(): Promise<void> {
  await withAdmin(async (db) => {
    await db.execute(`DROP USER IF EXISTS ${account}`);
    await db.execute(`DROP ROLE IF EXISTS \`${role}\``);
  });
}

/** The schema document of the (unencrypted, zstd) backup in `dir`. */
async function schemaOf(dir: string): Promise<SchemaDocument> {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const entry = manifest.files.find((f) => f.path === manifest.schemaFile);
  const bytes = await readWhole(dir, entry as NonNullable<typeof entry>, { compression: 'zstd' });
  return JSON.parse(bytes.toString('utf8')) as SchemaDocument;
}

async function login(): Promise<void> {
  const sb = sandboxEndpoint();
  const conn = await mysql.createConnection({ host: sb.host, port: sb.port, user, password });
  await conn.end();
}

beforeAll(async () => {
  src = await createTestDatabase('bk_users');
  await src.db.execute('CREATE TABLE t (id INT PRIMARY KEY)');
  await withAdmin(async (db) => {
    await db.execute(`CREATE ROLE \`${role}\``);
    await db.execute(`GRANT SELECT, INSERT ON \`${src.name}\`.* TO \`${role}\``);
    await db.execute(`CREATE USER ${account} IDENTIFIED BY '${password}'`);
    await db.execute(`GRANT \`${role}\` TO ${account}`);
    await db.execute(`GRANT UPDATE ON \`${src.name}\`.\`t\` TO ${account}`);
    await db.execute(`SET DEFAULT ROLE \`${role}\` FOR ${account}`);
    grantsBefore = { user: await grants(db, account), role: await grants(db, `\`${role}\``) };
  });
  withUsers = await backupFull(src.config(), s, { users: true });
  without = await backupFull(src.config(), s);
}, 120_000);

afterAll(async () => {
  await dropAccounts();
  await src?.drop();
});

describe('users and grants', () => {
  it('are kept only with --users, as hashes, never the password', async () => {
    const doc = await schemaOf(withUsers.dir);
    const mine = doc.users?.filter((a) => a.user === user || a.user === role) ?? [];
    expect(mine.map((a) => [a.user, a.role])).toEqual([
      [role, true],
      [user, false],
    ]);
    expect(mine.find((a) => a.user === user)?.create).toMatch(/IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'/);
    expect(JSON.stringify(doc)).not.toContain(password);
    expect(doc.users?.some((a) => a.user === 'root')).toBe(false);
    expect((await schemaOf(without.dir)).users).toBeUndefined();
  });

  it('are kept by the CLI with backup full --users', async () => {
    const r = await runCliOnSandbox(['backup', 'full', '--users', '--json'], {
      DB_NAME: src.name,
      BACKUP_DIR: s.dir,
    });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; dir: string; manifest?: unknown };
    const doc = await schemaOf(out.dir);
    expect(doc.users?.some((a) => a.user === user)).toBe(true);
  });

  it('are refused from a backup taken without --users', async () => {
    await expect(restoreUsers(src.config(), s, without.id)).rejects.toMatchObject({
      code: 'E_BACKUP',
      exitCode: 2,
      message: expect.stringMatching(/without --users/),
    });
  });

  it('come back exactly, password included, where the server accepts password hashes', async () => {
    await dropAccounts();
    const only = [`${user}@%`, role];
    const strict = await withAdmin(async (db) => {
      const [row] = await db.query<{ v: number }>('SELECT @@GLOBAL.strict_password_validation AS v');
      await db.execute('SET GLOBAL strict_password_validation = OFF');
      return Number(row?.v);
    });
    try {
      const r = await restoreUsers(src.config(), s, withUsers.id, { only });
      expect(r.created.sort()).toEqual(only.slice().sort());
      expect(r.locked).toEqual([]);
    } finally {
      await withAdmin((db) => db.execute(`SET GLOBAL strict_password_validation = ${strict ? 'ON' : 'OFF'}`));
    }
    await withAdmin(async (db) => {
      expect(await grants(db, account)).toEqual(grantsBefore.user);
      expect(await grants(db, `\`${role}\``)).toEqual(grantsBefore.role);
    });
    await login();
    // Again: both exist now; they are kept (password untouched) and their grants applied again.
    const again = await restoreUsers(src.config(), s, withUsers.id, { only });
    expect(again).toMatchObject({ created: [], locked: [] });
    expect(again.existing.sort()).toEqual(only.slice().sort());
    await login();
  });

  it('come back locked, with their grants, where the server refuses password hashes', async () => {
    await dropAccounts();
    await withAdmin(async (db) => {
      const [row] = await db.query<{ v: number }>('SELECT @@GLOBAL.strict_password_validation AS v');
      expect(Number(row?.v)).toBe(1);
    });
    const r = await restoreUsers(src.config(), s, withUsers.id, { only: [`${user}@%`, role] });
    expect(r.locked).toEqual([`${user}@%`]);
    await withAdmin(async (db) => {
      // Its password is a random one nobody knows, so only the credentials differ.
      expect((await grants(db, account)).map(withoutCredentials)).toEqual(
        grantsBefore.user.map(withoutCredentials),
      );
      const [u] = await db.query<Record<string, string>>(`SHOW CREATE USER ${account}`);
      expect(String(Object.values(u ?? {})[0])).toMatch(/ACCOUNT LOCK/);
    });
    await expect(login()).rejects.toMatchObject({ errno: expect.any(Number) });
  });
});
