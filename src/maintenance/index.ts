/**
 * Scheduled upkeep: table statistics (analyze), defragmentation (optimize) and binary log purging
 * bounded by the kept backups and connected replicas. This file is the folder's public face.
 */
export {
  type AnalyzeOptions,
  analyzeTables,
  needsAnalyze,
  type TableChangeStats,
  tableChangeStats,
  UNCHANGED_REASON,
} from './analyze.js';
export { type BackupBinlogInfo, type BinlogNeed, backupBinlogInfo } from './binlog-needs.js';
export { type BinlogPurgeOptions, purgeBinlogs, type ServerBinlogs, serverBinlogs } from './binlog-purge.js';
export { type MaintenanceConfig, maintenanceDefaults, maintenanceSchema } from './config-schema.js';
export { type OptimizeOptions, optimizeTables, type TableSpace, tableSpace } from './optimize.js';
export { type PartitionOptions, rotatePartitions } from './partitions.js';
export { applyRetention, type RetentionOptions } from './retention.js';
export {
  MaintenanceError,
  type MaintenanceOptions,
  maintenanceJobs,
  parseJobs,
  runMaintenance,
} from './run.js';
export {
  MAINTENANCE_JOBS,
  type MaintenanceAction,
  type MaintenanceFailure,
  type MaintenanceJobName,
  type MaintenanceReport,
  type MaintenanceRunOptions,
  type MaintenanceSkip,
} from './types.js';
