/**
 * Environment variables to a config layer, the highest layer. Each variable is checked on its own
 * and a problem is reported under the variable's name (`DB_PORT: expected an integer ...`). An
 * empty variable counts as unset, so `DB_HOST= mysqlops ...` falls back to the lower layers.
 * Relative paths are resolved against `cwd`.
 */
import * as path from 'node:path';
import type { z } from 'zod';
import { alertsSchema, splitRecipients } from '../alert/config-schema.js';
import type { ConfigIssue } from '../errors.js';
import { Secret } from '../secret.js';
import type { ConfigLayer } from './layers.js';
import { type Read, readPem, readPemSecret, readSecretFile } from './read-files.js';
import {
  backupSchema,
  connectionSchema,
  monitoringSchema,
  poolSchema,
  type ReplicaConfig,
  routingSchema,
  sandboxSchema,
  serveSchema,
  sslSchema,
} from './schema.js';

export type Environ = Record<string, string | undefined>;

/** Every variable this module reads, with what it sets; the names are part of the public contract. */
export const ENV_VARS = {
  MYSQLOPS_ENV: 'environment name (development, test, staging, production); --env wins',
  MYSQLOPS_CONFIG: 'path of the config file; --config wins',
  MYSQLOPS_HOME: 'sandbox.home: where sandboxes live (default ./.mysqlops)',
  MYSQLOPS_SANDBOX: 'sandbox.name (default "default")',
  DB_HOST: 'connection.host; unset together with DB_SOCKET means "use the local sandbox"',
  DB_PORT: 'connection.port (default 3306)',
  DB_SOCKET: 'connection.socket: unix socket path, wins over host/port',
  DB_USER: 'connection.user (default app_user)',
  DB_PASSWORD: 'connection.password',
  DB_PASSWORD_FILE: 'connection.password read from this file (one trailing newline removed)',
  DB_NAME: 'connection.database (default app_db)',
  DB_SSL_MODE: 'connection.ssl.mode: disabled, required, verify-ca, verify-identity',
  DB_SSL_CA: 'connection.ssl.ca: path of the CA certificate (PEM)',
  DB_SSL_CERT: 'connection.ssl.cert: path of the client certificate (PEM)',
  DB_SSL_KEY: 'connection.ssl.key: path of the client private key (PEM)',
  DB_CONNECT_TIMEOUT_MS: 'connection.connectTimeoutMs (default 10000)',
  DB_REPLICAS:
    'connection.replicas: comma-separated host:port (or /socket/path) of replicas or Galera nodes, same login as DB_USER',
  DB_ROUTING_MODE: 'routing.mode: replication (default) or galera',
  DB_MAX_REPLICA_LAG_SECONDS: 'routing.maxLagSeconds: lag that takes a replica out of rotation (default 5)',
  DB_READ_YOUR_WRITES: 'routing.readYourWrites: wait (default), primary or off',
  DB_POOL_SIZE: 'pool.size',
  DB_ACQUIRE_TIMEOUT_MS: 'pool.acquireTimeoutMs (default 10000)',
  DB_SLOW_QUERY_MS: 'monitoring.slowQueryMs',
  BACKUP_DIR: 'backup.dir: where backups go (default <MYSQLOPS_HOME>/backups)',
  BACKUP_RETENTION_DAYS: 'backup.retentionDays (default 7)',
  ENCRYPT_BACKUPS: 'backup.encrypt: true or false (default false); needs BACKUP_KEY_FILE',
  BACKUP_KEY_FILE: 'backup.keyFile: file holding the backup key or passphrase',
  SLACK_WEBHOOK: 'alerts.slackWebhook: Slack incoming webhook URL (a secret)',
  EMAIL_ALERTS: 'alerts.emailTo: alert e-mail recipients, comma-separated; needs SMTP_URL',
  SMTP_URL: 'alerts.smtpUrl: smtp://user:password@host:port or smtps://... (a secret)',
  ALERT_EMAIL_FROM: 'alerts.emailFrom: sender of alert e-mail (default mysqlops@localhost)',
  ALERTS_STATE_FILE: 'alerts.stateFile: alert states kept between `alerts check` runs',
  SERVE_HOST: 'serve.host: address mysqlops serve binds (default 127.0.0.1)',
  SERVE_PORT: 'serve.port: port of mysqlops serve (default 8080; 0 picks a free one)',
  SERVE_TOKEN_FILE: 'serve.tokenFile: file holding the token the dashboard and /metrics require',
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

/** The variable's value, or undefined when it is unset or empty. */
export function envValue(environ: Environ, name: EnvVarName | 'NODE_ENV'): string | undefined {
  const value = environ[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The layer set by the environment; problems are appended to `issues`. */
export function layerFromEnv(environ: Environ, cwd: string, issues: ConfigIssue[]): ConfigLayer {
  const get = (name: EnvVarName) => envValue(environ, name);

  /** The value checked by `schema`, or undefined (and an issue) when it does not fit. */
  function check<T>(name: EnvVarName, schema: z.ZodType<T>, input: unknown): T | undefined {
    if (input === undefined) return undefined;
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    issues.push({ path: name, message: result.error.issues[0]?.message ?? 'invalid value' });
    return undefined;
  }
  const int = (name: EnvVarName, schema: z.ZodType<number>) => check(name, schema, toNumber(get(name)));
  const file = <T>(name: EnvVarName, reader: (file: string) => Read<T>): T | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    const read = reader(path.resolve(cwd, value));
    if (read.ok) return read.value;
    issues.push({ path: name, message: read.problem });
    return undefined;
  };
  const resolved = (value: string | undefined) =>
    value === undefined ? undefined : path.resolve(cwd, value);

  const s = connectionSchema.shape;
  const a = alertsSchema.shape;
  const secretOf = (v: string | undefined) => (v === undefined ? undefined : new Secret(v));
  return {
    connection: {
      host: check('DB_HOST', s.host, get('DB_HOST')),
      port: int('DB_PORT', s.port),
      socket: check('DB_SOCKET', s.socket, resolved(get('DB_SOCKET'))),
      user: check('DB_USER', s.user, get('DB_USER')),
      password: password(environ, cwd, issues),
      database: check('DB_NAME', s.database, get('DB_NAME')),
      connectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS', s.connectTimeoutMs),
      replicas: replicaList(get('DB_REPLICAS'), cwd, issues),
      ssl: {
        mode: check('DB_SSL_MODE', sslSchema.shape.mode, normalizeSslMode(get('DB_SSL_MODE'))),
        ca: file('DB_SSL_CA', readPem),
        cert: file('DB_SSL_CERT', readPem),
        key: file('DB_SSL_KEY', readPemSecret),
      },
    },
    pool: {
      size: int('DB_POOL_SIZE', poolSchema.shape.size),
      acquireTimeoutMs: int('DB_ACQUIRE_TIMEOUT_MS', poolSchema.shape.acquireTimeoutMs),
    },
    routing: {
      mode: check('DB_ROUTING_MODE', routingSchema.shape.mode, get('DB_ROUTING_MODE')?.trim().toLowerCase()),
      maxLagSeconds: int('DB_MAX_REPLICA_LAG_SECONDS', routingSchema.shape.maxLagSeconds),
      readYourWrites: check(
        'DB_READ_YOUR_WRITES',
        routingSchema.shape.readYourWrites,
        get('DB_READ_YOUR_WRITES')?.trim().toLowerCase(),
      ),
    },
    monitoring: { slowQueryMs: int('DB_SLOW_QUERY_MS', monitoringSchema.shape.slowQueryMs) },
    sandbox: {
      name: check('MYSQLOPS_SANDBOX', sandboxSchema.shape.name, get('MYSQLOPS_SANDBOX')),
      home: resolved(get('MYSQLOPS_HOME')),
    },
    backup: {
      dir: resolved(get('BACKUP_DIR')),
      retentionDays: int('BACKUP_RETENTION_DAYS', backupSchema.shape.retentionDays),
      encrypt: check('ENCRYPT_BACKUPS', backupSchema.shape.encrypt, toBoolean(get('ENCRYPT_BACKUPS'))),
      keyFile: resolved(get('BACKUP_KEY_FILE')),
    },
    alerts: {
      slackWebhook: check('SLACK_WEBHOOK', a.slackWebhook, secretOf(get('SLACK_WEBHOOK'))),
      emailTo: check('EMAIL_ALERTS', a.emailTo, mapDefined(get('EMAIL_ALERTS'), splitRecipients)),
      emailFrom: check('ALERT_EMAIL_FROM', a.emailFrom, get('ALERT_EMAIL_FROM')),
      smtpUrl: check('SMTP_URL', a.smtpUrl, secretOf(get('SMTP_URL'))),
      stateFile: resolved(get('ALERTS_STATE_FILE')),
    },
    serve: {
      host: check('SERVE_HOST', serveSchema.shape.host, get('SERVE_HOST')),
      port: int('SERVE_PORT', serveSchema.shape.port),
      tokenFile: resolved(get('SERVE_TOKEN_FILE')),
    },
  };
}

/** DB_PASSWORD or the content of DB_PASSWORD_FILE; both set is a mistake worth stopping for. */
function password(environ: Environ, cwd: string, issues: ConfigIssue[]): Secret | undefined {
  const plain = envValue(environ, 'DB_PASSWORD');
  const file = envValue(environ, 'DB_PASSWORD_FILE');
  if (plain !== undefined && file !== undefined) {
    issues.push({ path: 'DB_PASSWORD_FILE', message: 'set DB_PASSWORD or DB_PASSWORD_FILE, not both' });
    return undefined;
  }
  if (plain !== undefined) return new Secret(plain);
  if (file === undefined) return undefined;
  const read = readSecretFile(path.resolve(cwd, file));
  if (read.ok) return read.value;
  issues.push({ path: 'DB_PASSWORD_FILE', message: read.problem });
  return undefined;
}

/**
 * DB_REPLICAS: `host:port,host:port` (port optional: the primary's), `[v6addr]:port`, or an absolute
 * or relative socket path (anything with a `/`). Each bad entry is its own issue.
 */
export function replicaList(
  value: string | undefined,
  cwd: string,
  issues: ConfigIssue[],
): ReplicaConfig[] | undefined {
  if (value === undefined) return undefined;
  const out: ReplicaConfig[] = [];
  const entries = value.split(',').map((e) => e.trim());
  for (const [i, entry] of entries.entries()) {
    const problem = (message: string) =>
      issues.push({ path: 'DB_REPLICAS', message: `entry ${i + 1}: ${message}` });
    if (entry === '') {
      problem('is empty (expected host:port)');
      continue;
    }
    if (entry.includes('/')) {
      out.push({ socket: path.resolve(cwd, entry) });
      continue;
    }
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(entry);
    const host = m?.[1] ?? m?.[2];
    if (!m || !host) {
      problem(`expected host:port, got ${JSON.stringify(entry.slice(0, 80))}`);
      continue;
    }
    const port = m[3] === undefined ? undefined : Number(m[3]);
    if (port !== undefined && (port < 1 || port > 65_535)) {
      problem(`port must be from 1 to 65535, got ${port}`);
      continue;
    }
    out.push(port === undefined ? { host } : { host, port });
  }
  if (out.length > 32) {
    issues.push({ path: 'DB_REPLICAS', message: 'at most 32 replicas' });
    return undefined;
  }
  return out;
}

function mapDefined<T>(value: string | undefined, f: (v: string) => T): T | undefined {
  return value === undefined ? undefined : f(value);
}

/** Decimal integers become numbers; anything else stays a string so the message can show it. */
function toNumber(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : value;
}

/** `true`/`false` (any case, also 1/0) become booleans; anything else stays a string for the message. */
function toBoolean(value: string | undefined): boolean | string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return value;
}

/** `VERIFY_CA` (the mysql client's spelling) is accepted as `verify-ca`. */
function normalizeSslMode(value: string | undefined): string | undefined {
  return value?.trim().toLowerCase().replaceAll('_', '-');
}
