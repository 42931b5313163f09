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
  | 'E_CLUSTER'
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
  | 'E_SEED'
  | 'E_AUDIT'
  | 'E_AUDIT_CHAIN'
  | 'E_AUDIT_SEAL_LOCK'
  | 'E_ACCESS'
  | 'E_ACCESS_DRIFT'
  | 'E_ACCESS_VERIFY'
  | 'E_ETL'
  | 'E_ETL_LOCKED'
  | 'E_ETL_VERIFY'
  | 'E_SCHEDULE'
  | 'E_BACKUP'
  | 'E_BACKUP_CORRUPT'
  | 'E_BACKUP_KEY'
  | 'E_BACKUP_INCOMPLETE'
  | 'E_BACKUP_CHAIN'
  | 'E_PITR_RANGE'
  | 'E_RESTORE_TARGET'
  | 'E_PERFORMANCE_SCHEMA_OFF'
  | 'E_DASHBOARD'
  | 'E_DASHBOARD_INSECURE'
  | 'E_ALERT_STATE'
  | 'E_ALERT_LOCKED'
  | 'E_MAINTENANCE'
  // Replica topologies (src/replication): an unknown topology or node, a failed step, a refused promotion.
  | 'E_REPLICATION'
  | 'E_REPLICATION_NODE'
  | 'E_PROMOTE_REFUSED'
  // Read/write routing (src/db/router.ts): no writable server right now; the write was not applied.
  | 'E_PRIMARY_UNAVAILABLE';

export interface MysqlopsErrorOptions {
  code: ErrorCode;
  message: string;
  hint?: string | undefined;
  cause?: unknown;
  /** 2 for usage or configuration errors, 1 for operational failures (the default). */
  exitCode?: 1 | 2;
}

/**
 * The base of every error mysqlops throws on purpose: a stable `code` to branch on, a `hint` for the person
 * running it, the `cause`, and the CLI exit code (2 for usage or configuration, 1 otherwise). Anything else
 * that escapes is a bug.
 */
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

/**
 * Driver error codes that mean "the session is gone", so the statement's outcome is unknown.
 * PROTOCOL_SEQUENCE_TIMEOUT is not one of them: after a client-side timeout the session is alive and
 * the statement may still be running (see `isClientTimeout`).
 */
const CONNECTION_LOST_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
]);

/** mysql2's code for a statement that outlived its client-side `timeout`. */
const CLIENT_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

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
 * never the bound values, so it is safe to log. The message quotes the server's words with the
 * values it quoted redacted (`Duplicate entry '…' for key 'email'`); the raw text is kept only in
 * the non-enumerable `serverMessage`, and the driver error kept as `cause` is scrubbed the same way
 * (its `sql`, which holds the statement with its values, is removed).
 */
export class QueryError extends MysqlopsError {
  readonly shape: string;
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly driverCode: string | undefined;
  /**
   * The server's message as sent, which may quote bound values (personal data). Non-enumerable, so
   * JSON.stringify, util.inspect and loggers skip it; read it deliberately or not at all.
   */
  declare readonly serverMessage: string | undefined;

  constructor(options: {
    shape: string;
    driver: DriverErrorFields;
    cause: unknown;
    code?: ErrorCode;
    message?: string;
    hint?: string;
  }) {
    const d = options.driver;
    const said = d.sqlMessage === undefined ? undefined : redactServerMessage(d.sqlMessage);
    scrubDriverError(options.cause);
    super({
      code: options.code ?? 'E_QUERY',
      message: options.message ?? `${said ?? d.code ?? 'query failed'} (in: ${truncate(options.shape, 200)})`,
      hint: options.hint,
      cause: options.cause,
    });
    this.shape = options.shape;
    this.errno = d.errno;
    this.sqlState = d.sqlState;
    this.driverCode = d.code;
    Object.defineProperty(this, 'serverMessage', { value: d.sqlMessage, enumerable: false });
  }
}

/** Words after which a quoted name in a server message is an identifier, not a value. */
const NAME_BEFORE_QUOTE =
  /\b(?:key|column|table|database|schema|index|constraint|function|procedure|routine|view|trigger|event|sequence|variable|savepoint|user|engine|plugin|partition|in)\s*$/i;

/**
 * The server's message with the values it quotes replaced by '…', keeping the names that say where
 * (key, column, table): `Duplicate entry 'a@b.c' for key 'email'` becomes
 * `Duplicate entry '…' for key 'email'`, `... near 'secret' at line 1` becomes `... near '…' at line 1`.
 * The server does not escape quotes inside what it quotes, so the messages that quote values most
 * often are matched whole first; the rest keep a quoted text only after a naming word.
 */
export function redactServerMessage(message: string): string {
  const whole = message
    .replace(/^(Duplicate entry )'[\s\S]*'( for key '[^']*')$/, "$1'…'$2")
    .replace(/( near )'[\s\S]*'( at line \d+)$/, "$1'…'$2")
    .replace(/( value: )'[\s\S]*'( for column |$)/, "$1'…'$2");
  return whole.replace(/'[^']*'|"[^"]*"/g, (quoted, offset: number) => {
    if (quoted === "'…'" || quoted === '"…"') return quoted;
    return NAME_BEFORE_QUOTE.test(whole.slice(Math.max(0, offset - 40), offset)) && quoted.startsWith("'")
      ? quoted
      : `${quoted[0]}…${quoted[0]}`;
  });
}

/**
 * Make a driver error safe to keep as a cause: drop `sql` (the statement with its values inlined)
 * and redact the server's words in `message`, `sqlMessage` and the stack's first line.
 */
function scrubDriverError(cause: unknown): void {
  if (typeof cause !== 'object' || cause === null || cause instanceof MysqlopsError) return;
  const e = cause as { sql?: unknown; sqlMessage?: unknown; message?: unknown; stack?: unknown };
  delete e.sql;
  if (typeof e.sqlMessage !== 'string') return;
  const raw = e.sqlMessage;
  const redacted = redactServerMessage(raw);
  e.sqlMessage = redacted;
  if (typeof e.message === 'string') e.message = e.message.split(raw).join(redacted);
  if (typeof e.stack === 'string') e.stack = e.stack.split(raw).join(redacted);
}

/** The pool had no free connection within the configured wait: all of them were checked out. */
export class PoolTimeoutError extends MysqlopsError {
  constructor(waitedMs: number, stats: { inUse: number; limit: number; waiting: number }) {
    const waiting = `${stats.waiting} ${stats.waiting === 1 ? 'caller' : 'callers'} waiting`;
    super({
      code: 'E_POOL_TIMEOUT',
      message: `no free database connection within ${waitedMs} ms (all ${stats.inUse} of ${stats.limit} connections in use, ${waiting})`,
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

/** True when the driver error in `err` (or in its cause chain) says the session is gone. */
export function isConnectionLost(err: unknown): boolean {
  const code = driverFields(err).code;
  return code !== undefined && CONNECTION_LOST_CODES.has(code);
}

/** True when the driver error in `err` (or in its cause chain) is a client-side statement timeout. */
export function isClientTimeout(err: unknown): boolean {
  return driverFields(err).code === CLIENT_TIMEOUT_CODE;
}

/**
 * The driver's fields of `err`: of `err` itself, or, when it is one of our errors wrapping a driver
 * error, of the first error down its `cause` chain that is not ours.
 */
export function driverFields(err: unknown): DriverErrorFields {
  return ownDriverFields(driverErrorOf(err));
}

/** `err` itself, or, when it is one of our errors, the first error down its cause chain that is not. */
export function driverErrorOf(err: unknown): unknown {
  let e: unknown = err;
  for (let depth = 0; e instanceof MysqlopsError && depth < 5; depth++) e = e.cause;
  return e;
}

function ownDriverFields(err: unknown): DriverErrorFields {
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

/**
 * A backup or restore that failed. `file` names the backup file concerned (relative to the backup
 * directory) when there is one: a checksum mismatch, a truncated or altered file, a wrong key.
 */
export class BackupError extends MysqlopsError {
  readonly file: string | undefined;

  constructor(options: {
    code?:
      | 'E_BACKUP'
      | 'E_BACKUP_CORRUPT'
      | 'E_BACKUP_KEY'
      | 'E_BACKUP_INCOMPLETE'
      | 'E_RESTORE_TARGET'
      // A backup chain with a missing link, or nothing to continue; a recovery point outside the chain.
      | 'E_BACKUP_CHAIN'
      | 'E_PITR_RANGE';
    message: string;
    hint?: string;
    file?: string;
    cause?: unknown;
    exitCode?: 1 | 2;
  }) {
    super({
      code: options.code ?? 'E_BACKUP',
      message: options.message,
      hint: options.hint,
      cause: options.cause,
      exitCode: options.exitCode,
    });
    this.file = options.file;
  }
}
