/**
 * Access control: the declarative access file (roles, users, grants), converging the server to it
 * (apply), drift (diff), the allow/deny matrix run as each user (verify), and passwords.
 */
export {
  type ApplyAccessOptions,
  type ApplyAccessResult,
  applyAccess,
  type CreatedAccount,
  dropAccess,
} from './apply.js';
export { type AccessCheck, DEFAULT_CHECKS, type Expectation, PROBE_TABLE } from './checks.js';
export { CredentialStore, generatePassword } from './credentials.js';
export { AccessError } from './errors.js';
export { type GrantItem, parseShowGrants } from './grants.js';
export { accountNameProblem, hostProblem, quoteAccount, quoteName, quoteRole } from './names.js';
export { type AccessChange, type AccessPlan, type ChangeKind, planAccess } from './plan.js';
export {
  discardOldPassword,
  type RotatePasswordOptions,
  type RotatePasswordResult,
  rotatePassword,
} from './rotate.js';
export {
  type AccessSpec,
  DEFAULT_ACCESS_FILE,
  type LoadAccessOptions,
  loadAccessFile,
  type RoleSpec,
  resolveAccess,
  type UserSpec,
} from './spec.js';
export {
  type CheckResult,
  type VerifyAccessOptions,
  type VerifyAccessResult,
  verifyAccess,
} from './verify.js';
