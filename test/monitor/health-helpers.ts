/**
 * Helpers of the health and analysis tests: a loaded configuration pointing at the run's sandbox
 * (with a private backup directory), raw connections that hold server sessions, and polling.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { inject } from 'vitest';
import { loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { sandboxEndpoint } from '../support/db.js';

/** The test-environment config for `database` on the run's sandbox; `done()` removes its temp dir. */
export function monitorConfig(database: string): { config: MysqlopsConfig; done: () => void } {
  const { home, name } = inject('sandbox');
  const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-monitor-'));
  const config = loadConfig({
    env: 'test',
    cwd: dir,
    environ: {
      MYSQLOPS_HOME: home,
      MYSQLOPS_SANDBOX: name,
      DB_NAME: database,
      BACKUP_DIR: path.join(dir, 'backups'),
    },
  });
  return { config, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `n` plain client sessions on the sandbox (not pooled), over its socket or TCP. */
export async function openSessions(n: number, via: 'socket' | 'tcp' = 'socket'): Promise<mysql.Connection[]> {
  const sb = sandboxEndpoint();
  const where = via === 'socket' ? { socketPath: sb.socket } : { host: sb.host, port: sb.port };
  const out: mysql.Connection[] = [];
  try {
    for (let i = 0; i < n; i++) {
      out.push(
        await mysql.createConnection({
          ...where,
          user: sb.user,
          password: sb.password.reveal(),
        }),
      );
    }
  } catch (err) {
    await closeSessions(out);
    throw err;
  }
  return out;
}

export async function closeSessions(sessions: readonly mysql.Connection[]): Promise<void> {
  await Promise.all(sessions.map((s) => s.end().catch(() => s.destroy())));
}

/** Call `probe` until `done(result)` holds or `deadlineMs` passes; returns the last result. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (r: T) => boolean,
  deadlineMs = 20_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const r = await probe();
    if (done(r) || Date.now() > until) return r;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
