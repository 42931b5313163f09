/**
 * Configuration, validated once at the edge: built-in defaults per environment, an optional
 * YAML/JSON file, environment variables; every problem reported together; the result deep-frozen,
 * with secrets kept as `Secret`.
 */

export type { HealthConfig, HealthThresholds } from '../monitor/config-schema.js';
export { Secret } from '../secret.js';
export { DatabaseConfig } from './database-config.js';
export { describeConfig } from './describe.js';
export { type LoadConfigOptions, loadConfig } from './load.js';
export { loadSandboxSettings } from './sandbox-settings.js';
export {
  type BackupConfig,
  type ConnectionConfig,
  ENVIRONMENTS,
  type EnvironmentName,
  type EtlConfig,
  type MonitoringConfig,
  type MysqlopsConfig,
  type PoolConfig,
  READ_YOUR_WRITES,
  type ReplicaConfig,
  ROUTING_DEFAULTS,
  ROUTING_MODES,
  type RoutingConfig,
  type SandboxConfig,
  type SslMode,
  type TransactionConfig,
} from './schema.js';
