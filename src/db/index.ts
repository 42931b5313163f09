/** The connection manager applications import; see database-manager.ts. */

export { type ConnectTarget, connectErrorFor } from './connect-error.js';
export {
  type ConnectionInput,
  type ReplicaInput,
  type ResolvedTarget,
  resolveTarget,
} from './connection-target.js';
export { ContextualDatabase } from './contextual-database.js';
export {
  DatabaseManager,
  type DatabaseManagerConfig,
  type DatabaseManagerEvents,
  type DatabaseManagerOptions,
  type HealthReport,
  type Logger,
  primaryOnly,
  type ServerInfo,
} from './database-manager.js';
export { Flavor, type FlavorKind, type ServerVersion } from './flavor.js';
export { isValidIdentifier, quoteId } from './identifier.js';
export type { RoutingMode } from './node-health.js';
export type { PoolStats } from './pool.js';
export type { ShapeSummary } from './query-stats.js';
export type { ExecuteResult } from './results.js';
export type { RoutingStats } from './router.js';
export { isWriterRefusal, PrimaryUnavailableError } from './routing-errors.js';
export type { Params, StatementOptions } from './run-statement.js';
export type { Session } from './session.js';
export {
  APP_REQUEST_ID_VARIABLE,
  APP_USER_VARIABLE,
  type SessionContext,
} from './session-context.js';
export { isReadOnlyStatement, isReplicaSafeRead, sqlShape } from './sql-shape.js';
export type { Transaction, TransactionOptions } from './transaction.js';
