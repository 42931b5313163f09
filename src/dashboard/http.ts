/**
 * Response helpers: every response carries the security headers; API answers are JSON and never
 * cached; errors leave as `{ error: { code, message, hint } }` with our errors' own (already
 * redacted) words and a generic message for anything else.
 */
import type { ServerResponse } from 'node:http';
import { MysqlopsError } from '../errors.js';

// No inline script or style anywhere: the page, its JS and Chart.js all come from this origin.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // Not no-referrer: with it Chromium sends `Origin: null` on the login form, which the CSRF check refuses.
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface SendOptions {
  status?: number;
  contentType: string;
  /** Default `no-store`: live data and pages that depend on who asks. */
  cacheControl?: string;
  headers?: Record<string, string>;
}

export function send(res: ServerResponse, body: string | Buffer, options: SendOptions, head = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(options.status ?? 200, {
    ...SECURITY_HEADERS,
    'Content-Type': options.contentType,
    'Content-Length': String(buf.length),
    'Cache-Control': options.cacheControl ?? 'no-store',
    ...options.headers,
  });
  res.end(head ? undefined : buf);
}

export function sendJson(
  res: ServerResponse,
  value: unknown,
  status = 200,
  headers?: Record<string, string>,
  head = false,
): void {
  send(res, JSON.stringify(value), { status, contentType: 'application/json; charset=utf-8', headers }, head);
}

export interface PublicError {
  code: string;
  message: string;
  hint?: string;
}

/** What a browser may be told about a failure. */
export function publicError(err: unknown): PublicError {
  if (err instanceof MysqlopsError) {
    return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  return { code: 'E_INTERNAL', message: 'internal error while reading this panel' };
}
