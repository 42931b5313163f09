/**
 * Does the server answer? `pingSocket` only waits for the greeting packet (no password needed, used by
 * status); `waitUntilReady` logs in as root over the socket, which also proves the init file set the
 * password, and gives up when the process dies or the deadline passes.
 */
import * as net from 'node:net';
import mysql from 'mysql2/promise';
import type { Secret } from '../secret.js';
import { sleep } from './fs-util.js';

/** True when something on the unix socket sends a greeting within `timeoutMs`. */
export function pingSocket(socket: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.connect({ path: socket });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    conn.once('data', () => done(true));
    conn.once('error', () => done(false));
    conn.once('close', () => done(false));
  });
}

/**
 * `answered`: the server itself replied with an error (it runs: e.g. too many connections, or
 * shutting down); otherwise nothing usable listens on the socket yet.
 */
export type LoginResult = { ok: true } | { ok: false; denied: boolean; answered: boolean; detail: string };

/** One root login over the socket. */
export async function tryLogin(socket: string, password: Secret): Promise<LoginResult> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({
      socketPath: socket,
      user: 'root',
      password: password.reveal(),
      connectTimeout: 5000,
    });
    return { ok: true };
  } catch (err) {
    const e = err as { code?: string; message?: string; sqlState?: unknown };
    return {
      ok: false,
      denied: e.code === 'ER_ACCESS_DENIED_ERROR',
      answered: typeof e.sqlState === 'string',
      detail: e.code ?? e.message ?? 'unknown error',
    };
  } finally {
    if (conn) await conn.end().catch(() => conn?.destroy());
  }
}

export type ReadyResult =
  | { ok: true }
  | { ok: false; reason: 'exited' | 'timeout' | 'denied'; detail: string };

/**
 * Poll until root can log in over the socket. `exited` is asked before each attempt and returns a
 * description when the server process is gone (then waiting longer is pointless).
 */
export async function waitUntilReady(o: {
  socket: string;
  password: Secret;
  timeoutMs: number;
  exited: () => string | undefined;
}): Promise<ReadyResult> {
  const deadline = Date.now() + o.timeoutMs;
  let last = 'no attempt yet';
  for (;;) {
    const gone = o.exited();
    if (gone !== undefined) return { ok: false, reason: 'exited', detail: gone };
    const r = await tryLogin(o.socket, o.password);
    if (r.ok) return r;
    // Access denied means the server is up and our password is not the root password.
    if (r.denied) return { ok: false, reason: 'denied', detail: r.detail };
    last = r.detail;
    if (Date.now() >= deadline) return { ok: false, reason: 'timeout', detail: last };
    await sleep(150);
  }
}
