/**
 * A printable view of a loaded configuration, for `mysqlops config check`, logs and `--json`:
 * plain data only, secrets shown as `[redacted]` and certificates as `set`, never their values.
 */
import type { MysqlopsConfig } from './schema.js';

const REDACTED = '[redacted]';
const NOT_SET = 'not set';

/**
 * The configuration as plain, JSON-friendly data. Unset optional values are `null`; the password
 * and the TLS key are `[redacted]` when set; CA and client certificates are `set` (they are public,
 * but long). `target` says in words where connections go.
 */
export function describeConfig(config: MysqlopsConfig): Record<string, unknown> {
  const { connection: c, sandbox } = config;
  return {
    env: config.env,
    configFile: config.configFile ?? null,
    usesSandbox: config.usesSandbox,
    target: describeTarget(config),
    connection: {
      host: c.host ?? null,
      port: c.port,
      socket: c.socket ?? null,
      user: c.user,
      password: c.password ? REDACTED : NOT_SET,
      database: c.database ?? null,
      ssl: {
        mode: c.ssl.mode,
        ca: c.ssl.ca ? 'set' : NOT_SET,
        cert: c.ssl.cert ? 'set' : NOT_SET,
        key: c.ssl.key ? REDACTED : NOT_SET,
      },
      connectTimeoutMs: c.connectTimeoutMs,
      replicas: (c.replicas ?? []).map((r) => ({
        host: r.host ?? null,
        port: r.port ?? null,
        socket: r.socket ?? null,
        user: r.user ?? null,
        password: r.password ? REDACTED : 'as the primary',
      })),
    },
    routing: { ...config.routing },
    pool: { ...config.pool },
    monitoring: { ...config.monitoring },
    transactions: { ...config.transactions },
    sandbox: { ...sandbox },
    // The key file's path is not secret (its content is, and is never read here).
    backup: { ...config.backup, dir: config.backup.dir ?? null, keyFile: config.backup.keyFile ?? null },
    // As with the backup key: the token file's path is shown, its content never read here.
    serve: { ...config.serve, tokenFile: config.serve.tokenFile ?? null },
    alerts: {
      ...config.alerts,
      stateFile: config.alerts.stateFile ?? null,
      slackWebhook: config.alerts.slackWebhook ? REDACTED : NOT_SET,
      smtpUrl: config.alerts.smtpUrl ? REDACTED : NOT_SET,
    },
    health: config.health,
    maintenance: { ...config.maintenance },
  };
}

function describeTarget(config: MysqlopsConfig): string {
  const { connection: c, sandbox } = config;
  if (config.usesSandbox) return `local sandbox "${sandbox.name}" in ${sandbox.home}`;
  if (c.socket) return `socket ${c.socket}`;
  return `${c.host}:${c.port}`;
}
