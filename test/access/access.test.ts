import { readFileSync, statSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AccessCheck,
  type AccessSpec,
  applyAccess,
  DEFAULT_CHECKS,
  dropAccess,
  loadAccessFile,
  planAccess,
  quoteAccount,
  rotatePassword,
  verifyAccess,
} from '../../src/access/index.js';
import { DatabaseManager } from '../../src/db/index.js';
import { sandboxConfig, sandboxEndpoint } from '../support/db.js';
import { type AccessTestDb, createAccessDatabase } from './helpers.js';

let t: AccessTestDb;
let admin: DatabaseManager;
let spec: AccessSpec;

beforeAll(async () => {
  t = await createAccessDatabase('access');
  admin = new DatabaseManager(sandboxConfig());
  spec = loadAccessFile(undefined, { prefix: t.prefix });
});

afterAll(async () => {
  await dropAccess(admin, spec, t.credentials);
  await admin.close();
  await t.drop();
});

function endpoint() {
  const sb = sandboxEndpoint();
  return {
    database: t.name,
    host: sb.host,
    port: sb.port,
    ca: readFileSync(sb.caFile as string, 'utf8'),
    credentials: t.credentials,
  };
}

describe('access apply, diff and verify against the real server', () => {
  it('creates every role and user, and a second apply changes nothing', async () => {
    const first = await applyAccess(admin, spec, { database: t.name, credentials: t.credentials });
    expect(first.failed).toBeUndefined();
    expect(first.created.map((c) => c.user).sort()).toEqual(spec.users.map((u) => u.name).sort());
    expect(first.warnings).toEqual([]);
    const second = await applyAccess(admin, spec, { database: t.name, credentials: t.credentials });
    expect(second.applied).toEqual([]);
    expect((await planAccess(admin, spec, t.name)).changes).toEqual([]);
  });

  it('stores generated passwords in 0600 files in a 0700 directory', () => {
    expect(statSync(t.credentials.dir).mode & 0o777).toBe(0o700);
    for (const u of spec.users) {
      expect(statSync(t.credentials.fileFor(u.name)).mode & 0o777).toBe(0o600);
      expect(t.credentials.read(u.name)?.reveal()).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d).{28}$/);
    }
  });

  it('passes the whole allow/deny matrix (at least 40 checks) logged in as each user', async () => {
    const result = await verifyAccess(spec, {
      ...endpoint(),
      flavor: await admin.initialize().then(() => admin.flavor),
    });
    if (process.env.SHOW_CHECKS)
      console.log(
        result.checks
          .map((c) => `${c.ok} ${c.user} ${c.expect}/${c.actual} ${c.description} ${c.detail ?? ''}`)
          .join('\n'),
      );
    const failures = result.checks.filter((c) => !c.ok);
    expect(failures).toEqual([]);
    expect(result.checks.length).toBe(DEFAULT_CHECKS.length);
    expect(result.passed).toBeGreaterThanOrEqual(40);
    expect(result.checks.filter((c) => c.expect === 'deny').length).toBeGreaterThanOrEqual(20);
    // The TLS refusals are real: REQUIRE SSL users were refused over plain TCP.
    expect(result.checks.filter((c) => /without TLS/.test(c.description) && c.actual === 'deny').length).toBe(
      3,
    );
  });

  it('lets the auditor seal (add seals, set audit_log.seal_id) and nothing more; app roles not even that', async () => {
    const checks: AccessCheck[] = [
      {
        user: 'auditor_user',
        expect: 'allow',
        description: 'may attach audit rows to a seal',
        sql: 'UPDATE {db}.audit_log SET seal_id = seal_id WHERE audit_id = 0',
      },
      {
        user: 'auditor_user',
        expect: 'allow',
        description: 'may add a seal',
        sql: 'INSERT INTO {db}.audit_seal (seal_id) VALUES (0)',
        rollback: true,
      },
      {
        user: 'auditor_user',
        expect: 'allow',
        description: 'reads seals',
        sql: 'SELECT COUNT(*) FROM {db}.audit_seal',
      },
      {
        user: 'auditor_user',
        expect: 'deny',
        description: 'cannot change a seal',
        sql: "UPDATE {db}.audit_seal SET seal_hash = '' WHERE seal_id = 0",
      },
      {
        user: 'auditor_user',
        expect: 'deny',
        description: 'cannot delete a seal',
        sql: 'DELETE FROM {db}.audit_seal WHERE seal_id = 0',
      },
      {
        user: 'app_user',
        expect: 'deny',
        description: 'cannot attach audit rows to a seal',
        sql: 'UPDATE {db}.audit_log SET seal_id = NULL WHERE audit_id = 0',
      },
      {
        user: 'app_user',
        expect: 'deny',
        description: 'cannot read seals',
        sql: 'SELECT COUNT(*) FROM {db}.audit_seal',
      },
      {
        user: 'app_user',
        expect: 'deny',
        description: 'cannot add a seal',
        sql: 'INSERT INTO {db}.audit_seal (seal_id) VALUES (0)',
        rollback: true,
      },
      {
        user: 'admin_user',
        expect: 'deny',
        description: 'cannot attach audit rows to a seal',
        sql: 'UPDATE {db}.audit_log SET seal_id = NULL WHERE audit_id = 0',
      },
      {
        user: 'admin_user',
        expect: 'deny',
        description: 'cannot delete a seal',
        sql: 'DELETE FROM {db}.audit_seal WHERE seal_id = 0',
      },
    ];
    const result = await verifyAccess(spec, { ...endpoint(), flavor: admin.flavor, checks });
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.passed).toBe(checks.length);
  });

  it('diff reports a grant added by hand and apply revokes it', async () => {
    const appRead = `\`${t.prefix}app_read\``;
    await admin.execute(`GRANT SELECT ON \`${t.name}\`.audit_log TO ${appRead}`);
    await admin.execute(`GRANT SELECT (password_hash) ON \`${t.name}\`.customers TO ${appRead}`);
    const appUser = spec.users.find((u) => u.key === 'app_user');
    if (!appUser) throw new Error('app_user missing');
    await admin.execute(`ALTER USER ${quoteAccount(appUser.name, appUser.host)} REQUIRE NONE`);
    const plan = await planAccess(admin, spec, t.name);
    expect(plan.changes.map((c) => `${c.kind} ${c.subject} ${c.detail}`).sort()).toEqual(
      [
        `revoke ${appRead} SELECT ON \`${t.name}\`.\`audit_log\``,
        `revoke ${appRead} SELECT ON \`${t.name}\`.\`customers\` (password_hash)`,
        `tls ${quoteAccount(appUser.name, appUser.host)} REQUIRE SSL missing`,
      ].sort(),
    );
    const fixed = await applyAccess(admin, spec, { database: t.name, credentials: t.credentials });
    expect(fixed.applied).toHaveLength(3);
    expect((await planAccess(admin, spec, t.name)).changes).toEqual([]);
  });

  it('diff reports a missing grant, a hand-granted role and a changed default role', async () => {
    const etl = spec.users.find((u) => u.key === 'etl_user');
    if (!etl) throw new Error('etl_user missing');
    const account = quoteAccount(etl.name, etl.host);
    await admin.execute(`REVOKE SELECT ON \`${t.name}\`.orders FROM \`${t.prefix}etl\``);
    await admin.execute(`GRANT \`${t.prefix}backup\` TO ${account}`);
    await admin.execute(`SET DEFAULT ROLE \`${t.prefix}backup\` FOR ${account}`);
    const kinds = (await planAccess(admin, spec, t.name)).changes.map((c) => c.kind).sort();
    expect(kinds).toEqual(['default-role', 'grant', 'revoke-role']);
    await applyAccess(admin, spec, { database: t.name, credentials: t.credentials });
    expect((await planAccess(admin, spec, t.name)).changes).toEqual([]);
  });

  it('rotates a password: the new one logs in, the old one no longer does (MariaDB: no dual passwords)', async () => {
    const mon = spec.users.find((u) => u.key === 'monitoring_user');
    if (!mon) throw new Error('monitoring_user missing');
    const old = t.credentials.read(mon.name)?.reveal();
    const [before] = await admin.query<{ File: string; Position: number }>('SHOW MASTER STATUS');
    const r = await rotatePassword(admin, { user: mon.name, host: mon.host, credentials: t.credentials });
    if (before && admin.flavor.isMariaDB) {
      // MariaDB would log the plain-text password: account statements stay out of the binary log.
      const events = await admin.query<{ Info: string }>('SHOW BINLOG EVENTS IN ? FROM ?', [
        before.File,
        before.Position,
      ]);
      expect(events.filter((e) => e.Info?.includes(mon.name))).toEqual([]);
    }
    const fresh = t.credentials.read(mon.name)?.reveal();
    expect(fresh).not.toBe(old);
    expect(r.oldPasswordRetained).toBe(!admin.flavor.isMariaDB);
    const sb = sandboxEndpoint();
    const login = (password: string | undefined) =>
      mysql.createConnection({ host: sb.host, port: sb.port, user: mon.name, password });
    const conn = await login(fresh);
    await conn.end();
    if (admin.flavor.isMariaDB) await expect(login(old)).rejects.toMatchObject({ errno: 1045 });
  });

  it('the sandbox refuses a weak password (simple_password_check)', async () => {
    const [plugin] = await admin.query<{ s: string }>(
      "SELECT PLUGIN_STATUS AS s FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'simple_password_check'",
    );
    expect(plugin?.s).toBe('ACTIVE');
    const weak = quoteAccount(`${t.prefix}weak`, 'localhost');
    await expect(admin.execute(`CREATE USER ${weak} IDENTIFIED BY 'password'`)).rejects.toMatchObject({
      errno: 1819,
    });
    await admin.execute(`DROP USER IF EXISTS ${weak}`);
  });

  it('skips optional grants on tables that do not exist yet, with a warning', async () => {
    await admin.execute(`RENAME TABLE \`${t.name}\`.audit_seal TO \`${t.name}\`.audit_seal_x`);
    try {
      const plan = await planAccess(admin, spec, t.name);
      expect(plan.warnings).toEqual([
        `${t.name}.audit_seal does not exist yet: grants on it skipped (role auditor)`,
      ]);
      // The grant left on the missing table is neither re-granted nor revoked.
      expect(plan.changes).toEqual([]);
    } finally {
      await admin.execute(`RENAME TABLE \`${t.name}\`.audit_seal_x TO \`${t.name}\`.audit_seal`);
    }
  });
});
