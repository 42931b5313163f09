/**
 * The dashboard's data contract: what each panel shows, as the JSON the /api endpoints return,
 * and `DashboardSources`, the functions that produce it (the defaults read the server; callers and
 * tests may replace any of them).
 */

import type { CheckStatus } from '../monitor/index.js';

/** One health check row, as src/monitor's `runHealthChecks` reports it (any source must fit this). */
export interface DashboardHealthCheck {
  name: string;
  title: string;
  status: CheckStatus;
  value: unknown;
  unit?: string | undefined;
  threshold: unknown;
  hint: string;
}

/** The health panel of the dashboard: the overall status and each check. */
export interface DashboardHealth {
  at: Date | string;
  status: CheckStatus;
  checks: readonly DashboardHealthCheck[];
}

/** A statement in the top-queries table, costliest first. */
export interface TopQueryRow {
  /** The statement with literals replaced: never the values. */
  query: string;
  calls: number;
  totalMs: number;
  avgMs: number;
  /** MySQL 8 digests and this process's stats have it; MariaDB digests do not. */
  p95Ms?: number | null | undefined;
  rowsExamined?: number | undefined;
  rowsSent?: number | undefined;
  /** Executions that used no index. */
  fullScans?: number | undefined;
}

export interface TopQueries {
  /** Where the numbers come from: performance_schema digests, or this process's own statements. */
  source: string;
  rows: readonly TopQueryRow[];
  note?: string | undefined;
}

export type ReplicationState =
  | { role: 'not a replica' /** Replicas connected to this server. */; replicas: number }
  | {
      role: 'replica';
      channels: {
        name: string;
        source: string;
        ioRunning: boolean;
        sqlRunning: boolean;
        /** null when the SQL thread is not running: unknown, not zero. */
        lagSeconds: number | null;
        /** Transactions received but not applied (GTID); null when not measurable. */
        gtidGap: number | null;
        lastError: string | null;
      }[];
    };

/** The backup panel of the dashboard: what the backup folder holds, read from the manifests. */
export interface BackupState {
  /** Every backup folder found (complete or not). */
  count: number;
  latest: BackupSummary | null;
  /** The newest full backup that passed `backup verify`, which restore confidence rests on. */
  lastVerifiedFull: BackupSummary | null;
  recent: BackupSummary[];
}

export interface BackupSummary {
  id: string;
  type: 'full' | 'incremental' | null;
  complete: boolean;
  finishedAt: string | null;
  verifiedAt: string | null;
  bytes: number | null;
  rows: number | null;
  encrypted: boolean | null;
  problem: string | null;
}

export type EtlState =
  | { available: false; reason: string }
  | {
      available: true;
      changeLogRows: number;
      pipelines: {
        pipeline: string;
        built: boolean;
        pendingKeys: number;
        lastRunAt: string | null;
        lastFullAt: string | null;
      }[];
      runs: {
        runId: number;
        pipeline: string;
        mode: string;
        status: string;
        startedAt: string;
        finishedAt: string | null;
        rowsWritten: number;
        error: string | null;
      }[];
    };

/**
 * The business panels of the dashboard, read from the ETL summary tables; `available: false` (with the
 * reason) when those are missing or empty.
 */
export type Kpis =
  | { available: false; reason: string }
  | {
      available: true;
      /** Up to 30 days ending at the newest day in daily_sales_summary, oldest first. */
      revenueByDay: { date: string; netRevenue: number; orders: number }[];
      segments: { segment: string; customers: number; revenue: number }[];
      topProducts: { productId: number; name: string; revenue: number; unitsSold: number }[];
    };

/**
 * Where each panel's data comes from. Each function is called when a browser asks (results are
 * shared between requests arriving within a second or two), and may throw: the panel then shows
 * the error and the rest of the page carries on.
 */
export interface DashboardSources {
  health(): Promise<DashboardHealth>;
  topQueries(limit: number): Promise<TopQueries>;
  replication(): Promise<ReplicationState>;
  backups(): Promise<BackupState>;
  etl(): Promise<EtlState>;
  kpis(): Promise<Kpis>;
}
