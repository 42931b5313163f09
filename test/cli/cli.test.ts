/**
 * The CLI as a user meets it: a real process, real exit codes, real output streams.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { type CliRun, runCli, sandboxEnv } from '../support/cli.js';
import { sandboxEndpoint } from '../support/db.js';
import { freePort } from '../support/net.js';

const cli = runCli;
type Run = CliRun;

function expectOneCleanErrorLine(r: Run) {
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('mysqlops CLI', () => {
  it('--help lists the commands and the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'status', 'sandbox']) expect(r.stdout).toContain(cmd);
    expect(r.stdout).toContain('Exit codes');
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await cli(['status', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('an unknown environment name is a config error in one line (exit 2)', async () => {
    const r = await cli(['status', '--env', 'prod']);
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('unknown environment "prod"');
  });

  it('a malformed port names the variable (exit 2)', async () => {
    const r = await cli(['status'], { DB_HOST: '127.0.0.1', DB_PORT: 'abc' });
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('DB_PORT');
  });

  it('a missing password file names the file (exit 2)', async () => {
    const r = await cli(['status'], { DB_HOST: '127.0.0.1', DB_PASSWORD_FILE: '/nonexistent/db.password' });
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('/nonexistent/db.password');
  });

  it('several config problems are reported together', async () => {
    const r = await cli(['status'], { DB_HOST: '127.0.0.1', DB_PORT: '99999', DB_POOL_SIZE: 'many' });
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('DB_PORT');
    expect(r.stderr).toContain('DB_POOL_SIZE');
  });

  it('an unreachable host is an operational failure (exit 1) naming the target', async () => {
    const port = await freePort();
    const r = await cli(['status'], {
      DB_HOST: '127.0.0.1',
      DB_PORT: String(port),
      DB_PASSWORD: 'unused-pw-42',
    });
    expect(r.code).toBe(1);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain(`cannot connect to 127.0.0.1:${port}`);
    expect(r.stderr + r.stdout).not.toContain('unused-pw-42');
  });

  it('a wrong password is reported without echoing it (exit 2)', async () => {
    const sb = sandboxEndpoint();
    const r = await cli(['status', '--json'], {
      DB_HOST: sb.host,
      DB_PORT: String(sb.port),
      DB_USER: 'root',
      DB_PASSWORD: 'not-the-password-77',
    });
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('access denied');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'E_AUTH' } });
    expect(r.stderr + r.stdout).not.toContain('not-the-password-77');
  });

  it('status --json prints one JSON document about the sandbox server', async () => {
    const r = await cli(['status', '--json'], sandboxEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: true,
      flavor: 'mariadb',
      env: 'development',
      database: { name: 'app_db' },
    });
    expect(doc.version).toMatch(/MariaDB/);
    expect(doc.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('status over TCP with a password from a file never prints the password', async () => {
    const sb = sandboxEndpoint();
    const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-cli-'));
    const file = path.join(dir, 'pw');
    writeFileSync(file, `${sb.password.reveal()}\n`, { mode: 0o600 });
    const r = await cli(['status'], {
      DB_HOST: sb.host,
      DB_PORT: String(sb.port),
      DB_USER: 'root',
      DB_PASSWORD_FILE: file,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${sb.host}:${sb.port}`);
    expect(r.stdout).toMatch(/MariaDB \d+\.\d+/);
    expect(r.stdout + r.stderr).not.toContain(sb.password.reveal());
  });

  it('sandbox status reports the running test sandbox', async () => {
    const r = await cli(['sandbox', 'status', '--json'], sandboxEnv());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'running', name: inject('sandbox').name });
  });

  it('sandbox destroy asks for --yes and deletes nothing without it', async () => {
    const r = await cli(['sandbox', 'destroy'], sandboxEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    const after = await cli(['sandbox', 'status', '--json'], sandboxEnv());
    expect(JSON.parse(after.stdout).state).toBe('running');
  });

  it('an unusable MYSQLOPS_HOME is a config error naming the directory, not a crash', async () => {
    const r = await cli(['sandbox', 'start'], { MYSQLOPS_HOME: '/etc/passwd' });
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('cannot create the sandbox directory /etc/passwd/sandbox/default');
  });

  it('a bad --port is a usage error', async () => {
    const r = await cli(['sandbox', 'start', '--port', '70000'], sandboxEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected an integer from 1 to 65535');
  });

  it('sandbox commands read only the sandbox settings: a bad DB_PORT or pool size does not break them', async () => {
    const r = await cli(['sandbox', 'status', '--json'], {
      ...sandboxEnv(),
      DB_HOST: '127.0.0.1',
      DB_PORT: 'abc',
      DB_POOL_SIZE: 'many',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'running', name: inject('sandbox').name });
  });

  it('sandbox commands take the sandbox section of the config file and ignore its other problems', async () => {
    const { home, name } = inject('sandbox');
    const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-cli-'));
    const file = path.join(dir, 'mysqlops.config.yaml');
    writeFileSync(
      file,
      `connection:\n  port: not-a-port\n  passwordFile: /nonexistent/pw\npool: { size: 0 }\nenvironments:\n  development:\n    sandbox: { home: ${JSON.stringify(home)}, name: ${name} }\n`,
    );
    const r = await cli(['sandbox', 'status', '--json', '--config', file]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'running', name });
    // The same file is still refused where the whole configuration is needed.
    const status = await cli(['status', '--config', file]);
    expect(status.code).toBe(2);
  });

  it('a bad sandbox name is still a config error naming where it came from (exit 2)', async () => {
    const r = await cli(['sandbox', 'status'], { MYSQLOPS_SANDBOX: 'no.dots' });
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('MYSQLOPS_SANDBOX');
  });

  it('with --json a usage error from the parser is a JSON error document too (exit 2)', async () => {
    for (const args of [
      ['--json', 'status', '--bogus'],
      ['status', '--bogus', '--json'],
      ['--json', 'sandbox', 'start', '--port'],
    ]) {
      const r = await cli(args, sandboxEnv());
      expect(r.code).toBe(2);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
      expect(doc.error.message).not.toMatch(/^error:/);
      expect(doc.error.hint).toContain('--help');
      expect(r.stderr).toMatch(/unknown option '--bogus'|argument missing/);
    }
    const port = await cli(['--json', 'sandbox', 'start', '--port', '70000'], sandboxEnv());
    expect(port.code).toBe(2);
    expect(JSON.parse(port.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
  });

  it('an unknown command with --json is a JSON error document, and --help stays plain', async () => {
    const r = await cli(['--json', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
    const help = await cli(['--json', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: mysqlops');
  });

  it('a MYSQLOPS_HOME under /proc is refused at once instead of hanging', async () => {
    const r = await cli(['sandbox', 'start'], { MYSQLOPS_HOME: '/proc/mysqlops-cli-test' }, 20_000);
    expect(r.code).toBe(2);
    expectOneCleanErrorLine(r);
    expect(r.stderr).toContain('/proc/mysqlops-cli-test/sandbox/default');
  });
});
