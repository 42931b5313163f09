/**
 * mysqlops, the library: `import { DatabaseManager, DatabaseConfig } from 'mysqlops'`.
 */
export * from './access/index.js';
export * from './alert/index.js';
export * from './audit/index.js';
export * from './backup/index.js';
export * from './cluster/index.js';
export {
  DatabaseConfig,
  describeConfig,
  ENVIRONMENTS,
  type EnvironmentName,
  type LoadConfigOptions,
  loadConfig,
  type MysqlopsConfig,
  type ReplicaConfig,
  type RoutingConfig,
} from './config/index.js';
export {
  type BackupState as DashboardBackupState,
  type Dashboard,
  type DashboardAuth,
  type DashboardHealth,
  type DashboardOptions,
  type DashboardSources,
  type Kpis as DashboardKpis,
  startDashboard,
} from './dashboard/index.js';
// Both db and monitor name a HealthReport: the manager's liveness probe keeps the name, the
// health checks' report is exported as HealthCheckReport.
export type { HealthReport } from './db/index.js';
export * from './db/index.js';
export {
  BackupError,
  ConfigError,
  type ConfigIssue,
  ConnectError,
  type ErrorCode,
  MigrationError,
  MysqlopsError,
  PoolTimeoutError,
  QueryError,
  SeedError,
  UsageError,
} from './errors.js';
export * from './etl/index.js';
export * from './maintenance/index.js';
export * from './migrate/index.js';
export type { HealthReport as HealthCheckReport } from './monitor/index.js';
export * from './monitor/index.js';
export {
  createMetrics,
  HEALTH_STATUS_VALUE,
  type HealthSnapshot,
  METRICS_CONTENT_TYPE,
  type MetricsEndpoint,
  type MetricsOptions,
  type MetricsSource,
  type MetricsSources,
} from './monitor/metrics/index.js';
export {
  destroyTopology,
  type NodeStatus as TopologyNodeStatus,
  type PromoteOptions,
  type PromoteResult,
  promote,
  ReplicationError,
  readTopology,
  type StartTopologyOptions,
  startTopology,
  type TopologyNode,
  type TopologyProgress,
  type TopologyRef,
  type TopologyState,
  type TopologyStatus,
  topologyPrimary,
  topologyStatus,
} from './replication/index.js';
export {
  destroySandbox,
  type SandboxInfo,
  type SandboxOptions,
  type SandboxState,
  sandboxConnection,
  sandboxStatus,
  startSandbox,
  stopSandbox,
} from './sandbox/index.js';
export { Secret } from './secret.js';
export * from './seed/index.js';
export { type ServeEvent, type ServeHandle, type ServeOptions, startServe } from './serve/index.js';
export {
  type ConfigCheckReport,
  checkServerConfig,
  type RecommendedSetting,
  recommendServerConfig,
  type ServerConfigInput,
  type ServerConfigRecommendation,
  type SettingFinding,
  type StatusObservation,
} from './tuning/index.js';
