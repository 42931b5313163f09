/**
 * Replica topologies: a primary sandbox with GTID replicas provisioned from a mysqlops backup, their
 * live status, and promotion of the most advanced replica when the primary is gone (or a forced
 * switchover). The topology record lives in `HOME/topology/NAME/topology.json`; `topologyPrimary()`
 * tells configuration code which sandbox is the primary now. This file is the folder's public face.
 */
export { ReplicationError } from './errors.js';
export { covers, describeMissing, laterOf, type MissingRange, missingTransactions } from './gtid-position.js';
export { type PromoteOptions, type PromoteResult, promote } from './promote.js';
export {
  destroyTopology,
  MAX_REPLICAS,
  replicaName,
  type StartTopologyOptions,
  startTopology,
  type TopologyProgress,
} from './provision.js';
export { type NodeStatus, type TopologyStatus, topologyStatus } from './status.js';
export {
  type NodeRole,
  type Promotion,
  REPLICATION_USER,
  readTopology,
  type TopologyNode,
  type TopologyRef,
  type TopologyState,
  topologyPaths,
  topologyPrimary,
} from './topology-file.js';
