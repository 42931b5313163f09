/**
 * The default data sources (this server, this configuration), with any the caller gives instead,
 * each wrapped so that requests arriving together share one round of queries: five open tabs
 * polling every few seconds cost the server what one does.
 */
import type { MysqlopsConfig } from '../config/index.js';
import type { DatabaseManager } from '../db/index.js';
import { runHealthChecks } from '../monitor/index.js';
import { backupState } from './data/backups.js';
import { etlState } from './data/etl.js';
import { kpis } from './data/kpis.js';
import { topQueries } from './data/queries.js';
import { replicationState } from './data/replication.js';
import type { DashboardSources } from './types.js';

/** How long an answer is reused, per source: live data briefly, slow-moving data longer. */
const FRESH_MS: Record<keyof DashboardSources, number> = {
  health: 2000,
  topQueries: 2000,
  replication: 2000,
  backups: 5000,
  etl: 5000,
  kpis: 5000,
};

export function resolveSources(
  db: DatabaseManager,
  config: MysqlopsConfig,
  given: Partial<DashboardSources> = {},
): DashboardSources {
  const defaults: DashboardSources = {
    health: () => runHealthChecks(db, config),
    topQueries: (limit) => topQueries(db, limit),
    replication: () => replicationState(db),
    backups: () => backupState(config),
    etl: () => etlState(db),
    kpis: () => kpis(db),
  };
  const s = { ...defaults, ...given };
  return {
    health: shared(() => s.health(), FRESH_MS.health),
    topQueries: sharedBy((limit: number) => s.topQueries(limit), FRESH_MS.topQueries),
    replication: shared(() => s.replication(), FRESH_MS.replication),
    backups: shared(() => s.backups(), FRESH_MS.backups),
    etl: shared(() => s.etl(), FRESH_MS.etl),
    kpis: shared(() => s.kpis(), FRESH_MS.kpis),
  };
}

function shared<T>(fn: () => Promise<T>, freshMs: number): () => Promise<T> {
  const byKey = sharedBy((_: number) => fn(), freshMs);
  return () => byKey(0);
}

function sharedBy<T>(fn: (key: number) => Promise<T>, freshMs: number): (key: number) => Promise<T> {
  const entries = new Map<number, { at: number; value: Promise<T> }>();
  return (key) => {
    const hit = entries.get(key);
    if (hit && Date.now() - hit.at < freshMs) return hit.value;
    const value = fn(key);
    entries.set(key, { at: Date.now(), value });
    // A failure is not kept: the next request tries again.
    value.catch(() => {
      if (entries.get(key)?.value === value) entries.delete(key);
    });
    return value;
  };
}
