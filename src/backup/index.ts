/**
 * Backups: full logical backups taken from one consistent snapshot by parallel workers, compressed
 * (zstd or gzip) and optionally encrypted (AES-256-GCM, authenticated segments), described by a
 * manifest written last; verify, list and restore; incremental backups of the binary logs and
 * point-in-time recovery from them. This file is the folder's public face.
 */
export { type BackupFullOptions, type BackupResult, backupFull } from './backup-full.js';
export { BackupKey } from './crypto.js';
export { backupIncremental, type IncrementalResult } from './incremental.js';
export { type BackupListEntry, listBackups } from './list.js';
export { backupFolder } from './locate.js';
export { BACKUP_LOCK, withBackupLock } from './lock.js';
export { MANIFEST_FILE } from './manifest.js';
export {
  isIncrementalBackup,
  type PitrOptions,
  type PitrProgress,
  type PitrResult,
  type PitrTarget,
  parseRecoveryTime,
  pitrRestore,
} from './pitr.js';
export { type PruneOptions, type PruneResult, pruneBackups, recordVerification } from './prune.js';
export { type RestoreOptions, type RestoreResult, restore } from './restore.js';
export { type RestoreTestResult, restoreTest } from './restore-test.js';
export {
  backupJobs,
  type ScheduledFullResult,
  type ScheduledIncrementalResult,
  scheduledFull,
  scheduledIncremental,
} from './schedule.js';
export { backupSettings } from './settings.js';
export { decodeLine, LOAD_FORMAT, RowEncoder } from './tsv-encode.js';
export type {
  AccountDefinition,
  BackupProgress,
  BackupSettings,
  BinlogPoint,
  Compression,
  IncrementalInfo,
  Manifest,
  ManifestFile,
  ManifestTable,
  RestoreProgress,
  SnapshotInfo,
} from './types.js';
export {
  dumpUsers,
  type RestoreUsersOptions,
  type RestoreUsersResult,
  restoreUsers,
} from './users.js';
export { type VerifyProblem, type VerifyResult, verifyBackup } from './verify.js';
