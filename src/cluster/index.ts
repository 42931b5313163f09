/**
 * Multi-node topologies built from sandboxes. Today: a Galera cluster (`startGaleraCluster`), each
 * node a sandbox `<name>-g<i>` with its wsrep settings in conf.d/galera.cnf. This file is the folder's
 * public face; see docs/operations/scale-out.md ("Galera cluster").
 */
export {
  DEFAULT_CLUSTER_TIMEOUT_MS,
  DEFAULT_NODES,
  destroyGaleraCluster,
  findGaleraProvider,
  type GaleraClusterInfo,
  type GaleraClusterOptions,
  type GaleraNodeInfo,
  galeraClusterExists,
  galeraClusterStatus,
  MAX_NODES,
  startGaleraCluster,
  startGaleraNode,
  stopGaleraCluster,
} from './galera.js';
export {
  type GaleraNodePorts,
  LOCAL_GTID_DOMAIN_BASE,
  SERVER_ID_BASE,
  type SstMethod,
  WSREP_GTID_DOMAIN_ID,
} from './galera-cnf.js';
export { MAX_CLUSTER_NAME, nodeName as galeraNodeName } from './manifest.js';
export type { WsrepStatus } from './node-status.js';

/**
 * The MySQL error a Galera node returns when a transaction loses certification (another node
 * committed a conflicting change to the same rows first): ER_LOCK_DEADLOCK, errno 1213, SQLSTATE
 * 40001, "Deadlock found when trying to get lock; try restarting transaction". It is raised on the
 * COMMIT (or on the next statement when the transaction was aborted by a replicated writeset while
 * waiting). Retrying the whole transaction is safe: nothing of it was committed anywhere.
 */
export const GALERA_CERTIFICATION_ERROR = {
  code: 'ER_LOCK_DEADLOCK',
  errno: 1213,
  sqlState: '40001',
} as const;
