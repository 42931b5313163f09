/**
 * The audit trail's public face: `applyAudit` (triggers from audit_config), `sealAudit` (chain
 * the rows into sealed blocks), `verifyAudit` (content hashes, blocks and the seal chain),
 * `queryAuditLog`, `purgeAudit`. Each takes an open DatabaseManager on the audited database;
 * nothing here prints. See docs/audit.md.
 */
export {
  type ApplyAuditOptions,
  type ApplyAuditResult,
  applyAudit,
  applyAuditIfInstalled,
  auditInstalled,
  type TriggerAction,
  type TriggerChange,
} from './apply.js';
export { type AuditConfigRow, readAuditConfig } from './config.js';
export { CONTENT_FIELDS, type ContentField, contentHashSql, storedContentHashSql } from './content-hash.js';
export { AUDIT_LOG_MAX_LIMIT, type AuditLogEntry, type AuditLogQuery, queryAuditLog } from './log.js';
export { type PurgeAuditOptions, type PurgeAuditResult, purgeAudit } from './purge.js';
export {
  type AuditSealStatus,
  auditSealStatus,
  latestSeal,
  type SealAuditOptions,
  type SealAuditResult,
  type SealedBlock,
  sealAudit,
} from './seal.js';
export { canonicalSealText, GENESIS_HASH, parseAnchor, type SealFields, sealHashOf } from './seal-hash.js';
export { DEFAULT_SEAL_LOCK_TIMEOUT_MS, sealLockName } from './seal-lock.js';
export { type AuditEvent, buildTriggers, TRIGGER_MARKER, triggerName } from './trigger-sql.js';
export {
  type AuditProblem,
  type AuditProblemKind,
  describeProblem,
  type VerifyAuditOptions,
  type VerifyAuditResult,
  verifyAudit,
} from './verify.js';
