/**
 * Users and grants in a full backup (`backup full --users`), put back only when asked
 * (`restore --users`). Every account and role except the server's own (root, mariadb.sys, ...) is
 * kept as the server shows it: SHOW CREATE USER (with the password *hash*, never a password) and
 * SHOW GRANTS. They travel in the schema file, so they are encrypted like the data; neither the
 * statements nor their hashes are ever printed or put in an error message.
 *
 * Restoring creates what is missing (CREATE ... IF NOT EXISTS: an existing account keeps its
 * password and attributes) and applies every grant again (grants add, nothing is revoked).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { quoteAccount, quoteRole } from '../access/index.js';
import type { DatabaseManagerConfig } from '../db/index.js';
import { BackupError, driverFields } from '../errors.js';
import { readWhole } from './file-io.js';
import { openBackup } from './locate.js';
import { backupFailure, Session, targetOf } from './session.js';
import type { AccountDefinition, BackupSettings, SchemaDocument } from './types.js';

/** Accounts the server (or its packaging) owns; never dumped, never restored. */
const SYSTEM_USERS = new Set([
  'root',
  'mariadb.sys',
  'mysql.sys',
  'mysql.session',
  'mysql.infoschema',
  'debian-sys-maint',
  'PUBLIC',
]);

/** Account vanished between listing and reading it (1133 no such user, 1141 no grants for it). */
const GONE = new Set([1133, 1141, 1396]);

type Row = Record<string, unknown>;
const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));

/**
 * Every non-system account and role of the server with its CREATE statement and grants. Needs
 * SELECT on the mysql database (SHOW CREATE USER and SHOW GRANTS for other accounts require it). Throws E_BACKUP naming an account whose name
 * mysqlops does not quote (rather than leaving it out silently).
 */
export async function dumpUsers(s: Session): Promise<AccountDefinition[]> {
  const isRole = s.flavor.isMariaDB ? "is_role = 'Y'" : "'N' = 'Y'";
  const accounts = await s.rows<{ user: string; host: string; role: number }>(
    `SELECT CONVERT(User USING utf8mb4) AS user, CONVERT(Host USING utf8mb4) AS host, ${isRole} AS role
       FROM mysql.user ORDER BY role DESC, User, Host`,
  );
  const out: AccountDefinition[] = [];
  for (const a of accounts) {
    if (a.user === '' || SYSTEM_USERS.has(a.user)) continue;
    const role = Number(a.role) === 1;
    const name = accountSql(a.user, a.host, role);
    try {
      let create: string;
      if (role) create = `CREATE ROLE IF NOT EXISTS ${name}`;
      else {
        const [row] = await s.rows<Row>(`SHOW CREATE USER ${name}`);
        create = text(Object.values(row ?? {})[0]);
      }
      const grants = (await s.rows<Row>(`SHOW GRANTS FOR ${name}`)).map((r) => text(Object.values(r)[0]));
      out.push({ user: a.user, host: role ? '' : a.host, role, create, grants });
    } catch (err) {
      const errno = driverFields(err).errno;
      if (errno !== undefined && GONE.has(errno)) continue;
      throw backupFailure(`reading account ${a.user}@${a.host}`, err);
    }
  }
  return out;
}

function accountSql(user: string, host: string, role: boolean): string {
  try {
    return role ? quoteRole(user) : quoteAccount(user, host);
  } catch (err) {
    throw new BackupError({
      message: `cannot back up account ${JSON.stringify(user)}@${JSON.stringify(host)}: ${(err as Error).message}`,
      hint: 'rename or drop the account, or back up without --users',
      cause: err,
    });
  }
}

/** Options of `restoreUsers`. */
export interface RestoreUsersOptions {
  /** Only these accounts (`user@host`, or a role's name). Default: every account in the backup. */
  only?: readonly string[];
}

/**
 * What `restoreUsers` did, by `user@host` (or role name): an account in `locked` is in `created`
 * too, and `grants` counts the GRANT statements applied (for new and existing accounts alike).
 */
export interface RestoreUsersResult {
  /** Accounts and roles created (they did not exist). */
  created: string[];
  /** Accounts and roles that existed and kept their password; their grants were applied. */
  existing: string[];
  /**
   * Accounts created locked, without their password: the server refuses password hashes
   * (strict_password_validation with a validation plugin). Give them a password, then unlock them.
   */
  locked: string[];
  grants: number;
}

/**
 * Create the accounts and roles of backup `nameOrPath` (a full backup, or an incremental one: its
 * full backup) that are missing, then apply all their grants. Throws E_BACKUP (exit 2) when the
 * backup was taken without --users.
 */
export async function restoreUsers(
  config: DatabaseManagerConfig,
  settings: BackupSettings,
  nameOrPath: string,
  options: RestoreUsersOptions = {},
): Promise<RestoreUsersResult> {
  let opened = await openBackup(settings, nameOrPath);
  if (opened.manifest.type === 'incremental') {
    opened = await openBackup(
      settings,
      path.join(path.dirname(opened.dir), opened.manifest.incremental?.full ?? '?'),
    );
  }
  const { dir, manifest, key } = opened;
  const entry = manifest.files.find((f) => f.path === manifest.schemaFile);
  if (!entry) {
    throw new BackupError({
      code: 'E_BACKUP_CORRUPT',
      message: 'the manifest lists no schema file',
      file: 'manifest.json',
    });
  }
  const doc = JSON.parse(
    (await readWhole(dir, entry, { compression: manifest.compression, key })).toString('utf8'),
  ) as SchemaDocument;
  if (!Array.isArray(doc.users)) {
    throw new BackupError({
      message: `backup ${manifest.id} holds no users and grants (it was taken without --users)`,
      hint: 'restore without --users, or use a backup taken with backup full --users',
      exitCode: 2,
    });
  }
  const label = (a: AccountDefinition) => (a.role ? a.user : `${a.user}@${a.host}`);
  const wanted = options.only ? new Set(options.only) : undefined;
  const accounts = doc.users.filter((a) => !wanted || wanted.has(label(a)));
  const target = targetOf(config);
  const s = await Session.open(target.options, target);
  const result: RestoreUsersResult = { created: [], existing: [], locked: [], grants: 0 };
  try {
    // Roles first, then users: a grant of a role needs both ends to exist.
    for (const a of accounts) {
      accountSql(a.user, a.host, a.role);
      const [exists] = await s.rows('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [a.user, a.host]);
      if (exists) result.existing.push(label(a));
      else {
        try {
          await run(s, createIfMissing(a.create), `creating ${label(a)}`);
        } catch (err) {
          if (
            a.role ||
            !(err instanceof BackupError) ||
            !HASH_REFUSED.some((e) => err.message.includes(`error ${e} `))
          )
            throw err;
          // A random password nobody learns (validation plugins refuse none at all), and locked.
          const unknown = `${randomBytes(18).toString('base64url')}-Aa1!`;
          await run(
            s,
            `CREATE USER IF NOT EXISTS ${accountSql(a.user, a.host, false)} IDENTIFIED BY '${unknown}' ACCOUNT LOCK`,
            `creating ${label(a)}`,
          );
          result.locked.push(label(a));
        }
        result.created.push(label(a));
      }
    }
    for (const a of accounts) {
      for (const g of a.grants) {
        await run(s, withoutCredentials(g), `applying a grant of ${label(a)}`);
        result.grants++;
      }
    }
    return result;
  } finally {
    await s.close();
  }
}

/**
 * A password hash refused: ER_OPTION_PREVENTS_STATEMENT (strict_password_validation) or
 * ER_NOT_VALID_PASSWORD (a validation plugin, which cannot check a hash).
 */
const HASH_REFUSED = [1290, 1819];

/**
 * A SHOW GRANTS line without the credentials MariaDB appends to the USAGE line (`IDENTIFIED BY
 * PASSWORD '*…'`, `IDENTIFIED VIA plugin USING '…'`): the account was created with them already, and
 * re-stating a hash is what strict_password_validation refuses.
 */
export function withoutCredentials(grant: string): string {
  return grant.replace(/ IDENTIFIED BY PASSWORD '[^']*'/, '').replace(/ IDENTIFIED VIA .*?(?= WITH |$)/, '');
}

/** `CREATE USER x ...` as `CREATE USER IF NOT EXISTS x ...` (a role's statement already says so). */
function createIfMissing(create: string): string {
  return /^CREATE USER IF NOT EXISTS /i.test(create)
    ? create
    : create.replace(/^CREATE USER /i, 'CREATE USER IF NOT EXISTS ');
}

/** Run one account statement; a failure names the account but never quotes the statement (it may hold a hash). */
async function run(s: Session, sql: string, doing: string): Promise<void> {
  try {
    await s.run(sql);
  } catch (err) {
    const d = driverFields(err);
    throw new BackupError({
      message: `${doing} failed: error ${d.errno ?? '?'}${d.code ? ` (${d.code})` : ''}`,
      hint: 'the restoring account needs CREATE USER and the privileges it grants (WITH GRANT OPTION), or SUPER',
    });
  }
}
