import * as path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeConfig, Secret } from '../../src/config/index.js';
import { configError, load, PEM_CERT, PEM_KEY, tempDir, write } from './helpers.js';

const PASSWORD = 'hunter2-Very-Secret';

describe('secrets from files', () => {
  it('reads DB_PASSWORD_FILE and strips exactly one trailing newline', () => {
    const cwd = tempDir();
    write(cwd, 'pw', `${PASSWORD}\n\n`);
    write(cwd, 'pw-crlf', `${PASSWORD}\r\n`);
    write(cwd, 'pw-bare', PASSWORD);
    expect(load(cwd, { DB_PASSWORD_FILE: 'pw' }).connection.password?.reveal()).toBe(`${PASSWORD}\n`);
    expect(load(cwd, { DB_PASSWORD_FILE: 'pw-crlf' }).connection.password?.reveal()).toBe(PASSWORD);
    expect(load(cwd, { DB_PASSWORD_FILE: path.join(cwd, 'pw-bare') }).connection.password?.reveal()).toBe(
      PASSWORD,
    );
  });

  it('keeps DB_PASSWORD as a Secret', () => {
    const password = load(tempDir(), { DB_PASSWORD: PASSWORD }).connection.password;
    expect(password).toBeInstanceOf(Secret);
    expect(password?.reveal()).toBe(PASSWORD);
  });

  it('reads the PEM files named by DB_SSL_CA, DB_SSL_CERT and DB_SSL_KEY', () => {
    const cwd = tempDir();
    write(cwd, 'ca.pem', PEM_CERT);
    write(cwd, 'cert.pem', PEM_CERT);
    write(cwd, 'key.pem', PEM_KEY);
    const { ssl } = load(cwd, {
      DB_SSL_MODE: 'verify-identity',
      DB_SSL_CA: 'ca.pem',
      DB_SSL_CERT: 'cert.pem',
      DB_SSL_KEY: 'key.pem',
    }).connection;
    expect(ssl.mode).toBe('verify-identity');
    expect(ssl.ca).toBe(PEM_CERT);
    expect(ssl.cert).toBe(PEM_CERT);
    expect(ssl.key).toBeInstanceOf(Secret);
    expect(ssl.key?.reveal()).toBe(PEM_KEY);
  });

  it('reads passwordFile and ssl files from the config file', () => {
    const cwd = tempDir();
    write(cwd, 'pw', PASSWORD);
    write(cwd, 'ca.pem', PEM_CERT);
    write(
      cwd,
      'mysqlops.config.yaml',
      'connection:\n  passwordFile: pw\n  ssl: { mode: verify-ca, caFile: ca.pem }\n',
    );
    const { connection } = load(cwd);
    expect(connection.password?.reveal()).toBe(PASSWORD);
    expect(connection.ssl).toEqual({ mode: 'verify-ca', ca: PEM_CERT });
  });
});

describe('secrets never leak', () => {
  function loaded() {
    const cwd = tempDir();
    write(cwd, 'key.pem', PEM_KEY);
    write(cwd, 'cert.pem', PEM_CERT);
    return load(cwd, { DB_PASSWORD: PASSWORD, DB_SSL_KEY: 'key.pem', DB_SSL_CERT: 'cert.pem' });
  }

  it('prints [redacted] in JSON and util.inspect', () => {
    const config = loaded();
    const json = JSON.stringify(config);
    const shown = inspect(config, { depth: 10 });
    for (const out of [json, shown]) {
      expect(out).not.toContain(PASSWORD);
      expect(out).not.toContain('supersecretkeymaterial');
      expect(out).toContain('[redacted]');
    }
    expect(JSON.parse(json).connection.password).toBe('[redacted]');
  });

  it('describes secrets as redacted and certificates as set', () => {
    const view = describeConfig(loaded());
    expect(view).toMatchObject({
      env: 'development',
      usesSandbox: true,
      configFile: null,
      connection: {
        password: '[redacted]',
        ssl: { mode: 'disabled', ca: 'not set', cert: 'set', key: '[redacted]' },
      },
    });
    expect(view.target).toMatch(/^local sandbox "default" in /);
    expect(JSON.stringify(view)).not.toContain(PASSWORD);
    expect(inspect(view, { depth: 10 })).not.toContain('supersecretkeymaterial');
    expect(describeConfig(load(tempDir())).connection).toMatchObject({ password: 'not set' });
  });

  it('names a non-sandbox target by host and port', () => {
    const view = describeConfig(load(tempDir(), { DB_HOST: 'db1', DB_PORT: '3307' }));
    expect(view.target).toBe('db1:3307');
  });

  it('keeps secrets out of ConfigError messages, including a secret that fails validation', () => {
    const cwd = tempDir();
    write(cwd, 'pw', PASSWORD);
    write(cwd, 'mysqlops.config.yaml', `connection:\n  password: 123456789\n  passwordFile: pw\n`);
    write(cwd, 'broken.yaml', `connection:\n  password: "${PASSWORD}\n  port: [\n`);
    const errors = [
      configError(() => load(cwd, { DB_PASSWORD: PASSWORD, DB_PASSWORD_FILE: 'pw', DB_PORT: 'x' })),
      configError(() => load(cwd)),
      configError(() => load(cwd, {}, { configFile: 'broken.yaml' })),
    ];
    for (const err of errors) {
      expect(err.message).not.toContain(PASSWORD);
      expect(err.message).not.toContain('123456789');
      expect(JSON.stringify(err.issues)).not.toContain(PASSWORD);
    }
    expect(errors[1]?.message).toContain('connection.password: expected a string, got a number (quote it)');
  });
});

describe('unreadable secret files', () => {
  it('reports a directory given as a password file', () => {
    const cwd = tempDir();
    const err = configError(() => load(cwd, { DB_PASSWORD_FILE: cwd }));
    expect(err.issues).toEqual([{ path: 'DB_PASSWORD_FILE', message: `cannot read ${cwd}: is a directory` }]);
  });

  it('accepts a literal password and a key file in the config file', () => {
    const cwd = tempDir();
    write(cwd, 'key.pem', PEM_KEY);
    write(cwd, 'cert.pem', PEM_CERT);
    write(
      cwd,
      'mysqlops.config.yaml',
      `connection:\n  password: "${PASSWORD}"\n  ssl: { certFile: cert.pem, keyFile: key.pem }\n`,
    );
    const { connection } = load(cwd);
    expect(connection.password?.reveal()).toBe(PASSWORD);
    expect(connection.ssl.key?.reveal()).toBe(PEM_KEY);
    expect(connection.ssl.mode).toBe('disabled');
  });
});
