/**
 * The one place that knows MySQL and MariaDB apart. It is decided once, at connect time, from the
 * server's own version string; feature code asks this object and never sniffs versions itself.
 */

export type FlavorKind = 'mariadb' | 'mysql';

/** The numeric server version; all zeros when the version string cannot be parsed. Compare with Flavor.atLeast. */
export interface ServerVersion {
  major: number;
  minor: number;
  patch: number;
}

/** A statement rewritten to carry a server-side time limit, plus a client-side limit where needed. */
export interface TimedStatement {
  sql: string;
  /** Set when the server cannot limit this statement itself; the client then enforces it. */
  clientTimeoutMs?: number;
}

// ER_STATEMENT_TIMEOUT (MariaDB), ER_QUERY_TIMEOUT (MySQL 5.7.8+), ER_QUERY_INTERRUPTED with a timer.
const TIMEOUT_ERRNOS = new Set([1969, 3024]);

/**
 * MySQL or MariaDB, and which version: the object feature code asks instead of parsing version
 * strings (statement time limits, GTID syntax, error meanings). A DatabaseManager exposes its own
 * as `db.flavor` once initialized; `Flavor.detect()` builds one from `VERSION()`.
 */
export class Flavor {
  readonly kind: FlavorKind;
  readonly version: ServerVersion;
  /** The full version string as the server reports it, e.g. `10.11.19-MariaDB-0+deb12u1-log`. */
  readonly versionString: string;

  constructor(kind: FlavorKind, versionString: string) {
    this.kind = kind;
    this.versionString = versionString;
    this.version = parseVersion(versionString);
  }

  /** Decide the flavor from `SELECT VERSION(), @@version_comment`. */
  static detect(version: string, versionComment = ''): Flavor {
    const isMaria = /mariadb/i.test(version) || /mariadb/i.test(versionComment);
    return new Flavor(isMaria ? 'mariadb' : 'mysql', version);
  }

  get isMariaDB(): boolean {
    return this.kind === 'mariadb';
  }

  /** A short human label: `MariaDB 10.11.19`. */
  get label(): string {
    const { major, minor, patch } = this.version;
    return `${this.isMariaDB ? 'MariaDB' : 'MySQL'} ${major}.${minor}.${patch}`;
  }

  atLeast(major: number, minor = 0, patch = 0): boolean {
    const v = this.version;
    if (v.major !== major) return v.major > major;
    if (v.minor !== minor) return v.minor > minor;
    return v.patch >= patch;
  }

  /**
   * Limit one statement's run time on the server.
   * MariaDB: `SET STATEMENT max_statement_time=S FOR ...` works for every statement kind.
   * MySQL: the `MAX_EXECUTION_TIME` optimizer hint only applies to SELECT, so other statements get
   * a client-side limit (the caller then kills the query from another connection).
   */
  withStatementTimeout(sql: string, ms: number): TimedStatement {
    if (this.isMariaDB) {
      const seconds = Math.max(ms, 1) / 1000;
      return { sql: `SET STATEMENT max_statement_time=${seconds} FOR ${sql}` };
    }
    const select = /^(\s*(?:\/\*[\s\S]*?\*\/\s*)*)select\b/i.exec(sql);
    if (select) {
      const head = select[0];
      return {
        sql: `${head} /*+ MAX_EXECUTION_TIME(${Math.max(Math.round(ms), 1)}) */${sql.slice(head.length)}`,
      };
    }
    return { sql, clientTimeoutMs: ms };
  }

  /** True when a server error number means "stopped by a statement time limit". */
  isStatementTimeout(errno: number | undefined): boolean {
    return errno !== undefined && TIMEOUT_ERRNOS.has(errno);
  }

  /** The statement that reports replica state on this flavor and version. */
  get replicaStatusSql(): string {
    if (this.isMariaDB) return 'SHOW SLAVE STATUS';
    return this.atLeast(8, 0, 22) ? 'SHOW REPLICA STATUS' : 'SHOW SLAVE STATUS';
  }
  /**
   * What a routing health check reads besides the replica status: read_only and the GTID position
   * this server has applied (MariaDB: gtid_slave_pos, replicated transactions only; MySQL:
   * gtid_executed). Columns `ro` and `pos`.
   */
  get nodeStateSql(): string {
    return this.isMariaDB
      ? 'SELECT @@global.read_only AS ro, @@global.gtid_slave_pos AS pos'
      : 'SELECT @@global.read_only AS ro, @@global.gtid_executed AS pos';
  }

  /**
   * The session setting that makes the server report the GTID of each write in its OK packet
   * (read back with gtidOfResult(), no extra round trip). MariaDB tracks the `last_gtid` variable,
   * MySQL the session's own GTIDs.
   */
  get trackGtidSql(): string {
    return this.isMariaDB
      ? "SET SESSION session_track_system_variables = CONCAT_WS(',', @@session.session_track_system_variables, 'last_gtid')"
      : "SET SESSION session_track_gtids = 'OWN_GTID'";
  }

  /** The GTID a write reported in its OK packet (after trackGtidSql), or undefined. */
  gtidOfResult(result: unknown): string | undefined {
    const changes = (
      result as { stateChanges?: { systemVariables?: Record<string, string>; gtids?: string[] } }
    )?.stateChanges;
    if (!changes) return undefined;
    if (this.isMariaDB) return changes.systemVariables?.last_gtid || undefined;
    return changes.gtids && changes.gtids.length > 0 ? changes.gtids.join(',') : undefined;
  }

  /**
   * Wait on a replica until it has applied a GTID position: params (position, timeout in seconds),
   * one column `w` that gtidWaitReached() reads. MariaDB MASTER_GTID_WAIT returns 0 or -1 on
   * timeout; MySQL WAIT_FOR_EXECUTED_GTID_SET returns 0 or 1 on timeout.
   */
  get gtidWaitSql(): string {
    return this.isMariaDB
      ? 'SELECT MASTER_GTID_WAIT(?, ?) AS w'
      : 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) AS w';
  }

  gtidWaitReached(value: unknown): boolean {
    return value !== null && value !== undefined && Number(value) === 0;
  }

  /**
   * A privilege name as this server spells it. The access file uses the MySQL 8 names plus the
   * MariaDB monitor privileges; MariaDB 10.5+ split REPLICATION CLIENT into BINLOG MONITOR (and
   * reports it under that name) and added SLAVE MONITOR for replica status; MySQL folds both back
   * into REPLICATION CLIENT.
   */
  privilegeName(privilege: string): string {
    const p = privilege.toUpperCase();
    if (this.isMariaDB && this.atLeast(10, 5)) {
      if (p === 'REPLICATION CLIENT') return 'BINLOG MONITOR';
      if (p === 'REPLICA MONITOR') return 'SLAVE MONITOR';
      return p;
    }
    if (p === 'BINLOG MONITOR' || p === 'SLAVE MONITOR' || p === 'REPLICA MONITOR')
      return 'REPLICATION CLIENT';
    return p;
  }

  /**
   * The statement that makes `role` (already quoted, or null for none) the account's default role.
   * MariaDB keeps one default role (`SET DEFAULT ROLE r FOR u`); MySQL keeps a list
   * (`SET DEFAULT ROLE r1, r2 TO u`).
   */
  setDefaultRoleSql(quotedRole: string | null, quotedAccount: string): string {
    if (this.isMariaDB) return `SET DEFAULT ROLE ${quotedRole ?? 'NONE'} FOR ${quotedAccount}`;
    return `SET DEFAULT ROLE ${quotedRole ?? 'NONE'} TO ${quotedAccount}`;
  }

  /** SQL (params: user, host) returning the account's default roles in a column `role`. */
  get defaultRolesSql(): string {
    if (this.isMariaDB) {
      return "SELECT default_role AS role FROM mysql.user WHERE User = ? AND Host = ? AND default_role <> ''";
    }
    return 'SELECT DEFAULT_ROLE_USER AS role FROM mysql.default_roles WHERE USER = ? AND HOST = ?';
  }

  /**
   * An account-management statement (CREATE/ALTER/DROP USER or ROLE, GRANT, REVOKE, SET DEFAULT
   * ROLE) as mysqlops runs it. MariaDB writes `IDENTIFIED BY '<plain text>'` verbatim into the binary
   * log (and refuses pre-hashed passwords while a password-check plugin is loaded), so there account
   * statements stay out of the binary log and each server is managed on its own, as the sandbox
   * already does for root. MySQL logs only password hashes, so its statements replicate unchanged.
   */
  accountStatement(sql: string): string {
    return this.isMariaDB ? `SET STATEMENT sql_log_bin=0 FOR ${sql}` : sql;
  }

  /** True when the server keeps an old and a new password at once (MySQL 8.0.14+; never MariaDB). */
  get supportsDualPassword(): boolean {
    return !this.isMariaDB && this.atLeast(8, 0, 14);
  }

  /** True when `PASSWORD EXPIRE INTERVAL n DAY` is understood (MariaDB 10.4.3+, MySQL 5.7.4+). */
  get supportsPasswordExpiry(): boolean {
    return this.isMariaDB ? this.atLeast(10, 4, 3) : this.atLeast(5, 7, 4);
  }

  /**
   * Set a new password. `retainCurrent` keeps the old one valid too (MySQL dual passwords) until
   * `discardOldPasswordSql`; on servers without dual passwords it is ignored.
   */
  setPasswordSql(quotedAccount: string, passwordLiteral: string, retainCurrent: boolean): string {
    const retain = retainCurrent && this.supportsDualPassword ? ' RETAIN CURRENT PASSWORD' : '';
    return `ALTER USER ${quotedAccount} IDENTIFIED BY ${passwordLiteral}${retain}`;
  }

  /** Drop the retained old password (MySQL 8.0.14+), or undefined where there is none to drop. */
  discardOldPasswordSql(quotedAccount: string): string | undefined {
    return this.supportsDualPassword ? `ALTER USER ${quotedAccount} DISCARD OLD PASSWORD` : undefined;
  }
}

export function parseVersion(versionString: string): ServerVersion {
  // MariaDB behind some proxies reports `5.5.5-10.11.2-MariaDB`; the real version follows the prefix.
  const cleaned = versionString.replace(/^5\.5\.5-/, '');
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(cleaned);
  if (!m) return { major: 0, minor: 0, patch: 0 };
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}
