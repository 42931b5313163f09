/**
 * The sandbox lifecycle against real servers: start, connect (TCP, socket, TLS), secrets, idempotent
 * start, stop/start keeping data, kill -9 and recovery, SIGKILL escalation, failed starts reported
 * with the error log, destroy, and the short-socket fallback for deep directories.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  destroySandbox,
  findServerBinary,
  killSandbox,
  type SandboxConnection,
  type SandboxInfo,
  SandboxStartError,
  sandboxConnection,
  sandboxStatus,
  startSandbox,
  stopSandbox,
} from '../../src/sandbox/index.js';
import { sqlStringLiteral } from '../../src/sandbox/root-password.js';

function connectionOf(opts: { home: string; name: string }): SandboxConnection {
  const c = sandboxConnection(opts);
  if (!c) throw new Error('sandboxConnection() returned undefined');
  return c;
}

async function connect(c: SandboxConnection, via: 'tcp' | 'socket' | 'tls'): Promise<mysql.Connection> {
  const base = { user: c.user, password: c.password.reveal(), connectTimeout: 5000 };
  if (via === 'socket') return mysql.createConnection({ ...base, socketPath: c.socket });
  if (via === 'tcp') return mysql.createConnection({ ...base, host: c.host, port: c.port });
  if (!c.caFile) throw new Error('no caFile');
  return mysql.createConnection({
    ...base,
    host: c.host,
    port: c.port,
    ssl: { ca: fs.readFileSync(c.caFile, 'utf8'), rejectUnauthorized: true },
  });
}

async function query<T>(
  c: SandboxConnection,
  sql: string,
  via: 'tcp' | 'socket' | 'tls' = 'socket',
): Promise<T[]> {
  const conn = await connect(c, via);
  try {
    const [rows] = await conn.query(sql);
    return rows as T[];
  } finally {
    await conn.end();
  }
}

function filesUnder(dir: string, skip: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === skip) continue;
    if (entry.isDirectory()) out.push(...filesUnder(full, skip));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

describe('a sandbox through its whole life', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-sbx-'));
  const opts = { home, name: 'life' };
  const steps: string[] = [];
  let first: SandboxInfo;

  beforeAll(async () => {
    first = await startSandbox({ ...opts, onProgress: (e) => steps.push(e.step) });
  });

  afterAll(async () => {
    await destroySandbox(opts);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('starts running, reporting each step', async () => {
    expect(first).toMatchObject({
      name: 'life',
      dir: path.join(home, 'sandbox', 'life'),
      state: 'running',
      host: '127.0.0.1',
      socket: path.join(home, 'sandbox', 'life', 'mysqld.sock'),
      flavor: findServerBinary().flavor,
      binary: findServerBinary().server,
      version: findServerBinary().version,
    });
    expect(first.pid).toBeGreaterThan(0);
    expect(first.port).toBeGreaterThan(0);
    expect(first.caFile).toBe(path.join(first.dir, 'tls', 'ca.pem'));
    expect(steps).toEqual(['init', 'tls', 'config', 'start', 'wait', 'ready']);
    expect((await sandboxStatus(opts)).state).toBe('running');
    const state = JSON.parse(fs.readFileSync(path.join(first.dir, 'sandbox.json'), 'utf8'));
    expect(state).toMatchObject({
      name: 'life',
      port: first.port,
      socket: first.socket,
      flavor: first.flavor,
    });
    expect(typeof state.createdAt).toBe('string');
  });

  it('answers over TCP and the unix socket with binary logging, GTID, performance_schema, local_infile and TLS on', async () => {
    const c = connectionOf(opts);
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: first.port,
      socket: first.socket,
      user: 'root',
      caFile: first.caFile,
    });
    expect(String(c.password)).toBe('[redacted]');
    const sql =
      'SELECT @@log_bin AS log_bin, @@binlog_format AS binlog_format, @@gtid_strict_mode AS gtid_strict_mode, ' +
      '@@performance_schema AS ps, @@local_infile AS local_infile, @@have_ssl AS have_ssl, @@port AS port, ' +
      '@@bind_address AS bind_address, @@sync_binlog AS sync_binlog, @@character_set_server AS cs';
    for (const via of ['tcp', 'socket'] as const) {
      const [row] = await query<Record<string, unknown>>(c, sql, via);
      expect(row).toMatchObject({
        log_bin: 1,
        binlog_format: 'ROW',
        gtid_strict_mode: 1,
        ps: 1,
        local_infile: 1,
        have_ssl: 'YES',
        port: first.port,
        bind_address: '127.0.0.1',
        sync_binlog: 1,
        cs: 'utf8mb4',
      });
    }
    const [lit] = await query<{ v: string }>(c, `SELECT ${sqlStringLiteral("q'uo\\te\n\0x")} AS v`);
    expect(lit?.v).toBe("q'uo\\te\n\0x");
  });

  it('accepts a TLS connection verified against the sandbox CA (and by IP address)', async () => {
    const [row] = await query<{ Value: string }>(
      connectionOf(opts),
      "SHOW SESSION STATUS LIKE 'Ssl_cipher'",
      'tls',
    );
    expect(row?.Value).not.toBe('');
  });

  it('keeps the root password in root.password (0600) and nowhere else outside the datadir', async () => {
    const dir = first.dir;
    const password = connectionOf(opts).password.reveal();
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(fs.statSync(first.passwordFile).mode & 0o777).toBe(0o600);
    expect(fs.existsSync(path.join(dir, 'init.sql'))).toBe(false);
    for (const key of ['ca-key.pem', 'server-key.pem', 'client-key.pem']) {
      expect(fs.statSync(path.join(dir, 'tls', key)).mode & 0o777).toBe(0o600);
    }
    const files = filesUnder(dir, path.join(dir, 'data'));
    expect(files.some((f) => f.includes(`${path.sep}binlog${path.sep}`))).toBe(true);
    const holding = files.filter((f) => fs.readFileSync(f).includes(password));
    expect(holding).toEqual([first.passwordFile]);
  });

  it('leaves only the password-protected root accounts', async () => {
    const rows = await query<{ user: string; host: string; pw: number }>(
      connectionOf(opts),
      "SELECT User AS user, Host AS host, authentication_string <> '' AS pw FROM mysql.user ORDER BY User, Host",
    );
    const roots = rows.filter((r) => r.user === 'root');
    expect(roots.map((r) => r.host).sort()).toEqual(['127.0.0.1', '::1', 'localhost']);
    expect(roots.every((r) => r.pw === 1)).toBe(true);
    expect(rows.filter((r) => r.user === '')).toEqual([]);
  });

  it('does nothing when started again (same pid), also concurrently, and refuses another port', async () => {
    const [a, b] = await Promise.all([startSandbox(opts), startSandbox(opts)]);
    expect(a.pid).toBe(first.pid);
    expect(b.pid).toBe(first.pid);
    await expect(startSandbox({ ...opts, port: (first.port ?? 0) + 1 })).rejects.toBeInstanceOf(UsageError);
    expect((await sandboxStatus(opts)).pid).toBe(first.pid);
  });

  it('stops gracefully and starts again with its data', async () => {
    await query(connectionOf(opts), 'CREATE DATABASE keep_me');
    await query(connectionOf(opts), 'CREATE TABLE keep_me.t (id INT PRIMARY KEY) ENGINE=InnoDB');
    await query(connectionOf(opts), 'INSERT INTO keep_me.t VALUES (1), (2)');
    const progress: string[] = [];
    const stopped = await stopSandbox({
      ...opts,
      onProgress: (e) => progress.push(`${e.step}: ${e.message}`),
    });
    expect(stopped.state).toBe('stopped');
    expect(stopped.pid).toBeUndefined();
    expect(progress.join('\n')).toMatch(/stop: server stopped gracefully/);
    expect((await sandboxStatus(opts)).state).toBe('stopped');
    expect((await stopSandbox(opts)).state).toBe('stopped');

    const again = await startSandbox(opts);
    expect(again.state).toBe('running');
    expect(again.pid).not.toBe(first.pid);
    expect(again.port).toBe(first.port);
    expect(await query(connectionOf(opts), 'SELECT id FROM keep_me.t ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
  });

  it('reports a SIGKILLed server as crashed, and recovers every acknowledged commit on the next start', async () => {
    await query(connectionOf(opts), 'INSERT INTO keep_me.t VALUES (3)');
    await killSandbox(opts);
    const crashed = await sandboxStatus(opts);
    expect(crashed.state).toBe('crashed');
    expect(crashed.pid).toBeUndefined();
    expect(crashed.errorLogTail?.length).toBeGreaterThan(0);
    const back = await startSandbox(opts);
    expect(back.state).toBe('running');
    expect(await query(connectionOf(opts), 'SELECT COUNT(*) AS n FROM keep_me.t')).toEqual([{ n: 3 }]);
  });

  it('escalates to SIGKILL when the server does not stop by the deadline', async () => {
    const { pid } = await sandboxStatus(opts);
    if (pid === undefined) throw new Error('not running');
    // A stopped process leaves SIGTERM pending, which is exactly a server that will not shut down.
    process.kill(pid, 'SIGSTOP');
    const steps: string[] = [];
    const info = await stopSandbox({ ...opts, timeoutMs: 500, onProgress: (e) => steps.push(e.step) });
    expect(steps).toContain('kill');
    expect(info.state).toBe('stopped');
    expect((await sandboxStatus(opts)).state).toBe('stopped');
  });

  it('fails with E_SANDBOX_START before spawning when its port is taken, and reports crashed', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve, reject) => {
      blocker.once('error', reject);
      blocker.listen(first.port, '127.0.0.1', resolve);
    });
    try {
      const err = await startSandbox(opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxStartError);
      expect(err).toMatchObject({ code: 'E_SANDBOX_START' });
      expect((err as Error).message).toMatch(new RegExp(`port ${first.port} .*in use`));
      const status = await sandboxStatus(opts);
      expect(status.state).toBe('crashed');
      expect(status.errorLogTail?.at(-1)).toMatch(/in use by another program/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('reports a server that exits on a bad option as crashed, with the error log tail', async () => {
    const cnf = path.join(first.dir, 'my.cnf');
    const original = fs.readFileSync(cnf, 'utf8');
    fs.appendFileSync(cnf, 'no_such_option_xyz = 1\n');
    try {
      const err = await startSandbox({ ...opts, timeoutMs: 30_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SandboxStartError);
      expect(err).toMatchObject({ code: 'E_SANDBOX_START', exitCode: 1 });
      expect((err as SandboxStartError).errorLogTail.join('\n')).toMatch(/no_such_option_xyz/);
      expect((err as Error).message).toMatch(/no_such_option_xyz/);
      const status = await sandboxStatus(opts);
      expect(status.state).toBe('crashed');
      expect(status.errorLogTail?.join('\n')).toMatch(/no_such_option_xyz/);
    } finally {
      fs.writeFileSync(cnf, original);
    }
    expect((await startSandbox(opts)).state).toBe('running');
    expect((await sandboxStatus(opts)).errorLogTail).toBeUndefined();
  });

  it('destroy stops the server and removes the directory', async () => {
    const { pid } = await sandboxStatus(opts);
    await destroySandbox(opts);
    expect(fs.existsSync(first.dir)).toBe(false);
    // Gone, or a zombie: a server started from this process stays in /proc until Node reaps it.
    const state = () => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      } catch {
        return 'gone';
      }
    };
    expect(pid).toBeDefined();
    expect(['gone', 'Z', 'X']).toContain(state());
    expect((await sandboxStatus(opts)).state).toBe('absent');
    expect(sandboxConnection(opts)).toBeUndefined();
  });
});

describe('a sandbox in a directory too deep for a unix socket path', () => {
  const home = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-sbx-')), 'd'.repeat(90));
  const opts = { home, name: 'deep' };

  afterAll(async () => {
    await destroySandbox(opts);
    fs.rmSync(path.dirname(home), { recursive: true, force: true });
  });

  it('uses a short socket in tmpdir, records it, and removes it on destroy', async () => {
    const info = await startSandbox(opts);
    expect(info.socket.startsWith(path.join(os.tmpdir(), 'mysqlops-'))).toBe(true);
    expect(Buffer.byteLength(info.socket)).toBeLessThanOrEqual(107);
    expect(connectionOf(opts).socket).toBe(info.socket);
    expect(await query(connectionOf(opts), 'SELECT @@socket AS s')).toEqual([{ s: info.socket }]);
    await destroySandbox(opts);
    expect(fs.existsSync(info.socket)).toBe(false);
  });
});
