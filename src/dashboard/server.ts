/**
 * `startDashboard()`: the HTTP server behind `mysqlops serve`. One page (GET /), its files
 * (/static/*), JSON for each panel (/api/*), Prometheus metrics (/metrics, when given) and a
 * liveness probe (/healthz). node:http and a route table: twenty lines of routing need no framework.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MysqlopsConfig } from '../config/index.js';
import type { DatabaseManager } from '../db/index.js';
import { MysqlopsError } from '../errors.js';
import {
  assertSafeBinding,
  type DashboardAuth,
  Gate,
  hostOfHeader,
  isLoopbackHost,
  SESSION_COOKIE,
} from './auth.js';
import { publicError, send, sendJson } from './http.js';
import { StatusSampler } from './sampler.js';
import { resolveSources } from './sources.js';
import { type Assets, loadAssets } from './static-files.js';
import type { DashboardSources } from './types.js';

/**
 * Options of `startDashboard`. The defaults serve on 127.0.0.1:8080 without auth, which is safe only because
 * nothing else can reach it.
 */
export interface DashboardOptions {
  db: DatabaseManager;
  config: MysqlopsConfig;
  /** Interface to listen on. Default `127.0.0.1`; anything but the loopback needs `auth`. */
  host?: string;
  /** Default 8080; 0 picks a free port (read it from the returned `url`). */
  port?: number;
  /**
   * A bearer token (also accepted through the page's login form, which sets a session cookie) or
   * HTTP basic credentials. WARNING: the dashboard speaks plain HTTP; beyond the loopback, put it
   * behind a TLS-terminating proxy or the credentials cross the network readable.
   */
  auth?: DashboardAuth;
  /** Serves GET /metrics (behind the same auth) when given. */
  metrics?: { contentType: string; render(): Promise<string> };
  /** Replace any data source (e.g. the full health checks of src/monitor). */
  sources?: Partial<DashboardSources>;
  /** Time between the server-status samples behind the live charts. Default 5000 ms. */
  sampleIntervalMs?: number;
  /** How often the page polls for new data. Default 5000 ms. */
  refreshMs?: number;
  /**
   * Told about every failure the page sees as an error (a panel's source, a sample, /metrics),
   * for the caller's log; the dashboard itself never prints.
   */
  onError?: (err: unknown, where: string) => void;
}

/** A running dashboard, as `startDashboard` returns it. */
export interface Dashboard {
  /** Where the page is, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  /** Stop sampling, stop listening and drop open connections. */
  close(): Promise<void>;
}

const BODY_LIMIT = 4096;
const TOP_QUERIES = 10;

/**
 * Serve the dashboard until `close()`.
 *
 * @throws MysqlopsError `E_DASHBOARD_INSECURE` for a non-loopback host without auth (or empty
 *   credentials), `E_DASHBOARD` when the port is taken or the page files are missing.
 * @example
 * ```ts
 * const dash = await startDashboard({ db, config, port: 0, auth: { token: new Secret(token) } });
 * console.log(`dashboard at ${dash.url}`); // port 0: any free port
 * await dash.close();
 * ```
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new MysqlopsError({ code: 'E_DASHBOARD', message: `invalid dashboard port ${port}`, exitCode: 2 });
  }
  // Floors, not style: an interval of 0 would turn the sampler or every open page into a busy loop.
  checkInterval('sampleIntervalMs', options.sampleIntervalMs, 100);
  checkInterval('refreshMs', options.refreshMs, 250);
  const gate = new Gate(options.auth);
  assertSafeBinding(host, gate);
  const assets = await loadAssets();
  const report = (err: unknown, where: string) => options.onError?.(err, where);
  const sampler = new StatusSampler(options.db, {
    intervalMs: options.sampleIntervalMs,
    onError: (err) => report(err, 'sampler'),
  });
  const app = new App({
    options,
    gate,
    assets,
    sampler,
    sources: resolveSources(options.db, options.config, options.sources),
    report,
  });
  const server = createServer((req, res) => {
    app.handle(req, res).catch((err: unknown) => {
      report(err, 'request');
      if (!res.headersSent) sendJson(res, { error: publicError(err) }, 500);
      else res.destroy();
    });
  });
  await listen(server, host, port);
  sampler.start();
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}/`,
    close: () => {
      closing ??= (async () => {
        await sampler.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Browsers keep connections open; without this close() would wait for them to time out.
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

function checkInterval(name: string, value: number | undefined, min: number): void {
  if (value === undefined || (Number.isInteger(value) && value >= min && value <= 3_600_000)) return;
  throw new MysqlopsError({
    code: 'E_DASHBOARD',
    message: `invalid ${name} ${value}: expected ${min} to 3600000 ms`,
    exitCode: 2,
  });
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        new MysqlopsError({
          code: 'E_DASHBOARD',
          message:
            err.code === 'EADDRINUSE'
              ? `cannot serve the dashboard on ${host}:${port}: the port is in use`
              : `cannot serve the dashboard on ${host}:${port}: ${err.code ?? err.message}`,
          hint: err.code === 'EADDRINUSE' ? 'choose another port, or stop what listens there' : undefined,
          cause: err,
        }),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
}

interface AppParts {
  options: DashboardOptions;
  gate: Gate;
  assets: Assets;
  sampler: StatusSampler;
  sources: DashboardSources;
  report: (err: unknown, where: string) => void;
}

type ApiHandler = (url: URL) => Promise<unknown>;

class App {
  readonly #p: AppParts;
  readonly #api: Map<string, ApiHandler>;

  constructor(parts: AppParts) {
    this.#p = parts;
    const { sources, sampler } = parts;
    // A Map, not an object literal: `/api/constructor` must not find Object.prototype's.
    this.#api = new Map<string, ApiHandler>([
      ['overview', () => this.#overview()],
      ['health', () => sources.health()],
      ['series', async () => sampler.snapshot()],
      ['queries', (url) => sources.topQueries(limitParam(url.searchParams.get('limit'), TOP_QUERIES))],
      ['replication', () => sources.replication()],
      ['backups', () => sources.backups()],
      ['etl', () => sources.etl()],
      ['kpis', () => sources.kpis()],
    ]);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const { gate } = this.#p;

    // Without credentials the loopback is the only barrier; a page on another site whose name was
    // re-pointed at 127.0.0.1 (DNS rebinding) would still send its own Host header.
    if (gate.kind === 'none' && !isLoopbackHost(hostOfHeader(req.headers.host))) {
      sendJson(res, { error: { code: 'E_DASHBOARD_HOST', message: 'unexpected Host header' } }, 403);
      return;
    }
    if (path === '/healthz') {
      if (!getOrHead(req, res)) return;
      sendJson(res, { status: 'ok' }, 200, undefined, head);
      return;
    }
    if (path.startsWith('/static/')) {
      if (!getOrHead(req, res)) return;
      const asset = this.#p.assets.statics.get(path.slice('/static/'.length));
      if (!asset) return notFound(res, head);
      send(res, asset.body, { contentType: asset.contentType, cacheControl: 'no-cache' }, head);
      return;
    }
    if (path === '/login' && gate.kind === 'token') return this.#login(req, res, method);
    if (path === '/logout' && gate.kind === 'token') {
      if (method !== 'POST') return methodNotAllowed(res, 'POST');
      if (!sameOrigin(req)) return forbidden(res);
      gate.logout(req);
      send(res, '', {
        status: 303,
        contentType: 'text/plain',
        headers: { Location: '/login', 'Set-Cookie': sessionCookie('', 0) },
      });
      return;
    }

    if (!gate.allows(req)) return this.#unauthorized(req, res, path, head);

    if (path === '/' || path === '/index.html') {
      if (!getOrHead(req, res)) return;
      const { index } = this.#p.assets;
      send(res, index.body, { contentType: index.contentType }, head);
      return;
    }
    if (path === '/metrics' && this.#p.options.metrics) {
      if (!getOrHead(req, res)) return;
      const metrics = this.#p.options.metrics;
      try {
        send(res, await metrics.render(), { contentType: metrics.contentType }, head);
      } catch (err) {
        this.#p.report(err, 'metrics');
        send(res, '# metrics unavailable\n', { status: 503, contentType: 'text/plain; charset=utf-8' }, head);
      }
      return;
    }
    const api = /^\/api\/([a-z]+)$/.exec(path)?.[1];
    const handler = api === undefined ? undefined : this.#api.get(api);
    if (handler) {
      if (!getOrHead(req, res)) return;
      try {
        sendJson(res, await handler(url), 200, undefined, head);
      } catch (err) {
        this.#p.report(err, `api/${api}`);
        sendJson(res, { error: publicError(err) }, 503, undefined, head);
      }
      return;
    }
    notFound(res, head);
  }

  async #overview(): Promise<unknown> {
    const { db } = this.#p.options;
    const info = await db.serverInfo();
    return {
      server: {
        label: info.label,
        version: info.version,
        uptimeSeconds: info.uptimeSeconds,
        target: info.target,
      },
      refreshMs: this.#p.options.refreshMs ?? 5000,
      auth: this.#p.gate.kind,
      now: new Date().toISOString(),
    };
  }

  async #login(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const { assets, gate } = this.#p;
    if (method === 'GET' || method === 'HEAD') {
      send(res, assets.login.body, { contentType: assets.login.contentType }, method === 'HEAD');
      return;
    }
    if (method !== 'POST') return methodNotAllowed(res, 'GET, HEAD, POST');
    if (!sameOrigin(req)) return forbidden(res);
    const body = await readBody(req);
    if (body === null) {
      sendJson(res, { error: { code: 'E_DASHBOARD_BODY', message: 'request body too large' } }, 413);
      return;
    }
    const session = gate.login(new URLSearchParams(body).get('token') ?? '');
    if (!session) {
      send(res, loginPage(assets, 'That token is not valid.'), {
        status: 401,
        contentType: assets.login.contentType,
      });
      return;
    }
    send(res, '', {
      status: 303,
      contentType: 'text/plain',
      headers: { Location: '/', 'Set-Cookie': sessionCookie(session, 12 * 60 * 60) },
    });
  }

  #unauthorized(req: IncomingMessage, res: ServerResponse, path: string, head: boolean): void {
    const { gate } = this.#p;
    const headers: Record<string, string> =
      gate.kind === 'basic'
        ? { 'WWW-Authenticate': 'Basic realm="mysqlops", charset="UTF-8"' }
        : { 'WWW-Authenticate': 'Bearer realm="mysqlops"' };
    // A browser opening the page is sent to the form (a redirect, not a 401 page, keeps its console clean).
    if (gate.kind === 'token' && (path === '/' || path === '/index.html') && req.method !== 'POST') {
      send(res, '', { status: 303, contentType: 'text/plain', headers: { Location: '/login' } }, head);
      return;
    }
    sendJson(
      res,
      { error: { code: 'E_DASHBOARD_AUTH', message: 'authentication required' } },
      401,
      headers,
      head,
    );
  }
}

function getOrHead(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  methodNotAllowed(res, 'GET, HEAD');
  return false;
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, { error: { code: 'E_METHOD', message: 'method not allowed' } }, 405, { Allow: allow });
}

function notFound(res: ServerResponse, head: boolean): void {
  sendJson(res, { error: { code: 'E_NOT_FOUND', message: 'no such page' } }, 404, undefined, head);
}

function forbidden(res: ServerResponse): void {
  sendJson(res, { error: { code: 'E_DASHBOARD_ORIGIN', message: 'cross-origin request refused' } }, 403);
}

/** A form posted from another site carries its Origin; browsers always send one with POST. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function sessionCookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

function loginPage(assets: Assets, message: string): string {
  return assets.login.body.toString('utf8').replace('<!--message-->', `<p class="error">${message}</p>`);
}

function limitParam(raw: string | null, fallback: number): number {
  const n = raw === null ? fallback : Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : fallback;
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
