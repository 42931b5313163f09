/**
 * Drift between the access file and the server, as a list of changes each carrying the statements
 * that fix it. `planAccess` reads the server (SHOW GRANTS, SHOW CREATE USER, default roles) and
 * never changes it; `apply.ts` runs the statements.
 */
import type { DatabaseManager, Flavor } from '../db/index.js';
import { driverFields } from '../errors.js';
import { AccessError } from './errors.js';
import {
  type ActualGrants,
  desiredGrants,
  type GrantItem,
  grantKey,
  objectOf,
  parseShowGrants,
} from './grants.js';
import { quoteAccount, quoteRole } from './names.js';
import type { AccessSpec, GrantTarget, RoleSpec, UserSpec } from './spec.js';

/** The kind of an AccessChange, one per statement family the planner emits. */
export type ChangeKind =
  | 'create-role'
  | 'create-user'
  | 'grant'
  | 'revoke'
  | 'grant-role'
  | 'revoke-role'
  | 'default-role'
  | 'tls'
  | 'password-expiry';

/**
 * One difference between the access file and the server, with the statements that remove it. `planAccess`
 * lists them; `applyAccess` runs them in order.
 */
export interface AccessChange {
  kind: ChangeKind;
  /** The role or account, as SQL (`` `app_read` ``, `` `app_user`@`%` ``). */
  subject: string;
  /** What differs, for people: `SELECT ON `shop`.`orders``. */
  detail: string;
  /** The statements that fix it. A create-user change holds a placeholder for the password. */
  sql: string[];
  /** Set on create-user changes: apply generates and stores a password for it. */
  account?: { user: string; host: string };
}

/** What `planAccess` found for `database`, in the order the changes run. No changes: the server matches the file. */
export interface AccessPlan {
  database: string;
  changes: AccessChange[];
  /** Things skipped on purpose (optional tables that do not exist yet). */
  warnings: string[];
}

/** Placeholder shown instead of a password in planned statements. */
export const PASSWORD_PLACEHOLDER = "'<generated>'";

const ER_NONEXISTING_GRANT = 1141;

/** The grantee a role is addressed as: MariaDB roles have no host, MySQL roles are `name`@`%`. */
export function roleGrantee(flavor: Flavor, role: string): string {
  return flavor.isMariaDB ? quoteRole(role) : quoteAccount(role, '%');
}

async function showGrants(db: DatabaseManager, grantee: string): Promise<ActualGrants | undefined> {
  try {
    const rows = await db.query<Record<string, string>>(`SHOW GRANTS FOR ${grantee}`);
    return parseShowGrants(
      rows.map((r) => String(Object.values(r)[0])),
      grantee,
    );
  } catch (err) {
    if (driverFields(err).errno === ER_NONEXISTING_GRANT) return undefined;
    throw err;
  }
}

async function showCreateUser(db: DatabaseManager, account: string): Promise<string> {
  const rows = await db.query<Record<string, string>>(`SHOW CREATE USER ${account}`);
  return String(Object.values(rows[0] ?? {})[0] ?? '');
}

/** Tables (of `database` or named schemas) that exist, as `schema.table`. */
async function existingTables(db: DatabaseManager, spec: AccessSpec, database: string): Promise<Set<string>> {
  const schemas = new Set<string>([database]);
  for (const r of spec.roles)
    for (const g of r.grants) if (g.target.level === 'table' && g.target.schema) schemas.add(g.target.schema);
  const list = [...schemas];
  const rows = await db.query<{ s: string; t: string }>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${list.map(() => '?').join(', ')})`,
    list,
  );
  return new Set(rows.map((r) => `${r.s}.${r.t}`));
}

function groupGrants(items: GrantItem[], verb: 'GRANT' | 'REVOKE', grantee: string): string[] {
  const byObject = new Map<string, string[]>();
  for (const g of items) {
    // Privilege names come from our allow-list or the server's own listing; both are words only.
    if (!/^[A-Z][A-Z ]*$/.test(g.privilege))
      throw new AccessError(`unexpected privilege name ${JSON.stringify(g.privilege)}`);
    const list = byObject.get(g.object) ?? [];
    list.push(g.column === undefined ? g.privilege : `${g.privilege} (\`${g.column}\`)`);
    byObject.set(g.object, list);
  }
  const dir = verb === 'GRANT' ? 'TO' : 'FROM';
  return [...byObject].map(([object, privs]) => `${verb} ${privs.join(', ')} ON ${object} ${dir} ${grantee}`);
}

function grantChanges(kind: 'grant' | 'revoke', items: GrantItem[], grantee: string): AccessChange[] {
  return items.map((g) => ({
    kind,
    subject: grantee,
    detail: grantKey(g),
    sql: groupGrants([g], kind === 'grant' ? 'GRANT' : 'REVOKE', grantee),
  }));
}

function diffGrants(want: GrantItem[], have: GrantItem[]): { missing: GrantItem[]; extra: GrantItem[] } {
  const haveKeys = new Set(have.map(grantKey));
  const wantKeys = new Set(want.map(grantKey));
  return {
    missing: want.filter((g) => !haveKeys.has(grantKey(g))),
    extra: have.filter((g) => !wantKeys.has(grantKey(g))),
  };
}

function roleChanges(flavor: Flavor, grantee: string, want: string[], have: string[]): AccessChange[] {
  const out: AccessChange[] = [];
  for (const r of want.filter((x) => !have.includes(x))) {
    out.push({
      kind: 'grant-role',
      subject: grantee,
      detail: `role ${r}`,
      sql: [`GRANT ${roleGrantee(flavor, r)} TO ${grantee}`],
    });
  }
  for (const r of have.filter((x) => !want.includes(x))) {
    out.push({
      kind: 'revoke-role',
      subject: grantee,
      detail: `role ${r}`,
      sql: [`REVOKE ${roleGrantee(flavor, r)} FROM ${grantee}`],
    });
  }
  return out;
}

async function planRole(
  db: DatabaseManager,
  flavor: Flavor,
  role: RoleSpec,
  database: string,
  skip: (t: GrantTarget) => boolean,
) {
  const grantee = roleGrantee(flavor, role.name);
  const actual = await showGrants(db, grantee);
  const out: AccessChange[] = [];
  if (!actual)
    out.push({
      kind: 'create-role',
      subject: grantee,
      detail: 'role missing',
      sql: [`CREATE ROLE IF NOT EXISTS ${grantee}`],
    });
  const { missing, extra } = diffGrants(desiredGrants(role, database, flavor, skip), actual?.grants ?? []);
  // Grants left on an optional table that is missing right now are neither wanted nor revoked.
  const skippedObjects = new Set(
    role.grants.filter((g) => skip(g.target)).map((g) => objectOf(g.target, database)),
  );
  const revocable = extra.filter((g) => !skippedObjects.has(g.object));
  out.push(...grantChanges('grant', missing, grantee), ...grantChanges('revoke', revocable, grantee));
  out.push(...roleChanges(flavor, grantee, role.includes, actual?.roles ?? []));
  return out;
}

function expiryClause(days: number | undefined): string {
  return days === undefined ? 'PASSWORD EXPIRE DEFAULT' : `PASSWORD EXPIRE INTERVAL ${days} DAY`;
}

async function planUser(db: DatabaseManager, flavor: Flavor, user: UserSpec): Promise<AccessChange[]> {
  const account = quoteAccount(user.name, user.host);
  const actual = await showGrants(db, account);
  const out: AccessChange[] = [];
  const expiry = flavor.supportsPasswordExpiry ? ` ${expiryClause(user.passwordExpireDays)}` : '';
  if (!actual) {
    out.push({
      kind: 'create-user',
      subject: account,
      detail: 'user missing',
      sql: [
        `CREATE USER ${account} IDENTIFIED BY ${PASSWORD_PLACEHOLDER} REQUIRE ${user.requireTls ? 'SSL' : 'NONE'}${expiry}`,
      ],
      account: { user: user.name, host: user.host },
    });
  } else {
    const created = await showCreateUser(db, account);
    const tls = /\bREQUIRE SSL\b/.test(created);
    if (tls !== user.requireTls) {
      out.push({
        kind: 'tls',
        subject: account,
        detail: user.requireTls ? 'REQUIRE SSL missing' : 'REQUIRE SSL set but not wanted',
        sql: [`ALTER USER ${account} REQUIRE ${user.requireTls ? 'SSL' : 'NONE'}`],
      });
    }
    const m = /PASSWORD EXPIRE INTERVAL (\d+) DAY/.exec(created);
    const days = m?.[1] ? Number(m[1]) : undefined;
    if (flavor.supportsPasswordExpiry && days !== user.passwordExpireDays) {
      out.push({
        kind: 'password-expiry',
        subject: account,
        detail: `password expiry ${days ?? 'default'} days, want ${user.passwordExpireDays ?? 'default'}`,
        sql: [`ALTER USER ${account} ${expiryClause(user.passwordExpireDays)}`],
      });
    }
  }
  const { extra } = diffGrants([], actual?.grants ?? []);
  out.push(...grantChanges('revoke', extra, account));
  out.push(...roleChanges(flavor, account, user.roles, actual?.roles ?? []));
  const defaults = actual
    ? (await db.query<{ role: string }>(flavor.defaultRolesSql, [user.name, user.host])).map((r) => r.role)
    : [];
  if (defaults.length !== 1 || defaults[0] !== user.defaultRole) {
    out.push({
      kind: 'default-role',
      subject: account,
      detail: `default role ${defaults.join(', ') || 'none'}, want ${user.defaultRole}`,
      sql: [flavor.setDefaultRoleSql(roleGrantee(flavor, user.defaultRole), account)],
    });
  }
  return out;
}

/**
 * Compare the server with `spec` for `database` (the configured DB_NAME). Read-only. Only the roles
 * and users the file names are looked at; others on the server are not this file's business.
 * Grants on tables that do not exist fail with E_ACCESS, unless the grant is `optional` (then a
 * warning).
 */
export async function planAccess(
  db: DatabaseManager,
  spec: AccessSpec,
  database: string,
): Promise<AccessPlan> {
  await db.initialize();
  const flavor = db.flavor;
  const tables = await existingTables(db, spec, database);
  const warnings: string[] = [];
  const missing: string[] = [];
  const skipped = new Set<string>();
  for (const role of spec.roles) {
    for (const g of role.grants) {
      if (g.target.level !== 'table') continue;
      const name = `${g.target.schema ?? database}.${g.target.table}`;
      if (tables.has(name)) continue;
      if (g.optional) {
        if (!skipped.has(name))
          warnings.push(`${name} does not exist yet: grants on it skipped (role ${role.key})`);
        skipped.add(name);
      } else missing.push(`${name} (role ${role.key})`);
    }
  }
  if (missing.length > 0) {
    throw new AccessError(`the access file grants on tables that do not exist: ${missing.join(', ')}`, {
      hint: `run the migrations first (mysqlops migrate up), check DB_NAME (${database}), or mark the grant optional`,
      exitCode: 2,
    });
  }
  const skip = (t: GrantTarget) => t.level === 'table' && skipped.has(`${t.schema ?? database}.${t.table}`);
  const changes: AccessChange[] = [];
  for (const role of spec.roles) changes.push(...(await planRole(db, flavor, role, database, skip)));
  for (const user of spec.users) changes.push(...(await planUser(db, flavor, user)));
  return { database, changes: orderChanges(changes), warnings };
}

const ORDER: ChangeKind[] = [
  'create-role',
  'create-user',
  'revoke',
  'grant',
  'revoke-role',
  'grant-role',
  'default-role',
  'tls',
  'password-expiry',
];

function orderChanges(changes: AccessChange[]): AccessChange[] {
  return [...changes].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
}
