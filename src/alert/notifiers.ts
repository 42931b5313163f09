/**
 * The channels: a Slack incoming webhook and e-mail over SMTP. Each sends one notification per call
 * and reports a failure as a DeliveryError that says whether another attempt may help. Neither ever
 * puts its URL (a secret: the webhook path is the credential; the SMTP URL may hold a password) in
 * an error message.
 */
import type { Secret } from '../secret.js';
import { emailContent, slackPayload } from './message.js';
import { DeliveryError } from './retry.js';
import type { AlertNotification } from './types.js';

/** A place notifications go. */
export interface Notifier {
  /** `slack`, `email`: how results name it. */
  readonly channel: string;
  /** Deliver one notification; throw DeliveryError on failure. Must give up when `signal` aborts. */
  send(notification: AlertNotification, signal: AbortSignal): Promise<void>;
  /** Release what the channel holds (connections). */
  close?(): Promise<void>;
}

/** Posts Block Kit messages to a Slack incoming webhook. */
export class SlackNotifier implements Notifier {
  readonly channel = 'slack';
  readonly #url: Secret;

  constructor(webhook: Secret) {
    this.#url = webhook;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.#url.reveal(), {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(slackPayload(notification)),
        signal,
      });
    } catch (err) {
      throw networkError(err, this.#url);
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    // Slack explains refusals in a short body (`invalid_payload`, `no_service`); keep it short.
    const said = (await response.text().catch(() => '')).trim().slice(0, 100);
    const status = response.status;
    throw new DeliveryError(`HTTP ${status}${said ? ` ${said}` : ''}`, {
      // 4xx other than 429 will not change by asking again (bad payload, revoked webhook).
      retryable: status >= 500 || status === 429 || status === 408,
      retryAfterMs: status === 429 ? retryAfter(response.headers.get('retry-after')) : undefined,
    });
  }
}

/**
 * Where an EmailNotifier sends: the SMTP server (a Secret, as the URL may carry a password), the sender and
 * the recipients.
 */
export interface EmailNotifierOptions {
  /** `smtp://user:password@host:port` or `smtps://...`. */
  smtpUrl: Secret;
  from: string;
  to: readonly string[];
}

/** Sends plain text + HTML e-mail through an SMTP server. */
export class EmailNotifier implements Notifier {
  readonly channel = 'email';
  readonly #options: EmailNotifierOptions;

  constructor(options: EmailNotifierOptions) {
    this.#options = options;
  }

  async send(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    // Loaded on first use: importing mysqlops (an application's connection manager) must not pay
    // nodemailer's memory. One connection per message: alerts are rare, and a pooled connection
    // would outlive the run.
    const { default: nodemailer } = await import('nodemailer');
    const transport = nodemailer.createTransport({ url: this.#options.smtpUrl.reveal() });
    const content = emailContent(notification);
    let stop = () => {};
    const aborted = new Promise<never>((_, reject) => {
      stop = () => reject(new DeliveryError('timed out', { retryable: true }));
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    try {
      await Promise.race([
        transport.sendMail({ from: this.#options.from, to: [...this.#options.to], ...content }),
        aborted,
      ]);
    } catch (err) {
      throw err instanceof DeliveryError ? err : smtpError(err);
    } finally {
      signal.removeEventListener('abort', stop);
      transport.close();
    }
  }
}

/** Retry-After in seconds (or an HTTP date), capped so one answer cannot stall the run. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : undefined;
}

/**
 * fetch() failures: the cause's code (ECONNREFUSED, ENOTFOUND) or, without one, its words (`bad
 * port`) with any piece of the URL removed, since its path is the credential.
 */
function networkError(err: unknown, url: Secret): DeliveryError {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return new DeliveryError('timed out', { retryable: true });
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const words = typeof cause?.message === 'string' ? scrub(cause.message, url).slice(0, 100) : undefined;
  const detail = code ?? words;
  return new DeliveryError(`connection failed${detail ? ` (${detail})` : ''}`, { retryable: true });
}

function scrub(text: string, url: Secret): string {
  const raw = url.reveal();
  let out = text.split(raw).join('…');
  try {
    const { pathname, search } = new URL(raw);
    if (pathname.length > 1) out = out.split(pathname).join('…');
    if (search) out = out.split(search).join('…');
  } catch {
    // Not a URL: the config schema prevents it; nothing more to remove.
  }
  return out;
}

/**
 * SMTP reply codes run the other way round from HTTP: 4xx is "try again later", 5xx is final
 * (unknown recipient, authentication refused). Connection trouble has no reply code: retry.
 */
function smtpError(err: unknown): DeliveryError {
  const e = err as { responseCode?: unknown; code?: unknown; message?: unknown };
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message.slice(0, 200) : String(err);
  const retryable = reply === undefined ? code !== 'EAUTH' && code !== 'EENVELOPE' : reply < 500;
  return new DeliveryError(`${code ? `${code}: ` : ''}${message}`, { retryable });
}
