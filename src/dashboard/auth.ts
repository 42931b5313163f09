/**
 * Who may see the dashboard: nobody but local users when there is no auth (loopback only, and the
 * Host header must name the loopback so a DNS-rebinding page cannot read the API), else a bearer
 * token (header, or a login form that sets a session cookie) or HTTP basic auth. Secrets are
 * compared as SHA-256 digests with timingSafeEqual, so neither their content nor their length leaks
 * through response times; the session cookie holds a random id, never the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { MysqlopsError } from '../errors.js';
import type { Secret } from '../secret.js';
import { isLoopbackHost } from './loopback.js';

export { isLoopbackHost };

/**
 * How dashboard requests authenticate: a bearer token or HTTP basic credentials. Required when it listens
 * beyond the loopback.
 */
export type DashboardAuth = { token?: Secret } | { basic?: { user: string; password: Secret } };

export const SESSION_COOKIE = 'mysqlops_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

type Mode =
  | { kind: 'none' }
  | { kind: 'token'; digest: Buffer }
  | { kind: 'basic'; user: Buffer; password: Buffer };

export class Gate {
  readonly #mode: Mode;
  readonly #sessions = new Map<string, number>();

  constructor(auth: DashboardAuth | undefined) {
    this.#mode = modeOf(auth);
  }

  get kind(): Mode['kind'] {
    return this.#mode.kind;
  }

  /** True when the request carries valid credentials (or none are required). */
  allows(req: IncomingMessage): boolean {
    const mode = this.#mode;
    if (mode.kind === 'none') return true;
    const header = req.headers.authorization ?? '';
    if (mode.kind === 'basic') {
      const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
      if (!m?.[1]) return false;
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return false;
      // Both halves are always compared, so a right user name takes no longer to refuse than a wrong one.
      const userOk = same(digest(decoded.slice(0, colon)), mode.user);
      const passwordOk = same(digest(decoded.slice(colon + 1)), mode.password);
      return userOk && passwordOk;
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (bearer !== undefined) return same(digest(bearer), mode.digest);
    return this.#validSession(cookie(req, SESSION_COOKIE));
  }

  /** Check a token typed into the login form; on success, a new session id for the cookie. */
  login(token: string): string | null {
    const mode = this.#mode;
    if (mode.kind !== 'token' || !same(digest(token), mode.digest)) return null;
    this.#prune();
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, Date.now() + SESSION_TTL_MS);
    return id;
  }

  logout(req: IncomingMessage): void {
    const id = cookie(req, SESSION_COOKIE);
    if (id) this.#sessions.delete(id);
  }

  #validSession(id: string | undefined): boolean {
    if (!id) return false;
    const expires = this.#sessions.get(id);
    if (expires === undefined) return false;
    if (expires < Date.now()) {
      this.#sessions.delete(id);
      return false;
    }
    return true;
  }

  #prune(): void {
    const now = Date.now();
    for (const [id, expires] of this.#sessions) if (expires < now) this.#sessions.delete(id);
  }
}

function modeOf(auth: DashboardAuth | undefined): Mode {
  if (auth && 'token' in auth && auth.token !== undefined) {
    const token = auth.token.reveal();
    if (token.trim() === '' || /\s/.test(token)) {
      throw insecure('the dashboard token is empty or contains white space');
    }
    return { kind: 'token', digest: digest(token) };
  }
  if (auth && 'basic' in auth && auth.basic !== undefined) {
    const { user, password } = auth.basic;
    if (user === '' || user.includes(':') || password.reveal() === '') {
      throw insecure('basic auth needs a user name without ":" and a non-empty password');
    }
    return { kind: 'basic', user: digest(user), password: digest(password.reveal()) };
  }
  return { kind: 'none' };
}

function insecure(message: string): MysqlopsError {
  return new MysqlopsError({ code: 'E_DASHBOARD_INSECURE', message, exitCode: 2 });
}

/** The host part of a Host header (`name:port`, `[v6]:port`). */
export function hostOfHeader(header: string | undefined): string {
  if (!header) return '';
  const v6 = /^\[([^\]]+)\]/.exec(header);
  if (v6?.[1]) return v6[1];
  return header.replace(/:\d+$/, '');
}

/** Refuse to expose the dashboard beyond this machine without credentials. */
export function assertSafeBinding(host: string, gate: Gate): void {
  if (gate.kind === 'none' && !isLoopbackHost(host)) {
    throw new MysqlopsError({
      code: 'E_DASHBOARD_INSECURE',
      message: `refusing to serve the dashboard on ${host} without authentication`,
      hint: 'set a token or basic auth, or bind to 127.0.0.1 (the default)',
      exitCode: 2,
    });
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function same(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
