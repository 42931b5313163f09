/**
 * The live web dashboard (`mysqlops serve`): health checks, server activity charts, top queries,
 * replication, backups, ETL and business KPIs on one page that refreshes itself; /metrics for
 * Prometheus. Loopback-only unless given credentials.
 */
export { type DashboardAuth, isLoopbackHost } from './auth.js';
export { type SeriesSnapshot, type StatusSample, StatusSampler } from './sampler.js';
export { type Dashboard, type DashboardOptions, startDashboard } from './server.js';
export type {
  BackupState,
  BackupSummary,
  DashboardHealth,
  DashboardHealthCheck,
  DashboardSources,
  EtlState,
  Kpis,
  ReplicationState,
  TopQueries,
  TopQueryRow,
} from './types.js';
