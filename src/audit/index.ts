/**
 * The audit trail's public face: `applyAudit` (triggers from audit_config), `verifyAudit` (the
 * hash chains), `queryAuditLog`, `purgeAudit`. Each takes an open DatabaseManager on the audited
 * database; nothing here prints. See docs/audit.md.
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
export { chainHashSql, GENESIS_HASH, HASHED_FIELDS } from './chain-hash.js';
export { type AuditConfigRow, readAuditConfig } from './config.js';
export { AUDIT_LOG_MAX_LIMIT, type AuditLogEntry, type AuditLogQuery, queryAuditLog } from './log.js';
export { type PurgeAuditOptions, type PurgeAuditResult, purgeAudit } from './purge.js';
export { type AuditEvent, buildTriggers, TRIGGER_MARKER, triggerName } from './trigger-sql.js';
export { type ChainBreak, type VerifyAuditOptions, type VerifyAuditResult, verifyAudit } from './verify.js';
