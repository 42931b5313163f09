/**
 * The declarative access file (`schemas/access.yaml`): its zod schema, the cross-checks zod cannot
 * express (roles referenced but not defined, privileges at the wrong level, unsafe names), and the
 * resolved form the planner works from. Every problem is reported with its path, all at once.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { isValidIdentifier } from '../db/index.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { yaml } from '../lazy-yaml.js';
import { accountNameProblem, hostProblem } from './names.js';

/** Privileges that only exist on `*.*`. SUPER, FILE, SHUTDOWN, CREATE USER, ALL are never accepted. */
export const GLOBAL_PRIVILEGES = [
  'PROCESS',
  'RELOAD',
  'REPLICATION CLIENT',
  'REPLICATION SLAVE',
  'BINLOG MONITOR',
  'SLAVE MONITOR',
  'REPLICA MONITOR',
  'SHOW DATABASES',
] as const;

/** Privileges on a whole schema (`*` or `schema.*`). */
export const SCHEMA_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'INDEX',
  'ALTER',
  'REFERENCES',
  'CREATE TEMPORARY TABLES',
  'LOCK TABLES',
  'EXECUTE',
  'CREATE VIEW',
  'SHOW VIEW',
  'CREATE ROUTINE',
  'ALTER ROUTINE',
  'EVENT',
  'TRIGGER',
] as const;

/** Privileges on one table or view. */
export const TABLE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'INDEX',
  'ALTER',
  'REFERENCES',
  'SHOW VIEW',
  'TRIGGER',
] as const;

/** Privileges that can be limited to columns. */
export const COLUMN_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'] as const;

const ALL_PRIVILEGES = new Set<string>([...GLOBAL_PRIVILEGES, ...SCHEMA_PRIVILEGES]);

const Grant = z.strictObject({
  on: z
    .union([z.string(), z.array(z.string()).min(1)])
    .describe("'*.*' global, '*' the configured database, 'table', 'schema.*' or 'schema.table'"),
  privileges: z.array(z.string()).min(1),
  columns: z.array(z.string()).min(1).optional().describe('limit the privileges to these columns'),
  optional: z
    .boolean()
    .optional()
    .describe('skip with a warning when the table does not exist yet (instead of failing)'),
});

const Role = z.strictObject({
  description: z.string().optional(),
  includes: z.array(z.string()).optional().describe('roles granted to this role'),
  grants: z.array(Grant).default([]),
});

const User = z.strictObject({
  description: z.string().optional(),
  host: z.string(),
  roles: z.array(z.string()).min(1),
  default_role: z.string(),
  require_tls: z.boolean(),
  password_expire_days: z.number().int().min(0).max(65535).optional().describe('0 or absent: never'),
});

const AccessFile = z.strictObject({
  version: z.literal(1),
  roles: z.record(z.string(), Role),
  users: z.record(z.string(), User),
});

export type AccessFileInput = z.input<typeof AccessFile>;

/** Where a grant applies, with `schema` undefined meaning "the configured database". */
export type GrantTarget =
  | { level: 'global' }
  | { level: 'schema'; schema: string | undefined }
  | { level: 'table'; schema: string | undefined; table: string };

export interface RoleGrant {
  target: GrantTarget;
  privileges: string[];
  columns: string[] | undefined;
  optional: boolean;
}

/** A role of the access file: the roles it includes and its grants. */
export interface RoleSpec {
  /** The name on the server (prefix applied). */
  name: string;
  /** The name in the file. */
  key: string;
  includes: string[];
  grants: RoleGrant[];
}

/**
 * A user of the access file as the server should have it: `name` is the server name (prefix applied), `key`
 * the name in the file; `passwordExpireDays` undefined means never.
 */
export interface UserSpec {
  name: string;
  key: string;
  host: string;
  roles: string[];
  defaultRole: string;
  requireTls: boolean;
  passwordExpireDays: number | undefined;
}

/**
 * An access file after validation (`loadAccessFile`, `resolveAccess`): role and user names already carry
 * `prefix`, and every reference between them is known to resolve.
 */
export interface AccessSpec {
  roles: RoleSpec[];
  users: UserSpec[];
  prefix: string;
}

/** Options of `loadAccessFile` and `resolveAccess`. */
export interface LoadAccessOptions {
  /**
   * Prepended to every role and user name (default none). Tests use a per-run prefix because
   * roles and users are server-global.
   */
  prefix?: string;
}

/** Parse an `on:` value into its level, or a problem in words. */
export function parseTarget(on: string): GrantTarget | string {
  if (on === '*.*') return { level: 'global' };
  if (on === '*') return { level: 'schema', schema: undefined };
  const parts = on.split('.');
  if (parts.length === 1 && isValidIdentifier(on)) return { level: 'table', schema: undefined, table: on };
  if (parts.length === 2 && parts[0] && isValidIdentifier(parts[0])) {
    if (parts[1] === '*') return { level: 'schema', schema: parts[0] };
    if (parts[1] && isValidIdentifier(parts[1])) return { level: 'table', schema: parts[0], table: parts[1] };
  }
  return "expected '*.*', '*', a table name, 'schema.*' or 'schema.table' (letters, digits, _ and $)";
}

function allowedAt(level: GrantTarget['level'], columns: boolean): readonly string[] {
  if (columns) return COLUMN_PRIVILEGES;
  if (level === 'global') return GLOBAL_PRIVILEGES;
  return level === 'schema' ? SCHEMA_PRIVILEGES : TABLE_PRIVILEGES;
}

/**
 * Validate a parsed access document and resolve it. Throws ConfigError (exit 2) with every problem,
 * each addressed by its path (`roles.app_read.grants.0.privileges.1`). `source` prefixes the paths.
 */
export function resolveAccess(doc: unknown, options: LoadAccessOptions = {}, source?: string): AccessSpec {
  const prefix = options.prefix ?? '';
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  const at = (path: (string | number)[], message: string) => {
    const issue = { path: `${source ? `${source}: ` : ''}${path.join('.')}`, message };
    // A grant over several tables would report the same privilege problem once per table.
    if (seen.has(`${issue.path}\n${message}`)) return;
    seen.add(`${issue.path}\n${message}`);
    issues.push(issue);
  };
  if (prefix && !/^[A-Za-z][A-Za-z0-9_]{0,11}$/.test(prefix)) {
    at(['prefix'], 'a prefix is 1-12 letters, digits or _, starting with a letter');
  }
  const parsed = AccessFile.safeParse(doc);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      if (iss.code === 'unrecognized_keys')
        for (const k of iss.keys) at([...iss.path.map(String), k], iss.message);
      else at(iss.path.map(String), iss.message);
    }
    throw new ConfigError(issues, 'correct the access file at the paths named');
  }
  const file = parsed.data;
  const roleKeys = new Set(Object.keys(file.roles));
  const roles: RoleSpec[] = [];
  for (const [key, role] of Object.entries(file.roles)) {
    const problem = accountNameProblem(prefix + key);
    if (problem) at(['roles', key], `invalid role name: ${problem}`);
    if (Object.hasOwn(file.users, key)) at(['roles', key], 'a role and a user cannot share a name');
    const includes = role.includes ?? [];
    includes.forEach((r, i) => {
      if (!roleKeys.has(r)) at(['roles', key, 'includes', i], `role "${r}" is referenced but not defined`);
      if (r === key) at(['roles', key, 'includes', i], 'a role cannot include itself');
    });
    const grants: RoleGrant[] = [];
    role.grants.forEach((g, gi) => {
      const ons = typeof g.on === 'string' ? [g.on] : g.on;
      const privileges = g.privileges.map((p) => p.trim().toUpperCase().replace(/\s+/g, ' '));
      ons.forEach((on, oi) => {
        const target = parseTarget(on);
        const onPath =
          typeof g.on === 'string'
            ? ['roles', key, 'grants', gi, 'on']
            : ['roles', key, 'grants', gi, 'on', oi];
        if (typeof target === 'string') {
          at(onPath, target);
          return;
        }
        if (g.columns && target.level !== 'table')
          at(['roles', key, 'grants', gi, 'columns'], 'columns need a table in `on`');
        const allowed = allowedAt(target.level, g.columns !== undefined);
        privileges.forEach((p, pi) => {
          if (!ALL_PRIVILEGES.has(p))
            at(['roles', key, 'grants', gi, 'privileges', pi], `unknown privilege "${g.privileges[pi]}"`);
          else if (!allowed.includes(p))
            at(
              ['roles', key, 'grants', gi, 'privileges', pi],
              `${p} cannot be granted ${g.columns ? 'on columns' : `at ${target.level} level`} (allowed: ${allowed.join(', ')})`,
            );
        });
        grants.push({ target, privileges, columns: g.columns, optional: g.optional === true });
      });
      g.columns?.forEach((c, ci) => {
        if (!isValidIdentifier(c))
          at(['roles', key, 'grants', gi, 'columns', ci], `invalid column name ${JSON.stringify(c)}`);
      });
    });
    roles.push({ name: prefix + key, key, includes: includes.map((r) => prefix + r), grants });
  }
  for (const role of Object.keys(file.roles))
    if (reachesItself(role, file.roles))
      at(['roles', role, 'includes'], 'roles include each other in a cycle');
  const users: UserSpec[] = [];
  for (const [key, user] of Object.entries(file.users)) {
    const problem = accountNameProblem(prefix + key);
    if (problem) at(['users', key], `invalid user name: ${problem}`);
    const hp = hostProblem(user.host);
    if (hp) at(['users', key, 'host'], `invalid host ${JSON.stringify(user.host)}: ${hp}`);
    user.roles.forEach((r, i) => {
      if (!roleKeys.has(r)) at(['users', key, 'roles', i], `role "${r}" is referenced but not defined`);
    });
    if (!user.roles.includes(user.default_role)) {
      at(['users', key, 'default_role'], `"${user.default_role}" is not one of the user's roles`);
    }
    users.push({
      name: prefix + key,
      key,
      host: user.host,
      roles: user.roles.map((r) => prefix + r),
      defaultRole: prefix + user.default_role,
      requireTls: user.require_tls,
      passwordExpireDays: user.password_expire_days || undefined,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'correct the access file at the paths named');
  return { roles, users, prefix };
}

function reachesItself(start: string, roles: Record<string, { includes?: string[] | undefined }>): boolean {
  const seen = new Set<string>();
  const stack = [...(roles[start]?.includes ?? [])];
  while (stack.length > 0) {
    const r = stack.pop() as string;
    if (r === start) return true;
    if (seen.has(r)) continue;
    seen.add(r);
    stack.push(...(roles[r]?.includes ?? []));
  }
  return false;
}

/** The default access file of this repository. */
export const DEFAULT_ACCESS_FILE = new URL('../../schemas/access.yaml', import.meta.url);

/** Read, parse and validate an access file (YAML or JSON). Throws ConfigError (exit 2). */
export function loadAccessFile(
  file: string | URL = DEFAULT_ACCESS_FILE,
  options: LoadAccessOptions = {},
): AccessSpec {
  const name = typeof file === 'string' ? file : file.pathname;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      { path: name, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` },
    ]);
  }
  let doc: unknown;
  try {
    doc = yaml().parse(text);
  } catch (err) {
    throw new ConfigError([
      { path: name, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` },
    ]);
  }
  return resolveAccess(doc, options, name);
}
