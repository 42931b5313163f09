/**
 * Monitoring: health checks (`runHealthChecks`, `mysqlops health`) and the analysis reports
 * (`mysqlops monitor queries|indexes|tables|connections|replication`). This file is the folder's
 * public face; see docs/monitoring.md.
 */
export {
  HEALTH_LEVELS,
  type HealthConfig,
  type HealthLevelName,
  type HealthThresholds,
  healthDefaults,
} from './config-schema.js';
export { connectionReport } from './connections.js';
export { countMysqlGtidSet, mariadbGtidGap } from './gtid.js';
export { runHealthChecks } from './health.js';
export { findRedundant, type IndexDef, type IndexReportOptions, indexReport } from './indexes.js';
export { judge, levelText, worst } from './levels.js';
export { topQueries } from './queries.js';
export { replicationReport } from './replication.js';
export {
  type PerformanceSchemaState,
  performanceSchemaOn,
  performanceSchemaState,
  SYSTEM_SCHEMAS,
} from './server-state.js';
export { tableReport } from './tables.js';
export type {
  CheckStatus,
  ConnectionGroup,
  ConnectionReport,
  HealthCheck,
  HealthOptions,
  HealthReport,
  IndexRef,
  IndexReport,
  OpenTransaction,
  QueryDigest,
  QueryReportOptions,
  RedundantIndex,
  ReplicaChannel,
  ReplicationReport,
  TableInfo,
  TableReport,
  TableReportOptions,
  TableWithoutPrimaryKey,
  UnusedIndex,
} from './types.js';
