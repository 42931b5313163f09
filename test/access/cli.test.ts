import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropAccess, loadAccessFile } from '../../src/access/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import { runCliOnSandbox } from '../support/cli.js';
import { sandboxConfig, sandboxEndpoint } from '../support/db.js';
import { type AccessTestDb, createAccessDatabase } from './helpers.js';

let t: AccessTestDb;

beforeAll(async () => {
  t = await createAccessDatabase('access_cli');
});

afterAll(async () => {
  const admin = new DatabaseManager(sandboxConfig());
  await dropAccess(admin, loadAccessFile(undefined, { prefix: t.prefix }), t.credentials);
  await admin.close();
  await t.drop();
});

const cli = (args: string[]) => runCliOnSandbox(args, { DB_NAME: t.name });
const common = () => ['--prefix', t.prefix, '--credentials-dir', t.credentials.dir];

describe('mysqlops access / users', () => {
  it('diff shows drift (exit 1), apply converges (exit 0), then diff is clean and verify passes', async () => {
    const before = await cli(['--json', 'access', 'diff', '--prefix', t.prefix]);
    expect(before.code).toBe(1);
    expect(JSON.parse(before.stdout).drift.length).toBeGreaterThan(20);

    const apply = await cli(['--json', 'access', 'apply', ...common()]);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    const report = JSON.parse(apply.stdout);
    expect(report.created).toHaveLength(8);
    expect(JSON.stringify(report)).not.toMatch(/"password"/); // not shown unless asked

    const after = await cli(['access', 'diff', '--prefix', t.prefix]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('in sync');

    const verify = await cli(['--json', 'access', 'verify', ...common()]);
    expect(verify.code).toBe(0);
    const v = JSON.parse(verify.stdout);
    expect(v.failed).toBe(0);
    expect(v.passed).toBeGreaterThanOrEqual(40);
  });

  it('users rotate-password stores a new password that logs in', async () => {
    const user = `${t.prefix}reporting_user`;
    const old = t.credentials.read(user)?.reveal();
    const r = await cli(['users', 'rotate-password', user, ...common()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stored in');
    expect(r.stdout + r.stderr).not.toContain(t.credentials.read(user)?.reveal() as string);
    const fresh = t.credentials.read(user)?.reveal();
    expect(fresh).not.toBe(old);
    const sb = sandboxEndpoint();
    const ca = readFileSync(sb.caFile as string, 'utf8');
    const conn = await mysql.createConnection({
      host: sb.host,
      port: sb.port,
      user,
      password: fresh,
      ssl: { ca },
    });
    await conn.end();
  });

  // Every hostile form is covered against the library in spec.test.ts; here the CLI path (exit 2,
  // nothing connected) for one user and one host.
  it('users rotate-password refuses a hostile user name with exit 2', async () => {
    const r = await cli(['users', 'rotate-password', "x'; DROP TABLE orders; --", '--host', '%']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid user name/);
  });

  it('users rotate-password refuses a hostile host with exit 2', async () => {
    const r = await cli(['users', 'rotate-password', 'app_user', '--host', "%'; DROP USER root; --"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid host/);
  });

  it('refuses a hostile prefix with exit 2', async () => {
    const r = await cli(['access', 'diff', '--prefix', "x'`; DROP"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prefix');
  });

  it('a malformed access file exits 2 and lists every problem', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mysqlops-access-')), 'bad.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'roles:',
        '  reader:',
        '    grants:',
        '      - on: orders',
        '        privileges: [SELECT, SELEKT]',
        '  writer:',
        '    includes: [ghost]',
        '    grants: []',
        'users:',
        '  someone:',
        "    host: '%'",
        '    roles: [reader, phantom]',
        '    default_role: reader',
        '    require_tls: true',
      ].join('\n'),
    );
    const r = await cli(['access', 'diff', '--file', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('roles.reader.grants.0.privileges.1: unknown privilege "SELEKT"');
    expect(r.stderr).toContain('roles.writer.includes.0: role "ghost" is referenced but not defined');
    expect(r.stderr).toContain('users.someone.roles.1: role "phantom" is referenced but not defined');

    writeFileSync(file, 'version: 1\nroles: {}\nusers: {}\nsurprise: 1\n');
    const unknown = await cli(['access', 'apply', '--file', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('surprise');
  });
});
