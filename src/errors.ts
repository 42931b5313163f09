/**
 * Every error mysqlops throws on purpose. Each has a stable string `code` that scripts can rely on,
 * a one-line `message` that names the problem, and an optional `hint` that names the fix. The CLI
 * maps `exitCode` 2 (usage/config) and 1 (operational) and prints message + hint, never a stack.
 * Anything thrown that is not a MysqlopsError is a bug and is reported with its stack.
 */

export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_SERVER_MISSING'
  | 'E_SANDBOX'
  | 'E_SANDBOX_START'
  | 'E_NO_SERVER'
  | 'E_CONNECT'
  | 'E_AUTH'
  | 'E_POOL_TIMEOUT'
  | 'E_POOL_CLOSED'
  | 'E_QUERY'
  | 'E_QUERY_TIMEOUT'
  | 'E_CONNECTION_LOST'
  | 'E_TRANSACTION_RETRIES'
  | 'E_IDENTIFIER'
  | 'E_MIGRATION'
  | 'E_MIGRATION_BLOCKED'
  | 'E_MIGRATION_INVALID'
  | 'E_MIGRATION_LOCK'
  | 'E_MIGRATION_FILES'
  | 'E_SEED';

export interface MysqlopsErrorOptions {
  code: ErrorCode;
  message: string;
  hint?: string | undefined;
  cause?: unknown;
  /** 2 for usage or configuration errors, 1 for operational failures (the default). */
  exitCode?: 1 | 2;
}

export class MysqlopsError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(options: MysqlopsErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad flags or arguments on the command line. */
export class UsageError extends MysqlopsError {
  constructor(message: string, hint?: string) {
    super({ code: 'E_USAGE', message, hint, exitCode: 2 });
  }
}

/** One configuration problem, addressed by its dot path (`connection.port`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Configuration that failed validation; carries every issue found, not just the first. */
export class ConfigError extends MysqlopsError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], hint?: string) {
    const list = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super({
      code: 'E_CONFIG',
      message: `invalid configuration: ${list}`,
      hint: hint ?? 'correct the settings named (environment variables, or the file given with --config)',
      exitCode: 2,
    });
    this.issues = issues;
  }
}

/** Driver error codes that mean "the session is gone", so the statement's outcome is unknown. */
const CONNECTION_LOST_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** What a mysql2 error carries; kept on our errors so callers can branch on errno/sqlState. */
export interface DriverErrorFields {
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  fatal?: boolean;
}

/**
 * A statement the server (or the connection) refused. `shape` is the SQL with literals replaced,
 * never the bound values, so it is safe to log.
 */
export class QueryError extends MysqlopsError {
  readonly shape: string;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly driverCode: string | undefined;

  constructor(options: {
    shape: string;
    driver: DriverErrorFields;
    cause: unknown;
    code?: ErrorCode;
    message?: string;
    hint?: string;
  }) {
    const d = options.driver;
    super({
      code: options.code ?? 'E_QUERY',
      message:
        options.message ??
        `${d.sqlMessage ?? d.code ?? 'query failed'} (in: ${truncate(options.shape, 200)})`,
      hint: options.hint,
      cause: options.cause,
    });
    this.shape = options.shape;
    this.errno = d.errno;
    this.sqlState = d.sqlState;
    this.driverCode = d.code;
  }
}

/** The pool had no free connection within the configured wait. */
export class PoolTimeoutError extends MysqlopsError {
  constructor(waitedMs: number, size: number) {
    super({
      code: 'E_POOL_TIMEOUT',
      message: `no free database connection within ${waitedMs} ms (all ${size} in use)`,
      hint: 'raise pool.size or pool.acquireTimeoutMs, or find the callers holding connections (pool stats in health())',
    });
  }
}

/** Could not reach or log in to the server. */
export class ConnectError extends MysqlopsError {
  readonly target: string;
  constructor(options: { target: string; cause: unknown; auth?: boolean; detail?: string; hint?: string }) {
    super({
      code: options.auth ? 'E_AUTH' : 'E_CONNECT',
      message: options.auth
        ? `access denied to ${options.target}${options.detail ? `: ${options.detail}` : ''}`
        : `cannot connect to ${options.target}${options.detail ? `: ${options.detail}` : ''}`,
      hint:
        options.hint ??
        (options.auth
          ? 'check DB_USER and DB_PASSWORD (or DB_PASSWORD_FILE)'
          : 'check that the server runs and that DB_HOST/DB_PORT (or DB_SOCKET) point at it'),
      cause: options.cause,
      // Wrong credentials are fixed in the configuration; an unreachable server is operational.
      exitCode: options.auth ? 2 : 1,
    });
    this.target = options.target;
  }
}

export function isConnectionLost(err: unknown): boolean {
  const code = (err as DriverErrorFields | null)?.code;
  return typeof code === 'string' && CONNECTION_LOST_CODES.has(code);
}

export function driverFields(err: unknown): DriverErrorFields {
  if (typeof err !== 'object' || err === null) return {};
  const e = err as Record<string, unknown>;
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    errno: typeof e.errno === 'number' ? e.errno : undefined,
    sqlState: typeof e.sqlState === 'string' ? e.sqlState : undefined,
    sqlMessage: typeof e.sqlMessage === 'string' ? e.sqlMessage : undefined,
    fatal: e.fatal === true,
  };
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * A migration file that could not be applied (or a history that forbids applying). Carries the
 * file, the 1-based statement number and its first line so the user can find it, and the server
 * error as `cause`.
 */
export class MigrationError extends MysqlopsError {
  readonly script: string | undefined;
  readonly statementIndex: number | undefined;
  readonly line: number | undefined;

  constructor(options: {
    code?:
      | 'E_MIGRATION'
      | 'E_MIGRATION_BLOCKED'
      | 'E_MIGRATION_INVALID'
      | 'E_MIGRATION_LOCK'
      | 'E_MIGRATION_FILES';
    message: string;
    hint?: string;
    script?: string;
    statementIndex?: number;
    line?: number;
    cause?: unknown;
    exitCode?: 1 | 2;
  }) {
    super({
      code: options.code ?? 'E_MIGRATION',
      message: options.message,
      hint: options.hint,
      cause: options.cause,
      exitCode: options.exitCode,
    });
    this.script = options.script;
    this.statementIndex = options.statementIndex;
    this.line = options.line;
  }
}

/** Sample-data generation or loading failed. */
export class SeedError extends MysqlopsError {
  constructor(options: { message: string; hint?: string; cause?: unknown; exitCode?: 1 | 2 }) {
    super({ code: 'E_SEED', ...options });
  }
}
