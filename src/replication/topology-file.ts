/**
 * The topology state file and the replication account's password, both under
 * `HOME/topology/NAME/`: apart from the nodes' sandbox directories, so the record survives the loss
 * (or removal) of any one node, the first primary included.
 *
 *   topology.json          which sandbox is the primary now, every node's role and server_id, promotions
 *   replication.password   the replication account's password, 0600
 *
 * Synchronous on purpose (a few hundred bytes), so configuration code can find the current primary
 * without starting anything.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generatePassword } from '../access/credentials.js';
import { MysqlopsError } from '../errors.js';
import { NAME_PATTERN, NAME_RULE, writeFileAtomic } from '../sandbox/index.js';
import { Secret } from '../secret.js';
import { ReplicationError } from './errors.js';

/** The account replicas log in with: REPLICATION SLAVE only, from 127.0.0.1. */
export const REPLICATION_USER = 'mysqlops_repl';
export const REPLICATION_HOST = '127.0.0.1';

/** A node's part in the topology. `failed`: a former primary that was down when another was promoted. */
export type NodeRole = 'primary' | 'replica' | 'failed';

/** One node as the topology file records it (its role and server_id), not its live state (topologyStatus() reads that). */
export interface TopologyNode {
  /** Sandbox name of the node. */
  name: string;
  role: NodeRole;
  serverId: number;
  /** false while a new replica is being provisioned: a later start redoes it from scratch. */
  provisioned?: boolean;
}

export interface Promotion {
  at: string;
  from: string;
  to: string;
  /** The new primary's GTID position when it took over. */
  gtid: string;
  forced: boolean;
}

/**
 * The topology record, `HOME/topology/NAME/topology.json`: which node is the primary now, every
 * node, and the promotions so far. Times are ISO 8601 strings. It holds no password.
 */
export interface TopologyState {
  format: 1;
  /** The topology's name: the sandbox name of its first primary. */
  name: string;
  /** Sandbox name of the current primary. */
  primary: string;
  nodes: TopologyNode[];
  replicationUser: string;
  createdAt: string;
  updatedAt: string;
  promotions: Promotion[];
}

/** Names a replication topology; the base of every topology function's options. Both fields default. */
export interface TopologyRef {
  /** Topology name (the first primary's sandbox name); default 'default'. */
  name?: string;
  /** mysqlops home; default `path.resolve('.mysqlops')`, as for sandboxes. */
  home?: string;
}

export interface TopologyPaths {
  name: string;
  home: string;
  dir: string;
  stateFile: string;
  passwordFile: string;
  /** Provisioning backups (removed after each replica is provisioned). */
  backupDir: string;
}

export function topologyPaths(ref: TopologyRef): TopologyPaths {
  const name = ref.name ?? 'default';
  if (!NAME_PATTERN.test(name))
    throw new ReplicationError(`invalid topology name ${JSON.stringify(name)}`, {
      code: 'E_REPLICATION_NODE',
      hint: `use ${NAME_RULE}`,
    });
  const home = path.resolve(ref.home ?? '.mysqlops');
  const dir = path.join(home, 'topology', name);
  return {
    name,
    home,
    dir,
    stateFile: path.join(dir, 'topology.json'),
    passwordFile: path.join(dir, 'replication.password'),
    backupDir: path.join(dir, 'provision'),
  };
}

/** The recorded topology; undefined when none was created under this home and name. */
export function readTopology(ref: TopologyRef): TopologyState | undefined {
  const paths = topologyPaths(ref);
  let text: string;
  try {
    text = fs.readFileSync(paths.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ReplicationError(`cannot read ${paths.stateFile}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const state = JSON.parse(text) as TopologyState;
    if (state.format !== 1 || typeof state.primary !== 'string' || !Array.isArray(state.nodes))
      throw new Error('missing format, primary or nodes');
    return state;
  } catch (err) {
    throw new ReplicationError(`${paths.stateFile} is not a valid topology file`, {
      hint: 'repair it, or destroy the topology and create it again',
      cause: err,
    });
  }
}

/** The topology or E_REPLICATION_NODE (exit 2) naming where it was looked for. */
export function requireTopology(ref: TopologyRef): TopologyState {
  const state = readTopology(ref);
  if (state) return state;
  const paths = topologyPaths(ref);
  throw new ReplicationError(`no replica topology "${paths.name}" under ${paths.home}`, {
    code: 'E_REPLICATION_NODE',
    hint: `create one with: mysqlops sandbox start --name ${paths.name} --replicas 2`,
  });
}

export function writeTopology(ref: TopologyRef, state: TopologyState): void {
  const paths = topologyPaths(ref);
  writeAtomic(
    paths.stateFile,
    `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`,
    0o644,
  );
}

/**
 * The sandbox name of the topology's current primary, or undefined when there is no topology. For
 * configuration code that must connect to whichever node is the primary now.
 */
export function topologyPrimary(ref: TopologyRef): string | undefined {
  return readTopology(ref)?.primary;
}

/**
 * The replication account's password: the stored one, or a new one written 0600 (upper and lower
 * case, digits and punctuation: it passes the server's password-strength plugins).
 */
export function ensureReplicationPassword(ref: TopologyRef): Secret {
  const paths = topologyPaths(ref);
  try {
    const stored = fs.readFileSync(paths.passwordFile, 'utf8').trim();
    if (stored !== '') return new Secret(stored);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ReplicationError(`cannot read ${paths.passwordFile}: ${(err as Error).message}`, {
        cause: err,
      });
  }
  const password = generatePassword();
  writeAtomic(paths.passwordFile, `${password.reveal()}\n`, 0o600);
  return password;
}

/** Write through a temp name and rename (the sandbox's writer), creating the folder 0700. */
export function writeAtomic(file: string, data: string, mode: number): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, data, mode);
  } catch (err) {
    // writeFileAtomic's own errors already name the file.
    const reason =
      err instanceof MysqlopsError ? err.message : `cannot write ${file}: ${(err as Error).message}`;
    throw new ReplicationError(reason, {
      hint: `check that ${path.dirname(file)} is writable`,
      cause: err,
    });
  }
}
