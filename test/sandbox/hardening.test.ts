/**
 * The sandbox's edges: what child processes inherit, one naming rule everywhere, file system
 * failures reported as E_SANDBOX with the path and the fix (also for a user who may not write or
 * read there, checked in a child process running as `nobody`), and ports a normal user cannot bind.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError, MysqlopsError, UsageError } from '../../src/errors.js';
import { installCommand, probeServer } from '../../src/sandbox/binary.js';
import { NAME_PATTERN } from '../../src/sandbox/index.js';
import { initDataDir } from '../../src/sandbox/init.js';
import { resolvePaths } from '../../src/sandbox/paths.js';
import { pickFreePort } from '../../src/sandbox/ports.js';
import { spawnServer } from '../../src/sandbox/process.js';
import { writeState } from '../../src/sandbox/state.js';
import { ensureTls } from '../../src/sandbox/tls.js';
import { Secret } from '../../src/secret.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-sbx-hard-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('child processes', () => {
  const secrets = {
    DB_PASSWORD: 'pw-in-env-1',
    DB_PASSWORD_FILE: '/run/secrets/db-pw',
    DB_SSL_KEY: '/run/secrets/key.pem',
    MY_API_TOKEN: 'tok-in-env-2',
    AWS_SECRET_ACCESS_KEY: 'aws-in-env-3',
    MYSQL_PWD: 'pwd-in-env-4',
  };
  const saved: Record<string, string | undefined> = {};
  let bin: string;

  beforeEach(() => {
    for (const [k, v] of Object.entries(secrets)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    bin = fs.mkdtempSync(path.join(home, 'bin-'));
  });

  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  /** An executable that writes its environment to `<itself>.env` and fails. */
  function envDumper(name: string): string {
    const file = path.join(bin, name);
    fs.writeFileSync(file, '#!/bin/sh\nenv > "$0.env"\nexit 1\n', { mode: 0o755 });
    return file;
  }

  function expectNoSecrets(dumpFile: string) {
    const env = fs.readFileSync(dumpFile, 'utf8');
    expect(env).toMatch(/^PATH=/m);
    for (const [k, v] of Object.entries(secrets)) {
      expect(env).not.toContain(`${k}=`);
      expect(env).not.toContain(v);
    }
  }

  it('the server, mariadb-install-db, openssl and the version probe get no secrets from our environment', async () => {
    const server = envDumper('mariadbd');
    probeServer(server);
    expectNoSecrets(`${server}.env`);
    fs.rmSync(`${server}.env`);

    await spawnServer(server, [], path.join(bin, 'error.log'));
    await until('the spawned server to write its environment', () => fs.existsSync(`${server}.env`));
    await until('the file to be complete', () => fs.readFileSync(`${server}.env`, 'utf8').includes('PATH='));
    expectNoSecrets(`${server}.env`);

    const installDb = envDumper('mariadb-install-db');
    const paths = resolvePaths({ home, name: 'envinit' });
    fs.mkdirSync(paths.dir, { recursive: true });
    await initDataDir(paths, { flavor: 'mariadb', server, installDb, version: '0' }, new Secret('x')).catch(
      () => undefined,
    );
    expectNoSecrets(`${installDb}.env`);

    const openssl = envDumper('openssl');
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    const tlsPaths = resolvePaths({ home, name: 'envtls' });
    fs.mkdirSync(tlsPaths.dir, { recursive: true });
    try {
      await ensureTls(tlsPaths).catch(() => undefined);
    } finally {
      process.env.PATH = savedPath;
    }
    expectNoSecrets(`${openssl}.env`);
  });

  it('a missing openssl is reported with the command that installs openssl', async () => {
    const paths = resolvePaths({ home, name: 'noopenssl' });
    fs.mkdirSync(paths.dir, { recursive: true });
    const savedPath = process.env.PATH;
    process.env.PATH = bin;
    try {
      const err = (await ensureTls(paths).catch((e: unknown) => e)) as MysqlopsError;
      expect(err).toMatchObject({ code: 'E_SERVER_MISSING', hint: installCommand(['openssl']) });
      expect(err.hint).toMatch(/apt-get install -y openssl$/);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describe('sandbox names', () => {
  const config = (name: string) => () => loadConfig({ environ: { MYSQLOPS_SANDBOX: name }, cwd: home });

  it.each(['a.b', 'x'.repeat(33), '-a', 'a/b'])('the config and the sandbox both refuse %j', (name) => {
    expect(NAME_PATTERN.test(name)).toBe(false);
    expect(config(name)).toThrow(ConfigError);
    expect(() => resolvePaths({ home, name })).toThrow(UsageError);
  });

  it.each(['default', 'x'.repeat(32), 'replica-1', 'A_1'])(
    'the config and the sandbox both accept %j',
    (name) => {
      expect(config(name)().sandbox.name).toBe(name);
      expect(resolvePaths({ home, name }).name).toBe(name);
    },
  );
});

describe('file system and port failures', () => {
  it('a state file that cannot be written is E_SANDBOX naming the file', () => {
    const paths = resolvePaths({ home: path.join(home, 'missing-dir'), name: 'x' });
    const err = (() => {
      try {
        writeState(paths, {
          name: 'x',
          port: 1,
          socket: '/tmp/x.sock',
          flavor: 'mariadb',
          binary: '/bin/false',
          version: '0',
          createdAt: '',
        });
      } catch (e) {
        return e;
      }
    })() as MysqlopsError;
    expect(err).toBeInstanceOf(MysqlopsError);
    expect(err.code).toBe('E_SANDBOX');
    expect(err.message).toContain(paths.stateFile);
    expect(err.hint).toBeTruthy();
  });

  it('no free port is E_SANDBOX with a fix, not a bare Error', async () => {
    const everyPort = { has: () => true } as unknown as Set<number>;
    await expect(pickFreePort(everyPort)).rejects.toMatchObject({ code: 'E_SANDBOX' });
  });

  it('a home under /proc is refused at once instead of hanging in mkdir', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { startSandbox } = await import(${JSON.stringify(path.join(root, 'src/sandbox/index.ts'))});
         try { await startSandbox({ home: '/proc/mysqlops-test-home' }); console.log('started?'); }
         catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
      ],
      { cwd: root, encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.signal).toBeNull();
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(out.code).toBe('E_SANDBOX');
    expect(out.message).toContain('/proc/mysqlops-test-home');
  });

  const asNobody = process.getuid?.() === 0 && fs.existsSync('/usr/bin/setpriv');

  it.skipIf(!asNobody)(
    'as a user without access: lock file, root password and a port below 1024 are E_SANDBOX naming the path and the fix',
    () => {
      // Owned by root, readable by all, writable by none but root.
      const locked = fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-eacces-'));
      fs.chmodSync(locked, 0o755);
      const lp = resolvePaths({ home: locked, name: 'locked' });
      fs.mkdirSync(lp.dir, { recursive: true, mode: 0o755 });
      fs.writeFileSync(
        lp.stateFile,
        JSON.stringify({ name: 'locked', port: 4000, socket: '/tmp/nope.sock', binary: '/bin/false' }),
        { mode: 0o644 },
      );
      fs.writeFileSync(lp.passwordFile, 'secret\n', { mode: 0o600 });
      // Writable by all, for the port test.
      const open = fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-lowport-'));
      fs.chmodSync(open, 0o777);
      const script = path.join(open, 'probe.mts');
      fs.writeFileSync(
        script,
        `const sb = await import(${JSON.stringify(path.join(root, 'src/sandbox/index.ts'))});
         const out = {};
         const grab = async (k, f) => { try { await f(); out[k] = 'no error'; } catch (e) { out[k] = { code: e.code, message: e.message, hint: e.hint }; } };
         await grab('lock', () => sb.startSandbox({ home: ${JSON.stringify(locked)}, name: 'locked', timeoutMs: 2000 }));
         await grab('password', () => sb.sandboxConnection({ home: ${JSON.stringify(locked)}, name: 'locked' }));
         await grab('port', () => sb.startSandbox({ home: ${JSON.stringify(open)}, name: 'low', port: 80, timeoutMs: 5000 }));
         console.log(JSON.stringify(out));`,
        { mode: 0o644 },
      );
      try {
        const r = spawnSync(
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', script],
          { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: open } },
        );
        const out = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
        expect(out.lock).toMatchObject({ code: 'E_SANDBOX' });
        expect(out.lock.message).toContain(lp.lockFile);
        expect(out.lock.message).toContain('permission denied');
        expect(out.password).toMatchObject({ code: 'E_SANDBOX' });
        expect(out.password.message).toContain(lp.passwordFile);
        expect(out.password.hint).toBeTruthy();
        expect(out.port.code).toMatch(/^E_SANDBOX/);
        expect(out.port.message).toContain('port 80');
        expect(out.port.message).toContain('needs root');
      } finally {
        fs.rmSync(locked, { recursive: true, force: true });
        fs.rmSync(open, { recursive: true, force: true });
      }
    },
  );
});
