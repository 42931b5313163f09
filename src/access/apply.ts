/**
 * `applyAccess`: converge the server to the access file. Plans (read-only), then runs each change's
 * statements in order: roles and users first, then revokes, grants, role memberships, default
 * roles, TLS and expiry. Idempotent: a second run finds nothing to do. Returns per-change results
 * instead of throwing half-way; the first failing change stops the run and is reported.
 */
import type { DatabaseManager } from '../db/index.js';
import type { Secret } from '../secret.js';
import { type CredentialStore, generatePassword, passwordLiteral } from './credentials.js';
import { quoteAccount } from './names.js';
import { type AccessChange, type AccessPlan, PASSWORD_PLACEHOLDER, planAccess, roleGrantee } from './plan.js';
import type { AccessSpec } from './spec.js';

/** Options of `applyAccess`. */
export interface ApplyAccessOptions {
  /** The database the file's table names refer to (DB_NAME). */
  database: string;
  /** Where generated passwords are stored. */
  credentials: CredentialStore;
  /** Return the generated passwords in the result, to be shown once (default false). */
  showPasswords?: boolean;
  /** Called before each change runs (for progress output). */
  onChange?: (change: AccessChange) => void;
}

/** An account `applyAccess` created, with where its generated password was stored. */
export interface CreatedAccount {
  user: string;
  host: string;
  /** The 0600 file holding the password. */
  file: string;
  /** Only with `showPasswords`. */
  password?: Secret;
}

/**
 * What `applyAccess` did. It stops at the first failing change (`failed`) instead of throwing, so `applied`
 * says exactly how far the server got.
 */
export interface ApplyAccessResult {
  database: string;
  applied: AccessChange[];
  warnings: string[];
  created: CreatedAccount[];
  /** The change that failed, with the error; later changes did not run. */
  failed?: { change: AccessChange; error: unknown };
}

/** Converge the server to `spec`. Read the result's `failed` before trusting `applied`. */
export async function applyAccess(
  db: DatabaseManager,
  spec: AccessSpec,
  options: ApplyAccessOptions,
): Promise<ApplyAccessResult> {
  const plan: AccessPlan = await planAccess(db, spec, options.database);
  const result: ApplyAccessResult = {
    database: plan.database,
    applied: [],
    warnings: plan.warnings,
    created: [],
  };
  for (const change of plan.changes) {
    options.onChange?.(change);
    try {
      if (change.account) {
        result.created.push(await createAccount(db, change, options));
      } else {
        for (const sql of change.sql) await db.execute(db.flavor.accountStatement(sql));
      }
      result.applied.push(change);
    } catch (error) {
      result.failed = { change, error };
      break;
    }
  }
  return result;
}

async function createAccount(
  db: DatabaseManager,
  change: AccessChange,
  options: ApplyAccessOptions,
): Promise<CreatedAccount> {
  const account = change.account as { user: string; host: string };
  const password = generatePassword();
  const staged = options.credentials.stage(account.user, password);
  try {
    for (const sql of change.sql)
      await db.execute(
        db.flavor.accountStatement(sql.replace(PASSWORD_PLACEHOLDER, passwordLiteral(password))),
      );
  } catch (err) {
    staged.abort();
    throw err;
  }
  staged.commit();
  return { ...account, file: staged.file, ...(options.showPasswords ? { password } : {}) };
}

/**
 * Drop the roles and users of `spec` (IF EXISTS) and their stored passwords. For tests and for
 * retiring a prefix; never called by apply.
 */
export async function dropAccess(
  db: DatabaseManager,
  spec: AccessSpec,
  credentials?: CredentialStore,
): Promise<void> {
  await db.initialize();
  for (const u of spec.users) {
    await db.execute(db.flavor.accountStatement(`DROP USER IF EXISTS ${quoteAccount(u.name, u.host)}`));
    credentials?.remove(u.name);
  }
  for (const r of spec.roles)
    await db.execute(db.flavor.accountStatement(`DROP ROLE IF EXISTS ${roleGrantee(db.flavor, r.name)}`));
}
