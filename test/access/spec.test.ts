import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_ACCESS_FILE,
  generatePassword,
  loadAccessFile,
  parseShowGrants,
  quoteAccount,
  quoteRole,
  resolveAccess,
} from '../../src/access/index.js';
import { Flavor } from '../../src/db/index.js';
import { ConfigError, MysqlopsError } from '../../src/errors.js';

const mariadb = Flavor.detect('10.11.19-MariaDB-0+deb12u1-log');
const mysql8 = Flavor.detect('8.0.36', 'MySQL Community Server - GPL');

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

const base = () => parse(readFileSync(DEFAULT_ACCESS_FILE, 'utf8'));

describe('the access file', () => {
  it('the repository file is valid and defines the required roles and users', () => {
    const spec = loadAccessFile();
    expect(spec.roles.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'app_read',
        'app_write',
        'app_admin',
        'etl',
        'reporting',
        'backup',
        'monitoring',
        'auditor',
      ]),
    );
    expect(spec.users.map((u) => u.key)).toEqual(
      expect.arrayContaining([
        'app_user',
        'monitoring_user',
        'etl_user',
        'backup_user',
        'reporting_user',
        'auditor_user',
        'admin_user',
      ]),
    );
  });

  it('no application role can SELECT customers.password_hash except the login service', () => {
    const spec = loadAccessFile();
    for (const role of spec.roles.filter((r) => r.key.startsWith('app_') && r.key !== 'app_auth')) {
      for (const g of role.grants) {
        const onCustomers =
          g.target.level === 'schema' || (g.target.level === 'table' && g.target.table === 'customers');
        if (onCustomers && g.privileges.includes('SELECT')) expect(g.columns ?? []).not.toContain(undefined);
        if (g.target.level === 'table' && g.target.table === 'customers' && g.privileges.includes('SELECT')) {
          expect(g.columns).toBeDefined();
          expect(g.columns).not.toContain('password_hash');
        }
        // Grants on audit tables never reach application roles.
        if (g.target.level === 'table') expect(g.target.table).not.toMatch(/^audit_/);
        if (g.target.level === 'schema')
          expect(g.privileges.filter((p) => ['SELECT', 'INSERT', 'UPDATE', 'DELETE'].includes(p))).toEqual(
            [],
          );
      }
    }
  });

  it('applies a name prefix to roles, users, includes and default roles', () => {
    const spec = loadAccessFile(undefined, { prefix: 'ci1_' });
    const app = spec.users.find((u) => u.key === 'app_user');
    expect(app).toMatchObject({
      name: 'ci1_app_user',
      defaultRole: 'ci1_app_write',
      roles: ['ci1_app_write'],
    });
    expect(spec.roles.find((r) => r.key === 'app_write')?.includes).toEqual(['ci1_app_read']);
  });

  it('lists every problem of a malformed file with its path', () => {
    const doc = base();
    doc.roles.app_read.colour = 'blue';
    doc.roles.app_read.grants[0].privileges.push('SELEKT');
    doc.roles.backup.grants.push({ on: 'orders', privileges: ['PROCESS'] });
    doc.roles.etl.includes = ['ghost'];
    doc.users.app_user.roles = ['app_write', 'phantom'];
    doc.users.app_user.default_role = 'nobody';
    doc.users.etl_user.host = "%'; DROP USER root; --";
    doc.roles.reporting.grants[0].on = 'a.b.c';
    doc.extra = true;
    const issues = issuesOf(() => resolveAccess(doc, {}, 'access.yaml'));
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^access.yaml: roles\.app_read\.colour: /),
        expect.stringMatching(/^access.yaml: extra: /),
      ]),
    );
    // zod stops at shape errors; fix them and the semantic problems are all listed together.
    delete doc.roles.app_read.colour;
    delete doc.extra;
    const semantic = issuesOf(() => resolveAccess(doc, {}, 'access.yaml'));
    expect(semantic).toEqual(
      expect.arrayContaining([
        'access.yaml: roles.app_read.grants.0.privileges.1: unknown privilege "SELEKT"',
        expect.stringMatching(
          /^access.yaml: roles\.backup\.grants\.\d+\.privileges\.0: PROCESS cannot be granted at table level/,
        ),
        'access.yaml: roles.etl.includes.0: role "ghost" is referenced but not defined',
        'access.yaml: users.app_user.roles.1: role "phantom" is referenced but not defined',
        'access.yaml: users.app_user.default_role: "nobody" is not one of the user\'s roles',
        expect.stringMatching(/^access.yaml: users\.etl_user\.host: invalid host/),
        expect.stringMatching(/^access.yaml: roles\.reporting\.grants\.0\.on: expected/),
      ]),
    );
    expect(semantic).toHaveLength(7);
  });

  it('refuses dangerous privileges and cycles', () => {
    const doc = base();
    doc.roles.monitoring.grants.push({ on: '*.*', privileges: ['SUPER', 'ALL PRIVILEGES', 'FILE'] });
    doc.roles.app_read.includes = ['app_admin'];
    const issues = issuesOf(() => resolveAccess(doc));
    expect(issues.filter((i) => i.includes('unknown privilege'))).toHaveLength(3);
    expect(issues.some((i) => i.includes('cycle'))).toBe(true);
  });

  it('refuses hostile role, user, table and column names', () => {
    const doc = base();
    doc.roles['r`; DROP TABLE x; --'] = { grants: [] };
    doc.users["u'--"] = { host: '%', roles: ['app_read'], default_role: 'app_read', require_tls: true };
    doc.roles.app_read.grants.push({ on: 'orders`; DROP', privileges: ['SELECT'] });
    doc.roles.app_read.grants.push({ on: 'customers', privileges: ['SELECT'], columns: ['id\0'] });
    const issues = issuesOf(() => resolveAccess(doc));
    expect(issues.length).toBeGreaterThanOrEqual(4);
  });
});

describe('names reaching SQL', () => {
  const hostile = [
    "app'user",
    'app`user',
    'x; DROP TABLE orders',
    'nul\0byte',
    'a'.repeat(200),
    'ünïcödé',
    'role name',
    '',
    '123',
    'none',
  ];
  it.each(hostile)('quoteAccount/quoteRole refuse the name %j with E_IDENTIFIER (exit 2)', (name) => {
    for (const fn of [() => quoteAccount(name, '%'), () => quoteRole(name)]) {
      expect(fn).toThrow(MysqlopsError);
      try {
        fn();
      } catch (err) {
        expect((err as MysqlopsError).code).toBe('E_IDENTIFIER');
        expect((err as MysqlopsError).exitCode).toBe(2);
      }
    }
  });

  it.each([
    "%'; --",
    '%%',
    '%.evil.com',
    '10.%.0.1',
    'host_name',
    'a b',
    '10.0.0.1`',
    `${'h'.repeat(300)}.com`,
    'local\0host',
  ])('quoteAccount refuses the host %j', (host) => {
    expect(() => quoteAccount('app_user', host)).toThrow(/invalid host/);
  });

  it('accepts ordinary accounts and quotes them', () => {
    expect(quoteAccount('app_user', '%')).toBe('`app_user`@`%`');
    expect(quoteAccount('app_user', '10.0.%')).toBe('`app_user`@`10.0.%`');
    expect(quoteAccount('backup_user', '127.0.0.1')).toBe('`backup_user`@`127.0.0.1`');
    expect(quoteAccount('m', '10.0.0.0/255.255.255.0')).toBe('`m`@`10.0.0.0/255.255.255.0`');
    expect(quoteAccount('m', 'db-1.example.com')).toBe('`m`@`db-1.example.com`');
    expect(quoteAccount('m', '::1')).toBe('`m`@`::1`');
    expect(quoteRole('app_read')).toBe('`app_read`');
  });
});

describe('SHOW GRANTS parsing', () => {
  it('reads privileges, columns and roles addressed to the subject only', () => {
    const lines = [
      'GRANT `r1` TO `r2`',
      'GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO `r2`',
      'GRANT LOCK TABLES, SHOW VIEW ON `d1`.* TO `r2`',
      'GRANT USAGE ON *.* TO `r1`',
      'GRANT SELECT (`a`, `b`), INSERT ON `d1`.`t` TO `r1`',
    ];
    const parsed = parseShowGrants(lines, '`r2`');
    expect(parsed.roles).toEqual(['r1']);
    expect(parsed.grants.map((g) => `${g.privilege}|${g.object}|${g.column ?? ''}`)).toEqual([
      'RELOAD|*.*|',
      'PROCESS|*.*|',
      'BINLOG MONITOR|*.*|',
      'LOCK TABLES|`d1`.*|',
      'SHOW VIEW|`d1`.*|',
    ]);
    const r1 = parseShowGrants(lines, '`r1`');
    expect(r1.grants.map((g) => `${g.privilege}(${g.column ?? ''})`)).toEqual([
      'SELECT(a)',
      'SELECT(b)',
      'INSERT()',
    ]);
  });

  it('reads user lines with IDENTIFIED BY PASSWORD and REQUIRE SSL, and MySQL role grants', () => {
    const parsed = parseShowGrants(
      [
        "GRANT USAGE ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*ABC' REQUIRE SSL",
        'GRANT `app`@`%`,`rep`@`%` TO `u`@`%`',
        'SET DEFAULT ROLE `app` FOR `u`@`%`',
      ],
      '`u`@`%`',
    );
    expect(parsed).toEqual({ grants: [], roles: ['app', 'rep'] });
  });
});

describe('flavor differences for access', () => {
  it('spells monitor privileges per flavor', () => {
    expect(mariadb.privilegeName('REPLICATION CLIENT')).toBe('BINLOG MONITOR');
    expect(mariadb.privilegeName('REPLICA MONITOR')).toBe('SLAVE MONITOR');
    expect(mysql8.privilegeName('BINLOG MONITOR')).toBe('REPLICATION CLIENT');
    expect(mysql8.privilegeName('REPLICA MONITOR')).toBe('REPLICATION CLIENT');
    expect(mysql8.privilegeName('SELECT')).toBe('SELECT');
  });

  it('sets default roles and rotates passwords per flavor', () => {
    expect(mariadb.setDefaultRoleSql('`r`', '`u`@`%`')).toBe('SET DEFAULT ROLE `r` FOR `u`@`%`');
    expect(mysql8.setDefaultRoleSql('`r`@`%`', '`u`@`%`')).toBe('SET DEFAULT ROLE `r`@`%` TO `u`@`%`');
    expect(mariadb.supportsDualPassword).toBe(false);
    expect(mysql8.supportsDualPassword).toBe(true);
    expect(mariadb.setPasswordSql('`u`@`%`', "'x'", true)).toBe("ALTER USER `u`@`%` IDENTIFIED BY 'x'");
    expect(mysql8.setPasswordSql('`u`@`%`', "'x'", true)).toBe(
      "ALTER USER `u`@`%` IDENTIFIED BY 'x' RETAIN CURRENT PASSWORD",
    );
    expect(mysql8.discardOldPasswordSql('`u`@`%`')).toBe('ALTER USER `u`@`%` DISCARD OLD PASSWORD');
    expect(mariadb.discardOldPasswordSql('`u`@`%`')).toBeUndefined();
    expect(mariadb.supportsPasswordExpiry && mysql8.supportsPasswordExpiry).toBe(true);
    expect(mariadb.accountStatement('GRANT `r` TO `u`@`%`')).toBe(
      'SET STATEMENT sql_log_bin=0 FOR GRANT `r` TO `u`@`%`',
    );
    expect(mysql8.accountStatement('GRANT `r`@`%` TO `u`@`%`')).toBe('GRANT `r`@`%` TO `u`@`%`');
  });
});

describe('generated passwords', () => {
  it('are long, mixed and never repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = generatePassword().reveal();
      expect(p).toMatch(/^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[-_.~+=^!])[A-Za-z0-9\-_.~+=^!]{28}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});

describe('sandbox password policy', () => {
  it('loads simple_password_check on MariaDB sandboxes only, with loose_ options', async () => {
    const { renderMyCnf } = await import('../../src/sandbox/my-cnf.js');
    const input = {
      dataDir: '/d',
      port: 1,
      socket: '/s',
      pidFile: '/p',
      errorLog: '/e',
      binlogBase: '/b',
      tmpDir: '/t',
      confDir: '/c.d',
      ssl: { ca: '/a', cert: '/c', key: '/k' },
    };
    const maria = renderMyCnf({ flavor: 'mariadb', ...input });
    expect(maria).toContain('plugin_load_add = simple_password_check');
    expect(maria).toMatch(/^loose_simple_password_check_minimal_length = 14$/m);
    expect(renderMyCnf({ flavor: 'mysql', ...input })).not.toContain('simple_password_check');
  });
});
