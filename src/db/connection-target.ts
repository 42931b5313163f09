/**
 * Turns configuration into driver connection options: the configured server, or the local
 * sandbox when neither DB_HOST nor DB_SOCKET is set. The password leaves its `Secret` wrapper here
 * and nowhere else, straight into the driver's options object (never a command line or a log).
 */
import type { PoolOptions, SslOptions } from 'mysql2';
import type { ConnectionConfig, ReplicaConfig, SandboxConfig, SslMode } from '../config/index.js';
import { MysqlopsError } from '../errors.js';
import { sandboxConnection } from '../sandbox/index.js';
import { Secret } from '../secret.js';

/** Connection settings as a library caller may write them: everything optional, password plain or Secret. */
export interface ConnectionInput extends Partial<Omit<ConnectionConfig, 'password' | 'ssl' | 'replicas'>> {
  password?: Secret | string;
  ssl?: { mode?: SslMode; ca?: string; cert?: string; key?: Secret | string };
  /**
   * Replicas (or Galera nodes) for read routing and failover; see `routing`. Each needs a host or
   * a socket; user, password and TLS default to this connection's.
   */
  replicas?: readonly ReplicaInput[];
}

/** One replica as a library caller may write it. */
export interface ReplicaInput extends Omit<ReplicaConfig, 'password'> {
  password?: Secret | string;
}

/**
 * The connection settings of one replica: the primary's, with the replica's own host/port/socket
 * and, where given, user and password.
 */
export function replicaConnection(primary: ConnectionInput, replica: ReplicaInput): ConnectionInput {
  const { replicas: _ignored, host: _h, socket: _s, ...shared } = primary;
  return {
    ...shared,
    host: replica.host,
    socket: replica.socket,
    port: replica.port ?? primary.port,
    user: replica.user ?? primary.user,
    password: replica.password ?? primary.password,
  };
}

/**
 * Where and how to connect, decided once: the driver options plus a password-free description and
 * the parts (host/port or socket, user, database) for messages. `sandbox` is set only when the
 * target is the local sandbox; `host` and `port` are unset for a plain socket connection.
 */
export interface ResolvedTarget {
  /** mysql2 options (holds the password: never log this object). */
  options: PoolOptions;
  /** Where we connect, for humans: `127.0.0.1:3306`, `socket /run/mysqld/mysqld.sock`, `sandbox "default" (socket ...)`. */
  description: string;
  host?: string;
  port?: number;
  socket?: string;
  user: string;
  database?: string;
  sandbox?: string;
}

/**
 * Decide the server to connect to: the local sandbox when `usesSandbox` is true or neither host nor
 * socket is configured, else the socket, else host:port (default 3306, user `app_user`). Throws
 * E_NO_SERVER when the sandbox it falls back to does not exist. The result holds the plain
 * password in `options`: never log it.
 */
export function resolveTarget(
  connection: ConnectionInput,
  sandbox: Partial<SandboxConfig> | undefined,
  usesSandbox: boolean,
): ResolvedTarget {
  const common: PoolOptions = {
    connectTimeout: connection.connectTimeoutMs ?? 10_000,
    database: connection.database,
    charset: 'utf8mb4_unicode_ci',
    // Dates cross the wire as UTC both ways (the pool sets the session time_zone to match).
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    multipleStatements: false,
    enableKeepAlive: true,
  };
  if (usesSandbox || (!connection.host && !connection.socket)) {
    const sb = sandboxConnection({ name: sandbox?.name, home: sandbox?.home });
    const name = sandbox?.name ?? 'default';
    if (!sb) {
      throw new MysqlopsError({
        code: 'E_NO_SERVER',
        message: `no database server configured and no sandbox "${name}" found`,
        hint: 'start the local sandbox with `mysqlops sandbox start`, or point DB_HOST (or DB_SOCKET) at your server',
      });
    }
    return {
      options: { ...common, socketPath: sb.socket, user: sb.user, password: sb.password.reveal() },
      description: `sandbox "${name}" (socket ${sb.socket}, tcp ${sb.host}:${sb.port})`,
      host: sb.host,
      port: sb.port,
      socket: sb.socket,
      user: sb.user,
      database: connection.database,
      sandbox: name,
    };
  }
  const user = connection.user ?? 'app_user';
  const password = connection.password instanceof Secret ? connection.password.reveal() : connection.password;
  const ssl = sslOptions(connection.ssl);
  const base: PoolOptions = { ...common, user, password, ...(ssl ? { ssl } : {}) };
  if (connection.socket) {
    return {
      options: { ...base, socketPath: connection.socket },
      description: `socket ${connection.socket}`,
      socket: connection.socket,
      user,
      database: connection.database,
    };
  }
  const port = connection.port ?? 3306;
  return {
    options: { ...base, host: connection.host, port },
    description: `${connection.host}:${port}`,
    host: connection.host,
    port,
    user,
    database: connection.database,
  };
}

function sslOptions(ssl: ConnectionInput['ssl']): SslOptions | undefined {
  const mode = ssl?.mode ?? 'disabled';
  if (mode === 'disabled') return undefined;
  const key = ssl?.key instanceof Secret ? ssl.key.reveal() : ssl?.key;
  const out: SslOptions & { verifyIdentity?: boolean } = {
    ...(ssl?.ca ? { ca: ssl.ca } : {}),
    ...(ssl?.cert ? { cert: ssl.cert } : {}),
    ...(key ? { key } : {}),
    // 'required' encrypts without checking who answers (like the mysql client's REQUIRED mode).
    rejectUnauthorized: mode !== 'required',
    verifyIdentity: mode === 'verify-identity',
  };
  return out;
}
