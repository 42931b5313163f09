/**
 * What one Galera node says about itself and the cluster: the wsrep status variables an operator
 * looks at first, read as root over the node's unix socket.
 */
import mysql from 'mysql2/promise';
import type { SandboxConnection } from '../sandbox/index.js';

/** The wsrep view of one running node. */
export interface WsrepStatus {
  /** Nodes in the component this node belongs to (wsrep_cluster_size). */
  clusterSize: number;
  /** `Primary` (has quorum, accepts writes), `non-Primary` or `Disconnected` (wsrep_cluster_status). */
  clusterStatus: string;
  /** `Synced`, `Donor/Desynced`, `Joining`, `Joined`, `Initialized`... (wsrep_local_state_comment). */
  localState: string;
  /** Share of time replication was paused by flow control since the last FLUSH STATUS, 0..1. */
  flowControlPaused: number;
  /** Seqno of the last writeset committed on this node (wsrep_last_committed). */
  lastCommitted: number;
  /** Average receive queue length since the last FLUSH STATUS (wsrep_local_recv_queue_avg). */
  recvQueueAvg: number;
  /** wsrep_ready: the node accepts queries. */
  ready: boolean;
  /** wsrep_connected: the provider is connected to the group. */
  connected: boolean;
  /** Client addresses of the members (wsrep_incoming_addresses). */
  incomingAddresses: string;
}

const NAMES = [
  'wsrep_cluster_size',
  'wsrep_cluster_status',
  'wsrep_local_state_comment',
  'wsrep_flow_control_paused',
  'wsrep_last_committed',
  'wsrep_local_recv_queue_avg',
  'wsrep_ready',
  'wsrep_connected',
  'wsrep_incoming_addresses',
];

/** A root session on the node's socket (the caller ends it). */
export function connectNode(conn: SandboxConnection, timeoutMs = 5000): Promise<mysql.Connection> {
  return mysql.createConnection({
    socketPath: conn.socket,
    user: conn.user,
    password: conn.password.reveal(),
    connectTimeout: timeoutMs,
  });
}

/** Parse SHOW STATUS rows into WsrepStatus; undefined when the server has no wsrep provider loaded. */
export function parseWsrepStatus(
  rows: ReadonlyArray<{ Variable_name: string; Value: unknown }>,
): WsrepStatus | undefined {
  const v = new Map(
    rows.map((r) => [r.Variable_name.toLowerCase(), r.Value === null ? '' : String(r.Value)]),
  );
  const size = v.get('wsrep_cluster_size');
  if (size === undefined || size === '') return undefined;
  const n = (k: string) => {
    const x = Number(v.get(k));
    return Number.isFinite(x) ? x : 0;
  };
  return {
    clusterSize: n('wsrep_cluster_size'),
    clusterStatus: v.get('wsrep_cluster_status') ?? '',
    localState: v.get('wsrep_local_state_comment') ?? '',
    flowControlPaused: n('wsrep_flow_control_paused'),
    lastCommitted: n('wsrep_last_committed'),
    recvQueueAvg: n('wsrep_local_recv_queue_avg'),
    ready: v.get('wsrep_ready') === 'ON',
    connected: v.get('wsrep_connected') === 'ON',
    incomingAddresses: v.get('wsrep_incoming_addresses') ?? '',
  };
}

/** The node's wsrep status, or undefined when wsrep is not active on it. */
export async function readWsrepStatus(conn: SandboxConnection): Promise<WsrepStatus | undefined> {
  const c = await connectNode(conn);
  try {
    const [rows] = await c.query(
      `SHOW GLOBAL STATUS WHERE Variable_name IN (${NAMES.map(() => '?').join(', ')})`,
      NAMES,
    );
    return parseWsrepStatus(rows as Array<{ Variable_name: string; Value: unknown }>);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}
