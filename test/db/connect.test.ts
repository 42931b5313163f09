import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import { ConnectError, MysqlopsError } from '../../src/errors.js';
import { Secret } from '../../src/secret.js';
import { sandboxConfig, sandboxEndpoint } from '../support/db.js';
import { freePort } from '../support/net.js';

describe('connecting', () => {
  it('connects over TCP with TLS required and reports the cipher', async () => {
    const sb = sandboxEndpoint();
    const db = new DatabaseManager({
      connection: {
        host: sb.host,
        port: sb.port,
        user: 'root',
        password: sb.password,
        ssl: { mode: 'required' },
      },
    });
    const info = await db.serverInfo();
    expect(info.tlsCipher).toMatch(/TLS|AES|CHACHA/);
    expect(info.target).toBe(`${sb.host}:${sb.port}`);
    await db.close();
  });

  it('verifies the server certificate against the CA in verify-ca mode, and refuses a wrong CA', async () => {
    const sb = sandboxEndpoint();
    const ca = readFileSync(sb.caFile as string, 'utf8');
    const good = new DatabaseManager({
      connection: {
        host: sb.host,
        port: sb.port,
        user: 'root',
        password: sb.password,
        ssl: { mode: 'verify-ca', ca },
      },
    });
    expect((await good.serverInfo()).tlsCipher).toBeTruthy();
    await good.close();
    // A certificate that did not sign the server's: the handshake must fail.
    const otherCa = readFileSync(new URL('../fixtures/other-ca.pem', import.meta.url), 'utf8');
    const bad = new DatabaseManager({
      connection: {
        host: sb.host,
        port: sb.port,
        user: 'root',
        password: sb.password,
        ssl: { mode: 'verify-ca', ca: otherCa },
      },
    });
    await expect(bad.initialize()).rejects.toBeInstanceOf(ConnectError);
    await bad.close();
  });

  it('reports a wrong password as E_AUTH without revealing it', async () => {
    const sb = sandboxEndpoint();
    const db = new DatabaseManager({
      connection: { host: sb.host, port: sb.port, user: 'root', password: new Secret('wrong-pass-123') },
    });
    const err = (await db.initialize().catch((e: unknown) => e)) as MysqlopsError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe('E_AUTH');
    expect(err.exitCode).toBe(2);
    expect(`${err.message} ${err.hint}`).not.toContain('wrong-pass-123');
    expect(err.message).toContain(`${sb.host}:${sb.port}`);
    await db.close();
  });

  it('reports an unreachable server as E_CONNECT (exit 1) naming the target', async () => {
    const port = await freePort();
    const db = new DatabaseManager({ connection: { host: '127.0.0.1', port, user: 'x', password: 'y' } });
    const err = (await db.query('SELECT 1').catch((e: unknown) => e)) as MysqlopsError;
    expect(err.code).toBe('E_CONNECT');
    expect(err.exitCode).toBe(1);
    expect(err.message).toBe(
      `cannot connect to 127.0.0.1:${port}: connection refused (is the server running on that port?)`,
    );
    await db.close();
  });

  it('says which database is missing', async () => {
    const db = new DatabaseManager(sandboxConfig({ connection: { database: 'no_such_db_here' } }));
    const err = (await db.initialize().catch((e: unknown) => e)) as MysqlopsError;
    expect(err.code).toBe('E_CONNECT');
    expect(err.message).toContain("Unknown database 'no_such_db_here'");
    await db.close();
  });

  it('refuses a config without a connection section at construction', () => {
    expect(() => new DatabaseManager({} as never)).toThrow(MysqlopsError);
  });

  it('a missing sandbox is reported with the command that starts one', async () => {
    const db = new DatabaseManager({
      connection: {},
      usesSandbox: true,
      sandbox: { home: '/nonexistent-mysqlops', name: 'nope' },
    });
    const err = (await db.initialize().catch((e: unknown) => e)) as MysqlopsError;
    expect(err.code).toBe('E_NO_SERVER');
    expect(err.hint).toContain('mysqlops sandbox start');
  });
});
