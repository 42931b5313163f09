/**
 * Replication state for the dashboard, from src/monitor's replication report: this server's
 * channels when it is a replica (threads, lag, GTID gap, last error), else 'not a replica' with
 * the number of replicas connected to it.
 */
import type { DatabaseManager } from '../../db/index.js';
import { replicationReport } from '../../monitor/index.js';
import type { ReplicationState } from '../types.js';

export async function replicationState(db: DatabaseManager): Promise<ReplicationState> {
  const r = await replicationReport(db);
  if (r.channels.length === 0) return { role: 'not a replica', replicas: r.replicas.length };
  return {
    role: 'replica',
    channels: r.channels.map((c) => ({
      name: c.channel,
      source: c.sourceHost === null ? '' : `${c.sourceHost}:${c.sourcePort ?? ''}`,
      ioRunning: c.ioRunning,
      sqlRunning: c.sqlRunning,
      lagSeconds: c.lagSeconds,
      gtidGap: c.gtidGap,
      lastError: c.lastIoError ?? c.lastSqlError,
    })),
  };
}
