/**
 * Password rotation. MySQL 8.0.14+ keeps the old password valid next to the new one
 * (`RETAIN CURRENT PASSWORD`) until `DISCARD OLD PASSWORD`, so clients can move over at leisure.
 * MariaDB has no dual passwords: the new password replaces the old one at once; sessions already
 * open stay up, new logins need the new password (see docs/security.md for the short window and
 * the two-account alternative).
 */
import type { DatabaseManager } from '../db/index.js';
import type { Secret } from '../secret.js';
import { type CredentialStore, generatePassword, passwordLiteral } from './credentials.js';
import { AccessError } from './errors.js';
import { quoteAccount } from './names.js';

/** Which account `rotatePassword` gives a new password, and where the password is stored. */
export interface RotatePasswordOptions {
  user: string;
  host: string;
  credentials: CredentialStore;
  /** Return the new password in the result (to show once). Default false. */
  showPassword?: boolean;
}

/**
 * The account whose password changed and the 0600 file holding the new one (`password` only with
 * `showPassword`).
 */
export interface RotatePasswordResult {
  user: string;
  host: string;
  file: string;
  /** True when the old password still works (MySQL dual passwords) until `discardOldPassword`. */
  oldPasswordRetained: boolean;
  password?: Secret;
}

const ER_CANNOT_USER = 1396;

/** Give `user@host` a new generated password and store it. The account must exist. */
export async function rotatePassword(
  db: DatabaseManager,
  o: RotatePasswordOptions,
): Promise<RotatePasswordResult> {
  const account = quoteAccount(o.user, o.host);
  await db.initialize();
  const flavor = db.flavor;
  const exists = await db.query('SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?', [o.user, o.host]);
  if (exists.length === 0) {
    throw new AccessError(`no account ${o.user}@${o.host} on the server`, {
      hint: 'create it with `mysqlops access apply`, or pass the right --host',
      exitCode: 2,
    });
  }
  const password = generatePassword();
  const staged = o.credentials.stage(o.user, password);
  try {
    await db.execute(
      flavor.accountStatement(flavor.setPasswordSql(account, passwordLiteral(password), true)),
    );
  } catch (err) {
    staged.abort();
    if ((err as { errno?: number }).errno === ER_CANNOT_USER)
      throw new AccessError(`cannot change the password of ${o.user}@${o.host}`, { cause: err });
    throw err;
  }
  staged.commit();
  return {
    user: o.user,
    host: o.host,
    file: staged.file,
    oldPasswordRetained: flavor.supportsDualPassword,
    ...(o.showPassword ? { password } : {}),
  };
}

/** End the dual-password window (MySQL). Returns false where the server has no old password to drop. */
export async function discardOldPassword(db: DatabaseManager, user: string, host: string): Promise<boolean> {
  const account = quoteAccount(user, host);
  await db.initialize();
  const sql = db.flavor.discardOldPasswordSql(account);
  if (!sql) return false;
  await db.execute(db.flavor.accountStatement(sql));
  return true;
}
