/**
 * Stand-ins for the services outside this machine: a real HTTP server in place of Slack's webhook
 * endpoint, and a real SMTP server (smtp-server, the SMTP protocol end to end) in place of the mail
 * relay. Both record what they receive.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SlackRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: { text: string; blocks: Array<Record<string, unknown>> };
}

export interface FakeSlack {
  url: string;
  /** Every request, answered or not. */
  requests: SlackRequest[];
  /** The requests answered 200. */
  delivered: () => SlackRequest[];
  close: () => Promise<void>;
}

/**
 * An HTTP server answering POSTs with the statuses in `script`, in order, then 200 for ever
 * (`script: [500, 500]`: two failures, then success).
 */
export async function startFakeSlack(script: number[] = []): Promise<FakeSlack> {
  const requests: SlackRequest[] = [];
  const statuses: number[] = [];
  const queue = [...script];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => {
      raw += d;
    });
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: JSON.parse(raw),
      });
      const status = queue.shift() ?? 200;
      statuses.push(status);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : status === 404 ? 'no_service' : 'internal_error');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/secretTOKEN123`,
    requests,
    delivered: () => requests.filter((_, i) => statuses[i] === 200),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Who logged in, if anyone. */
  user: string | undefined;
  raw: string;
  headers: Record<string, string>;
  /** The text/plain part, decoded. */
  text: string;
  /** The text/html part, decoded. */
  html: string;
}

export interface FakeSmtp {
  /** `smtp://alerts:PASSWORD@127.0.0.1:PORT`. */
  url: string;
  password: string;
  messages: ReceivedMail[];
  close: () => Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that requires a login and keeps every message it accepts. */
export async function startFakeSmtp(): Promise<FakeSmtp> {
  const password = 'sm7p-Pa55word';
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'alerts' && auth.password === password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        raw += d;
      });
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          raw,
          ...parseMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://alerts:${password}@127.0.0.1:${port}`,
    password,
    messages,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Headers (unfolded, lower-case names) and the decoded text and HTML parts of a MIME message. */
function parseMail(raw: string): { headers: Record<string, string>; text: string; html: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = parseHeaders(head);
  const body = rest.join('\n\n');
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1) : [`${head}\n\n${body}`];
  let text = '';
  let html = '';
  for (const part of parts) {
    const [partHead = '', ...partBody] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
    const h = parseHeaders(partHead);
    const decoded = decode(partBody.join('\n\n'), h['content-transfer-encoding']);
    if (h['content-type']?.startsWith('text/plain')) text = decoded;
    if (h['content-type']?.startsWith('text/html')) html = decoded;
  }
  return { headers, text, html };
}

function parseHeaders(head: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) out[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return out;
}

function decode(body: string, encoding: string | undefined): string {
  const e = encoding?.toLowerCase();
  if (e === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8').replace(/\r\n/g, '\n').trim();
  }
  if (e === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8').trim();
  return body.replace(/\r\n/g, '\n').trim();
}
