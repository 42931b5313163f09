/**
 * mysqlops, the library: `import { DatabaseManager, DatabaseConfig } from 'mysqlops'`.
 */
export * from './access/index.js';
export * from './audit/index.js';
export * from './backup/index.js';
export {
  DatabaseConfig,
  describeConfig,
  ENVIRONMENTS,
  type EnvironmentName,
  type LoadConfigOptions,
  loadConfig,
  type MysqlopsConfig,
} from './config/index.js';
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
export * from './migrate/index.js';
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
