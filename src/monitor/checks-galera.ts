/**
 * Health checks of a Galera node (MariaDB Galera Cluster, Percona XtraDB Cluster), run only when
 * wsrep is on: cluster size against the expected node count, the node's state (Synced), the
 * component's status (Primary), flow control and the receive queue. All from SHOW GLOBAL STATUS and
 * two variables.
 */
import type { HealthThresholds } from './config-schema.js';
import { leveled, levelText, unknownCheck } from './levels.js';
import { num, type ServerValues } from './server-state.js';
import type { HealthCheck } from './types.js';

/** Nodes listed in a gcomm:// address (`gcomm://a:1,b:2,c:3?pc.wait_prim=no` is 3); 0 when none. */
export function gcommNodeCount(address: string | undefined): number {
  const m = /^gcomm:\/\/([^?]*)/.exec(address?.trim() ?? '');
  if (!m?.[1]) return 0;
  return m[1].split(',').filter((a) => a.trim() !== '').length;
}

/** True when the server runs with a Galera provider (wsrep_on=ON). */
export function wsrepOn(vars: ServerValues): boolean {
  return (vars.get('wsrep_on') ?? '').toUpperCase() === 'ON';
}

/** The variables galeraChecks needs (read them with readGlobalVariables). */
export const GALERA_VARIABLES = ['wsrep_on', 'wsrep_cluster_address'] as const;

/**
 * The Galera checks, or none when wsrep is off. `expected` overrides the node count taken from
 * wsrep_cluster_address.
 */
export function galeraChecks(
  status: ServerValues,
  vars: ServerValues,
  t: HealthThresholds,
  expected?: number,
): HealthCheck[] {
  if (!wsrepOn(vars)) return [];
  const want = expected ?? gcommNodeCount(vars.get('wsrep_cluster_address'));
  return [
    clusterSizeCheck(status, want),
    clusterStatusCheck(status),
    nodeStateCheck(status),
    flowControlCheck(status, t),
    recvQueueCheck(status, t),
  ];
}

function clusterSizeCheck(status: ServerValues, expected: number): HealthCheck {
  const base = { name: 'galera_cluster_size', title: 'Galera cluster size' };
  const size = num(status, 'wsrep_cluster_size');
  if (size === undefined) return unknownCheck(base, null, 'wsrep_cluster_size not readable');
  if (expected <= 0) {
    return {
      ...base,
      status: 'ok',
      value: size,
      threshold: 'expected size unknown (bootstrap address gcomm://)',
      hint: `${size} nodes in this node's component; set health option galeraExpectedNodes to judge it`,
    };
  }
  // Below the expected size the cluster lost redundancy; at half or less it lost its majority, so
  // one more failure (or a partition) leaves no Primary component.
  const quorum = size * 2 > expected;
  const status_ = size >= expected ? 'ok' : quorum ? 'warning' : 'critical';
  return {
    ...base,
    status: status_,
    value: size,
    threshold: `< ${expected} warning, <= ${Math.floor(expected / 2)} critical (no majority)`,
    hint:
      status_ === 'ok'
        ? `${size} of ${expected} nodes in the cluster`
        : `${size} of ${expected} nodes in the cluster: start the missing nodes (mysqlops sandbox status shows which); they rejoin by IST or SST`,
  };
}

function clusterStatusCheck(status: ServerValues): HealthCheck {
  const base = { name: 'galera_cluster_status', title: 'Galera component' };
  const value = status.get('wsrep_cluster_status');
  if (value === undefined) return unknownCheck(base, null, 'wsrep_cluster_status not readable');
  const primary = value === 'Primary';
  return {
    ...base,
    status: primary ? 'ok' : 'critical',
    value,
    threshold: 'not Primary: critical',
    hint: primary
      ? 'this node is in the Primary component and accepts writes'
      : `this node is ${value}: it refuses queries until it rejoins a Primary component; if no node is Primary, bootstrap the most advanced one (SET GLOBAL wsrep_provider_options='pc.bootstrap=YES')`,
  };
}

function nodeStateCheck(status: ServerValues): HealthCheck {
  const base = { name: 'galera_node_state', title: 'Galera node state' };
  const state = status.get('wsrep_local_state_comment');
  if (state === undefined) return unknownCheck(base, null, 'wsrep_local_state_comment not readable');
  // A donor (or a node desynced on purpose) still serves reads but may lag; joining nodes do not serve.
  const level =
    state === 'Synced' ? 'ok' : state.startsWith('Donor') || state === 'Joined' ? 'warning' : 'critical';
  return {
    ...base,
    status: level,
    value: state,
    threshold: 'Donor/Desynced or Joined: warning, other than Synced: critical',
    hint:
      level === 'ok'
        ? 'the node is Synced: it applies every writeset as it commits'
        : `the node is ${state}: ${level === 'warning' ? 'it is serving a state transfer or catching up' : 'it is not in sync with the cluster; read its error log (WSREP lines)'}`,
  };
}

function flowControlCheck(status: ServerValues, t: HealthThresholds): HealthCheck {
  const base = { name: 'galera_flow_control', title: 'Galera flow control paused', unit: '%' };
  const paused = num(status, 'wsrep_flow_control_paused');
  if (paused === undefined)
    return unknownCheck(
      base,
      levelText('galeraFlowControlPausedPct', t, '%'),
      'wsrep_flow_control_paused not readable',
    );
  return leveled(base, paused * 100, 'galeraFlowControlPausedPct', t, (s) =>
    s === 'ok'
      ? 'replication was rarely paused by flow control (since the last FLUSH STATUS)'
      : 'a slow node makes the whole cluster wait: find the node with the longest receive queue, check its disk and wsrep_slave_threads',
  );
}

function recvQueueCheck(status: ServerValues, t: HealthThresholds): HealthCheck {
  const base = { name: 'galera_recv_queue', title: 'Galera receive queue (average)' };
  const avg = num(status, 'wsrep_local_recv_queue_avg');
  if (avg === undefined)
    return unknownCheck(base, levelText('galeraRecvQueueAvg', t), 'wsrep_local_recv_queue_avg not readable');
  return leveled(base, avg, 'galeraRecvQueueAvg', t, (s) =>
    s === 'ok'
      ? 'this node applies writesets as fast as they arrive'
      : 'writesets wait to be applied here: this node is slower than the others (disk, CPU, too few wsrep_slave_threads) and triggers flow control',
  );
}
