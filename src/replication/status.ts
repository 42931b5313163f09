/**
 * `topologyStatus()`: every node of a topology with its role, port, replica threads, lag and GTID
 * position, read live from each running node. Read-only.
 */
import type { SandboxState } from '../sandbox/index.js';
import { sandboxConnection } from '../sandbox/index.js';
import { type NodeReport, nodeState, readNode, withNode } from './node.js';
import { type NodeRole, type Promotion, requireTopology, type TopologyRef } from './topology-file.js';

/**
 * One node of a topology as `topologyStatus()` reads it live. `readOnly`, `gtid` and the replica
 * fields are null when the node does not run, or runs but could not be read (then `error` says why);
 * the replica fields (`source`, threads, lag, `received`, `lastError`) are also null on a node that
 * does not replicate, such as the primary.
 */
export interface NodeStatus {
  /** Sandbox name. */
  name: string;
  role: NodeRole;
  /** Sandbox state: running, stopped, crashed or absent. */
  state: SandboxState;
  host: '127.0.0.1';
  port: number | null;
  serverId: number;
  readOnly: boolean | null;
  /** gtid_current_pos: every transaction this node holds. Null when it does not run. */
  gtid: string | null;
  /** Replicas: the source's node name (or `127.0.0.1:PORT` when it is not a node of the topology). */
  source: string | null;
  ioRunning: boolean | null;
  sqlRunning: boolean | null;
  /** Seconds_Behind_Master; null when not a replica or the SQL thread does not run. */
  lagSeconds: number | null;
  /** GTIDs received into the relay log (Gtid_IO_Pos). */
  received: string | null;
  lastError: string | null;
  /** Why the node could not be read, when it runs but did not answer. */
  error?: string;
}

/** The live state of a whole topology: what `topologyStatus()` and `startTopology()` return; nodes in the order of the topology file. */
export interface TopologyStatus {
  name: string;
  /** Sandbox name of the current primary. */
  primary: string;
  nodes: NodeStatus[];
  promotions: Promotion[];
}

/** The live state of topology `ref` (E_REPLICATION_NODE, exit 2, when there is none). */
export async function topologyStatus(ref: TopologyRef & { home: string }): Promise<TopologyStatus> {
  const state = requireTopology(ref);
  const ports = new Map<number, string>();
  for (const n of state.nodes) {
    const port = sandboxConnection({ home: ref.home, name: n.name })?.port;
    if (port !== undefined) ports.set(port, n.name);
  }
  const nodes = await Promise.all(
    state.nodes.map(async (n): Promise<NodeStatus> => {
      const base: NodeStatus = {
        name: n.name,
        role: n.role,
        state: await nodeState(ref.home, n.name),
        host: '127.0.0.1',
        port: sandboxConnection({ home: ref.home, name: n.name })?.port ?? null,
        serverId: n.serverId,
        readOnly: null,
        gtid: null,
        source: null,
        ioRunning: null,
        sqlRunning: null,
        lagSeconds: null,
        received: null,
        lastError: null,
      };
      if (base.state !== 'running') return base;
      let report: NodeReport;
      try {
        report = await withNode(ref.home, n.name, readNode);
      } catch (err) {
        return { ...base, error: err instanceof Error ? err.message : String(err) };
      }
      const r = report.replica;
      return {
        ...base,
        serverId: report.serverId,
        readOnly: report.readOnly,
        gtid: report.gtidCurrentPos,
        source: r?.sourcePort ? (ports.get(r.sourcePort) ?? `127.0.0.1:${r.sourcePort}`) : null,
        ioRunning: r ? r.ioRunning : null,
        sqlRunning: r ? r.sqlRunning : null,
        lagSeconds: r ? r.lagSeconds : null,
        received: r ? r.received : null,
        lastError: r ? (r.lastSqlError ?? r.lastIoError) : null,
      };
    }),
  );
  return { name: state.name, primary: state.primary, nodes, promotions: state.promotions };
}
