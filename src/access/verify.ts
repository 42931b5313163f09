/**
 * `verifyAccess`: log in as each user of the access file, over TCP (TLS unless the check says
 * otherwise), run the allow/deny matrix and report every check. A check passes when the server's
 * answer matches: success (or a failure that is not about privileges, such as "unknown table" for
 * a DROP probe) is "allow"; an access-denied error is "deny". Errors that mean the check itself is
 * broken (unknown column, syntax) count as failures, so a typo cannot pass as "allowed".
 */
import mysql from 'mysql2/promise';
import { type Flavor, quoteId, resolveTarget } from '../db/index.js';
import type { Secret } from '../secret.js';
import type { AccessCheck, Expectation } from './checks.js';
import { DEFAULT_CHECKS } from './checks.js';
import type { CredentialStore } from './credentials.js';
import type { AccessSpec, UserSpec } from './spec.js';

/** Access-denied errors: database, login, table, column, global privilege, routine. */
const DENIED = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1410]);
/** Errors that mean the check's statement is wrong, not that it was allowed. */
const BROKEN = new Set([1049, 1054, 1064, 1146]);

/**
 * Options of `verifyAccess`: where to log in (over TCP, so host-based accounts match as in production), the
 * stored passwords and the server flavor.
 */
export interface VerifyAccessOptions {
  database: string;
  /** TCP endpoint of the server (the sandbox's, or DB_HOST/DB_PORT). */
  host: string;
  port: number;
  /** PEM of the CA that signed the server certificate: TLS logins verify it (verify-ca). */
  ca?: string;
  credentials: CredentialStore;
  flavor: Flavor;
  /** The matrix (default DEFAULT_CHECKS). Checks for users the file does not define are skipped. */
  checks?: readonly AccessCheck[];
  onCheck?: (result: CheckResult) => void;
}

/** The outcome of one AccessCheck; `ok` when the server did what the check expected. */
export interface CheckResult {
  user: string;
  description: string;
  expect: Expectation;
  /** What the server did: allow, deny, or error (the check could not be judged). */
  actual: Expectation | 'error' | 'skipped';
  ok: boolean;
  /** Server error number and words (redacted of values by the server's own message shape). */
  detail?: string;
}

/** The verify matrix as run: every check with its outcome and the totals; `ok` when none failed. */
export interface VerifyAccessResult {
  ok: boolean;
  checks: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

function errnoOf(err: unknown): number | undefined {
  const e = err as { errno?: unknown };
  return typeof e?.errno === 'number' ? e.errno : undefined;
}

function describe(err: unknown): string {
  const e = err as { errno?: number; code?: string; message?: string };
  return `${e.errno ?? e.code ?? ''} ${String(e.message ?? err).split('\n')[0]}`.trim();
}

async function connect(user: UserSpec, password: Secret, o: VerifyAccessOptions, tls: boolean) {
  const target = resolveTarget(
    {
      host: o.host,
      port: o.port,
      user: user.name,
      password,
      ssl: tls ? (o.ca ? { mode: 'verify-ca', ca: o.ca } : { mode: 'required' }) : { mode: 'disabled' },
    },
    undefined,
    false,
  );
  const { options } = target;
  return mysql.createConnection({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    ssl: options.ssl,
    connectTimeout: 10_000,
    multipleStatements: false,
  });
}

function render(sql: string, o: VerifyAccessOptions): string {
  return sql.replaceAll('{db}', quoteId(o.database)).replaceAll('{replicaStatus}', o.flavor.replicaStatusSql);
}

async function runStatement(
  conn: mysql.Connection,
  check: AccessCheck,
  o: VerifyAccessOptions,
): Promise<CheckResult> {
  const base = { user: check.user, description: check.description, expect: check.expect };
  let actual: CheckResult['actual'] = 'allow';
  let detail: string | undefined;
  try {
    if (check.rollback) await conn.query('START TRANSACTION');
    await conn.query(render(check.sql ?? '', o));
  } catch (err) {
    const errno = errnoOf(err);
    detail = describe(err);
    if (errno !== undefined && DENIED.has(errno)) actual = 'deny';
    else if (errno === undefined || BROKEN.has(errno)) actual = 'error';
  } finally {
    if (check.rollback) await conn.query('ROLLBACK').catch(() => undefined);
    for (const after of check.after ?? []) await conn.query(after).catch(() => undefined);
  }
  return { ...base, actual, ok: actual === check.expect, ...(detail ? { detail } : {}) };
}

async function runLogin(
  user: UserSpec,
  password: Secret,
  check: AccessCheck,
  o: VerifyAccessOptions,
): Promise<CheckResult> {
  const base = { user: check.user, description: check.description, expect: check.expect };
  try {
    const conn = await connect(user, password, o, check.login?.tls ?? true);
    await conn.end();
    return { ...base, actual: 'allow', ok: check.expect === 'allow' };
  } catch (err) {
    const actual = errnoOf(err) === 1045 ? 'deny' : 'error';
    return { ...base, actual, ok: actual === check.expect, detail: describe(err) };
  }
}

/**
 * Run the matrix as the users of `spec` (passwords from `credentials`). Never throws for a failed
 * check: every check is in the result, `ok` is false when any did not match.
 */
export async function verifyAccess(spec: AccessSpec, o: VerifyAccessOptions): Promise<VerifyAccessResult> {
  const checks = o.checks ?? DEFAULT_CHECKS;
  const results: CheckResult[] = [];
  const push = (r: CheckResult) => {
    results.push(r);
    o.onCheck?.(r);
  };
  const byUser = new Map<string, AccessCheck[]>();
  for (const c of checks) byUser.set(c.user, [...(byUser.get(c.user) ?? []), c]);
  for (const [key, list] of byUser) {
    const user = spec.users.find((u) => u.key === key);
    const password = user ? o.credentials.read(user.name) : undefined;
    if (!user || !password) {
      const why = user
        ? `no stored password for ${user.name} (run access apply or users rotate-password)`
        : `user ${key} is not in the access file`;
      for (const c of list) {
        push({
          user: key,
          description: c.description,
          expect: c.expect,
          actual: user ? 'error' : 'skipped',
          ok: !user,
          detail: why,
        });
      }
      continue;
    }
    for (const c of list.filter((x) => x.login)) push(await runLogin(user, password, c, o));
    const statements = list.filter((x) => !x.login);
    if (statements.length === 0) continue;
    let conn: mysql.Connection | undefined;
    try {
      conn = await connect(user, password, o, true);
    } catch (err) {
      for (const c of statements)
        push({
          user: key,
          description: c.description,
          expect: c.expect,
          actual: 'error',
          ok: false,
          detail: `login failed: ${describe(err)}`,
        });
      continue;
    }
    try {
      for (const c of statements) push(await runStatement(conn, c, o));
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  const skipped = results.filter((r) => r.actual === 'skipped').length;
  return { ok: failed === 0, checks: results, passed: results.length - failed - skipped, failed, skipped };
}
