/**
 * The sandbox's pure parts (my.cnf, socket path, SQL escaping, init SQL, names, version parsing) and
 * the functions that must work without any server: status of nothing, invalid options.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MysqlopsError, UsageError } from '../../src/errors.js';
import { installCommand, parseVersionOutput } from '../../src/sandbox/binary.js';
import {
  destroySandbox,
  sandboxConnection,
  sandboxStatus,
  startSandbox,
  stopSandbox,
} from '../../src/sandbox/index.js';
import { initCommand, initDataDir } from '../../src/sandbox/init.js';
import { cnfPort, cnfValue, renderMyCnf } from '../../src/sandbox/my-cnf.js';
import { MAX_SOCKET_PATH_BYTES, resolvePaths, socketPathFor } from '../../src/sandbox/paths.js';
import { renderInitSql, sqlStringLiteral } from '../../src/sandbox/root-password.js';
import { Secret } from '../../src/secret.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-sbx-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

const cnfInput = {
  dataDir: '/srv/sb/data',
  port: 41234,
  socket: '/srv/sb/mysqld.sock',
  pidFile: '/srv/sb/mysqld.pid',
  errorLog: '/srv/sb/error.log',
  binlogBase: '/srv/sb/binlog/mysql-bin',
  tmpDir: '/srv/sb/tmp',
  confDir: '/srv/sb/conf.d',
  ssl: { ca: '/srv/sb/tls/ca.pem', cert: '/srv/sb/tls/server-cert.pem', key: '/srv/sb/tls/server-key.pem' },
};

function cnfMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_-]+)\s*=\s*(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) map.set(m[1], m[2]);
  }
  return map;
}

describe('my.cnf rendering', () => {
  it('renders every required MariaDB setting under [mysqld]', () => {
    const text = renderMyCnf({ flavor: 'mariadb', ...cnfInput });
    expect(text).toContain('[mysqld]');
    // Topology settings (server_id, read_only, wsrep_*) come last, so they override the defaults.
    expect(text.trim().split('\n').at(-1)).toBe('!includedir /srv/sb/conf.d');
    const cnf = cnfMap(text);
    expect(Object.fromEntries(cnf)).toMatchObject({
      datadir: '/srv/sb/data',
      'bind-address': '127.0.0.1',
      port: '41234',
      socket: '/srv/sb/mysqld.sock',
      'pid-file': '/srv/sb/mysqld.pid',
      'log-error': '/srv/sb/error.log',
      server_id: '1',
      log_bin: '/srv/sb/binlog/mysql-bin',
      binlog_format: 'ROW',
      gtid_strict_mode: 'ON',
      log_slave_updates: 'ON',
      performance_schema: 'ON',
      local_infile: 'ON',
      ssl_ca: '/srv/sb/tls/ca.pem',
      ssl_cert: '/srv/sb/tls/server-cert.pem',
      ssl_key: '/srv/sb/tls/server-key.pem',
      skip_name_resolve: 'ON',
      innodb_buffer_pool_size: '128M',
      max_connections: '300',
      innodb_flush_log_at_trx_commit: '1',
      sync_binlog: '1',
      character_set_server: 'utf8mb4',
      collation_server: 'utf8mb4_unicode_ci',
      log_bin_trust_function_creators: 'ON',
    });
    expect(cnf.has('gtid_mode')).toBe(false);
    expect(text).toMatch(/kill -9/);
  });

  it('renders MySQL GTID settings and turns the X plugin off', () => {
    const cnf = cnfMap(renderMyCnf({ flavor: 'mysql', ...cnfInput }));
    expect(cnf.get('gtid_mode')).toBe('ON');
    expect(cnf.get('enforce_gtid_consistency')).toBe('ON');
    expect(cnf.get('mysqlx')).toBe('OFF');
    expect(cnf.has('gtid_strict_mode')).toBe(false);
    expect(cnf.has('log_slave_updates')).toBe(false);
  });

  it('quotes paths with spaces or # and reads the port back', () => {
    expect(cnfValue('/a b/#c\\d')).toBe('"/a b/#c\\\\d"');
    expect(cnfValue('/plain/path.sock')).toBe('/plain/path.sock');
    expect(() => cnfValue('/a"b')).toThrow();
    const text = renderMyCnf({ flavor: 'mariadb', ...cnfInput, dataDir: '/my data/d' });
    expect(text).toContain('datadir = "/my data/d"');
    expect(cnfPort(text)).toBe(41234);
    expect(cnfPort('[mysqld]\n')).toBeUndefined();
  });
});

describe('socket path', () => {
  it('uses dir/mysqld.sock when it fits', () => {
    expect(socketPathFor('/home/u/.mysqlops/sandbox/default')).toBe(
      '/home/u/.mysqlops/sandbox/default/mysqld.sock',
    );
  });

  it('falls back to a short, stable, per-sandbox name in tmpdir when the path is too long', () => {
    const deep = `/tmp/${'x'.repeat(120)}/sandbox/default`;
    const a = socketPathFor(deep, '/tmp');
    expect(a).toMatch(/^\/tmp\/mysqlops-[0-9a-f]{16}\.sock$/);
    expect(socketPathFor(deep, '/tmp')).toBe(a);
    expect(socketPathFor(`${deep}2`, '/tmp')).not.toBe(a);
    // Exactly at the limit still uses the sandbox directory.
    const dir = `/${'d'.repeat(MAX_SOCKET_PATH_BYTES - '/mysqld.sock'.length - 1)}`;
    expect(Buffer.byteLength(socketPathFor(dir, '/tmp'))).toBe(MAX_SOCKET_PATH_BYTES);
    expect(socketPathFor(dir, '/tmp').startsWith(dir)).toBe(true);
    expect(socketPathFor(`${dir}x`, '/tmp').startsWith('/tmp/mysqlops-')).toBe(true);
    // A tmpdir that is itself too deep falls back to /tmp.
    expect(socketPathFor(deep, `/${'t'.repeat(100)}`).startsWith('/tmp/mysqlops-')).toBe(true);
  });
});

describe('root password SQL', () => {
  it('escapes quotes, backslashes and control characters in string literals', () => {
    expect(sqlStringLiteral("it's")).toBe("'it\\'s'");
    expect(sqlStringLiteral('a\\b')).toBe("'a\\\\b'");
    expect(sqlStringLiteral('l1\nl2\r\0\x1a')).toBe("'l1\\nl2\\r\\0\\Z'");
    expect(sqlStringLiteral('plain-_09')).toBe("'plain-_09'");
  });

  it('renders an idempotent init file: binlog off first, one statement per line, every root host', () => {
    const sql = renderInitSql('mariadb', new Secret("p'w\nx"));
    const lines = sql.trimEnd().split('\n');
    expect(lines.every((l) => l.endsWith(';'))).toBe(true);
    expect(lines[1]).toBe('SET SESSION sql_log_bin = 0;');
    for (const host of ['localhost', '127.0.0.1', '::1']) {
      expect(sql).toContain(`CREATE USER IF NOT EXISTS 'root'@'${host}' IDENTIFIED BY 'p\\'w\\nx';`);
      expect(sql).toContain(`ALTER USER 'root'@'${host}' IDENTIFIED BY 'p\\'w\\nx';`);
      expect(sql).toContain(`GRANT ALL PRIVILEGES ON *.* TO 'root'@'${host}' WITH GRANT OPTION;`);
    }
    expect(sql).toMatch(/DELETE FROM mysql\.global_priv WHERE User = ''/);
    expect(lines.at(-1)).toBe('FLUSH PRIVILEGES;');
    expect(renderInitSql('mysql', new Secret('x'))).not.toContain('global_priv');
  });
});

describe('names, options and versions', () => {
  it.each(['', '-a', '_a', 'a b', '../x', 'a/b', 'x'.repeat(33), 'ü'])('rejects the name %j', (name) => {
    expect(() => resolvePaths({ name, home })).toThrow(UsageError);
  });

  it('accepts valid names and places the sandbox in HOME/sandbox/NAME', () => {
    expect(resolvePaths({ name: 'A_1-b', home }).dir).toBe(path.join(home, 'sandbox', 'A_1-b'));
    expect(resolvePaths({ name: 'x'.repeat(32), home }).name).toHaveLength(32);
    expect(resolvePaths({}).dir).toBe(path.resolve('.mysqlops', 'sandbox', 'default'));
  });

  it('rejects an invalid name or port before touching the disk', async () => {
    await expect(startSandbox({ home, name: 'bad name' })).rejects.toBeInstanceOf(UsageError);
    await expect(startSandbox({ home, name: 'ok', port: 70000 })).rejects.toBeInstanceOf(UsageError);
    await expect(startSandbox({ home, name: 'ok', port: 1.5 })).rejects.toMatchObject({
      code: 'E_USAGE',
      exitCode: 2,
    });
    await expect(sandboxStatus({ home, name: '../etc' })).rejects.toBeInstanceOf(UsageError);
    expect(() => sandboxConnection({ home, name: '' })).toThrow(UsageError);
    expect(fs.existsSync(path.join(home, 'sandbox'))).toBe(false);
  });

  it('reports a never-initialised sandbox as absent, and stop/destroy of it are no-ops', async () => {
    const info = await sandboxStatus({ home, name: 'nothing' });
    expect(info).toMatchObject({ name: 'nothing', state: 'absent', host: '127.0.0.1' });
    expect(info.port).toBeUndefined();
    expect(sandboxConnection({ home, name: 'nothing' })).toBeUndefined();
    expect((await stopSandbox({ home, name: 'nothing' })).state).toBe('absent');
    await expect(destroySandbox({ home, name: 'nothing' })).resolves.toBeUndefined();
  });

  it('parses MariaDB and MySQL version output', () => {
    expect(
      parseVersionOutput(
        '/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)',
      ),
    ).toEqual({ flavor: 'mariadb', version: '10.11.19' });
    expect(
      parseVersionOutput('/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)'),
    ).toEqual({
      flavor: 'mysql',
      version: '8.0.36',
    });
    expect(parseVersionOutput('garbage')).toBeUndefined();
  });

  it('names the exact install command, with sudo only when not root', () => {
    const root = process.getuid?.() === 0;
    expect(installCommand()).toBe(
      `${root ? '' : 'sudo '}apt-get update && ${root ? '' : 'sudo '}apt-get install -y mariadb-server mariadb-client`,
    );
  });
});

describe('data directory initialisation', () => {
  it('builds the init command for each flavor with --no-defaults first', () => {
    const maria = initCommand(
      {
        flavor: 'mariadb',
        server: '/usr/sbin/mariadbd',
        installDb: '/usr/bin/mariadb-install-db',
        version: '10.11.19',
      },
      '/d',
    );
    expect(maria.file).toBe('/usr/bin/mariadb-install-db');
    expect(maria.args.slice(0, 4)).toEqual([
      '--no-defaults',
      '--datadir=/d',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
    const mysql = initCommand({ flavor: 'mysql', server: '/usr/sbin/mysqld', version: '8.0.36' }, '/d');
    expect(mysql).toMatchObject({ file: '/usr/sbin/mysqld' });
    expect(mysql.args.slice(0, 3)).toEqual(['--no-defaults', '--initialize-insecure', '--datadir=/d']);
  });

  it('leaves no data directory (and no init file) behind when initialisation fails', async () => {
    const paths = resolvePaths({ home, name: 'initfail' });
    fs.mkdirSync(paths.dir, { recursive: true });
    const failing = {
      flavor: 'mariadb' as const,
      server: '/bin/false',
      installDb: '/bin/false',
      version: '0.0.0',
    };
    const err = await initDataDir(paths, failing, new Secret('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MysqlopsError);
    expect(err).toMatchObject({ code: 'E_SANDBOX_START' });
    expect(fs.readdirSync(paths.dir).filter((f) => f.startsWith('data'))).toEqual([]);
    expect(fs.existsSync(paths.initFile)).toBe(false);
  });
});
