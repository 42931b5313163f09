/**
 * Passwords for the accounts the access file creates: generated from the system's CSPRNG, kept in
 * one 0600 file per user under a 0700 directory, written to a temporary name and renamed. They are
 * never logged and never passed on a command line; statements that carry them are reported as
 * their shape only (`IDENTIFIED BY ?`).
 */
import { randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Secret } from '../secret.js';
import { AccessError } from './errors.js';
import { quoteName } from './names.js';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
// No quote, backslash, backtick, space, `#` or `%`: safe in SQL literals, option files and URLs.
const SPECIAL = '-_.~+=^!';
const ALPHABET = UPPER + LOWER + DIGITS + SPECIAL;
const SAFE = /^[A-Za-z0-9\-_.~+=^!]{16,128}$/;

const pick = (chars: string) => chars[randomInt(chars.length)] as string;

/**
 * A password of `length` characters (default 28, ~170 bits) with at least one upper-case letter,
 * lower-case letter, digit and punctuation mark, so it satisfies simple_password_check and MySQL's
 * validate_password at MEDIUM/STRONG policy.
 */
export function generatePassword(length = 28): Secret {
  if (length < 16 || length > 128) throw new AccessError('password length must be 16-128');
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SPECIAL)];
  while (chars.length < length) chars.push(pick(ALPHABET));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return new Secret(chars.join(''));
}

/**
 * The password as a SQL string literal. Only our own alphabet is accepted, so no escaping is
 * needed and none can go wrong (a password from elsewhere is refused, not escaped).
 */
export function passwordLiteral(password: Secret): string {
  const text = password.reveal();
  if (!SAFE.test(text))
    throw new AccessError('refusing to put a password outside the generated alphabet into SQL');
  return `'${text}'`;
}

/** Where passwords live: `<dir>/<user>.password`. */
export class CredentialStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** The file for `user` (validated, so it cannot climb out of the directory). */
  fileFor(user: string): string {
    quoteName(user, 'user name');
    return path.join(this.dir, `${user}.password`);
  }

  /** The stored password, or undefined when there is none. */
  read(user: string): Secret | undefined {
    try {
      const text = fs.readFileSync(this.fileFor(user), 'utf8').trim();
      return text ? new Secret(text) : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AccessError(`cannot read the password file of ${user}`, { cause: err });
    }
  }

  /**
   * Write `password` to a temporary 0600 file next to the final one. Call `commit()` once the server
   * accepted it (rename into place) or `abort()` when it did not. The directory is made 0700.
   */
  stage(user: string, password: Secret): { file: string; commit: () => void; abort: () => void } {
    const file = this.fileFor(user);
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, `${password.reveal()}\n`, { mode: 0o600, flag: 'wx' });
    return {
      file,
      commit: () => fs.renameSync(tmp, file),
      abort: () => fs.rmSync(tmp, { force: true }),
    };
  }

  /** Remove the stored password of `user` (when the user is dropped). */
  remove(user: string): void {
    fs.rmSync(this.fileFor(user), { force: true });
  }
}
