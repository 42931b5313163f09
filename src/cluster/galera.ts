/**
 * A Galera cluster of sandboxes: N MariaDB sandboxes `<name>-g1..gN` on loopback, each with its
 * wsrep settings in `conf.d/galera.cnf`. Node 1 bootstraps a new cluster (--wsrep-new-cluster); the
 * others join it and receive a state snapshot (SST, rsync) or, when they were only briefly away and
 * a donor's gcache still holds what they missed, an incremental state transfer (IST).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MysqlopsError, UsageError } from '../errors.js';
import {
  childEnv,
  destroySandbox,
  findServerBinary,
  type SandboxInfo,
  type SandboxProgress,
  sandboxConnection,
  sandboxPaths,
  sandboxStatus,
  startSandbox,
  stopSandbox,
  writeFileAtomic,
} from '../sandbox/index.js';
import { renderGaleraCnf, renderSstAuthCnf, type SstMethod } from './galera-cnf.js';
import {
  type GaleraManifest,
  type GaleraNodeEntry,
  nodeName,
  pickPorts,
  readManifest,
  removeManifest,
  validateClusterName,
  writeManifest,
} from './manifest.js';
import { readWsrepStatus, type WsrepStatus } from './node-status.js';

/** Where Debian/Ubuntu (galera-4), RHEL and tarball installs put the Galera provider library. */
export const PROVIDER_PATHS = [
  '/usr/lib/galera/libgalera_smm.so',
  '/usr/lib/libgalera_smm.so',
  '/usr/lib/galera-4/libgalera_smm.so',
  '/usr/lib64/galera-4/libgalera_smm.so',
  '/usr/lib64/galera/libgalera_smm.so',
];

/** Nodes a new cluster gets when `nodes` is not given: the smallest count that keeps quorum when one node fails. */
export const DEFAULT_NODES = 3;
/** The most nodes one cluster may have; a larger `nodes` is refused with a UsageError. */
export const MAX_NODES = 9;
/** A joiner may copy the whole data directory (SST) before it answers: give it longer than a start. */
export const DEFAULT_CLUSTER_TIMEOUT_MS = 180_000;

/** Which cluster to act on, and how: shared by start, stop, status and destroy (status ignores the progress and timeout). */
export interface GaleraClusterOptions {
  /** Cluster name (default 'galera'); the node sandboxes are `<name>-g1..gN`. At most 28 characters. */
  name?: string;
  /** Root directory; default `path.resolve('.mysqlops')`, as for sandboxes. */
  home?: string;
  /** Receives each step (node name in the message); the library never prints. */
  onProgress?: (e: SandboxProgress) => void;
  /** Bounds each node's start and the wait for Synced. Default 180 000 ms. */
  timeoutMs?: number;
}

/** One node of a cluster as last seen: its sandbox, its loopback ports and, when it answered, its wsrep state. */
export interface GaleraNodeInfo {
  /** 1-based position; node 1 bootstraps a new cluster. */
  index: number;
  /** The sandbox (state, pid, port, socket, directory). */
  sandbox: SandboxInfo;
  ports: GaleraNodeEntry['ports'];
  /** The node's wsrep status; undefined when it does not run or cannot be asked. */
  wsrep?: WsrepStatus;
}

/**
 * A cluster as its manifest records it plus each node's live state; returned by start, stop and
 * status. `sstMethod` is the snapshot transfer chosen when the cluster was created.
 */
export interface GaleraClusterInfo {
  name: string;
  kind: 'galera';
  sstMethod: SstMethod;
  nodes: GaleraNodeInfo[];
}

type Progress = (e: SandboxProgress) => void;
const noProgress: Progress = () => {};

function clusterError(message: string, hint?: string, cause?: unknown, exitCode: 1 | 2 = 1): MysqlopsError {
  return new MysqlopsError({ code: 'E_CLUSTER', message, hint, cause, exitCode });
}

/** The Galera provider library on this machine, or E_CLUSTER naming the package to install. */
export function findGaleraProvider(candidates: readonly string[] = PROVIDER_PATHS): string {
  const found = candidates.find((p) => fs.existsSync(p));
  if (found) return found;
  throw clusterError(
    'the Galera provider library (libgalera_smm.so) is not installed',
    `${process.getuid?.() === 0 ? '' : 'sudo '}apt-get install -y galera-4 (scripts/bootstrap.sh installs it)`,
    undefined,
    2,
  );
}

function inPath(program: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin'])) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, program), fs.constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * How a joiner receives its snapshot. rsync needs no account (the joiner runs an rsync daemon on its
 * SST port and the donor pushes its files), but an rsync daemon started by root drops to `nobody`
 * and then cannot write into the data directory: so as root, and whenever rsync is missing,
 * mariabackup (package mariadb-backup), which logs in to the donor with the account in
 * conf.d/galera-sst.cnf (0600).
 */
export function chooseSstMethod(
  has: (program: string) => boolean = inPath,
  root: boolean = process.getuid?.() === 0,
): SstMethod {
  const mariabackup = has('mariabackup') || has('mariadb-backup');
  if (has('rsync') && !(root && mariabackup)) return 'rsync';
  if (mariabackup) return 'mariabackup';
  throw clusterError(
    root
      ? 'mariabackup is not installed: as root, a joining Galera node needs it to receive a snapshot'
      : 'neither rsync nor mariabackup is installed: a joining Galera node cannot receive a snapshot',
    `apt-get install -y ${root ? 'mariadb-backup' : 'rsync'} (scripts/bootstrap.sh installs it)`,
    undefined,
    2,
  );
}

function nodeDir(home: string | undefined, name: string): string {
  return sandboxPaths({ home, name }).dir;
}

function confDir(home: string | undefined, name: string): string {
  return sandboxPaths({ home, name }).confDir;
}

function writeFile0600(file: string, text: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, text, mode);
}

/** Write every node's conf.d/galera.cnf (overwriting: the manifest is the source of truth). */
function writeNodeConfigs(home: string | undefined, m: GaleraManifest, provider: string): void {
  const peers = m.nodes.map((n) => n.ports.gcomm);
  for (const node of m.nodes) {
    const text = renderGaleraCnf({
      cluster: m.name,
      nodeName: node.name,
      index: node.index,
      ports: node.ports,
      peers,
      provider,
      sstMethod: m.sstMethod,
    });
    writeFile0600(path.join(confDir(home, node.name), 'galera.cnf'), text, 0o644);
  }
}

/**
 * Every node uses the same root password: a joiner's mysql.* tables are replaced by the donor's in
 * the snapshot, so a password of its own would stop working at its first SST. Node 1's is created
 * (0600) before the first start, copied to the other nodes, and, for mariabackup SST, written to each
 * node's conf.d/galera-sst.cnf (0600) as wsrep_sst_auth: the server hands it to the SST script in its
 * environment, never on a command line. (A joiner's init file sets that same password again:
 * harmless when Galera replicates it.)
 */
function sharePassword(home: string | undefined, m: GaleraManifest): void {
  const source = path.join(nodeDir(home, nodeName(m.name, 1)), 'root.password');
  if (!fs.existsSync(source)) writeFile0600(source, `${randomBytes(24).toString('base64url')}\n`);
  const password = fs.readFileSync(source, 'utf8');
  for (const node of m.nodes) {
    const dir = nodeDir(home, node.name);
    const target = path.join(dir, 'root.password');
    if (!fs.existsSync(target)) writeFile0600(target, password);
    const auth = path.join(confDir(home, node.name), 'galera-sst.cnf');
    if (m.sstMethod === 'mariabackup') writeFile0600(auth, renderSstAuthCnf('root', password.trim()));
    else fs.rmSync(auth, { force: true });
  }
}

interface GrState {
  seqno: number;
  safeToBootstrap: boolean;
}

/** The node's data/grastate.dat: the last committed seqno it knows, and whether it left last. */
export function readGrState(home: string | undefined, name: string): GrState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(nodeDir(home, name), 'data', 'grastate.dat'), 'utf8');
  } catch {
    return undefined;
  }
  const seqno = Number(/^seqno:\s*(-?\d+)/m.exec(text)?.[1] ?? -1);
  const safe = /^safe_to_bootstrap:\s*1/m.test(text);
  return { seqno, safeToBootstrap: safe };
}

/**
 * The node to bootstrap when none runs: the one that left last (safe_to_bootstrap: 1), else the one
 * with the highest seqno (after a crash of all nodes), else node 1 (a new cluster).
 */
export function bootstrapCandidate(states: ReadonlyArray<GrState | undefined>): {
  index: number;
  force: boolean;
} {
  const safe = states.findIndex((s) => s?.safeToBootstrap);
  if (safe >= 0) return { index: safe + 1, force: false };
  let best = -1;
  let bestSeqno = -2;
  states.forEach((s, i) => {
    if (s && s.seqno > bestSeqno) {
      best = i;
      bestSeqno = s.seqno;
    }
  });
  if (best < 0) return { index: 1, force: false };
  return { index: best + 1, force: true };
}

/** Mark a node safe to bootstrap (after every node crashed, Galera marks none). */
function forceSafeToBootstrap(home: string | undefined, name: string): void {
  const file = path.join(nodeDir(home, name), 'data', 'grastate.dat');
  const text = fs.readFileSync(file, 'utf8').replace(/^safe_to_bootstrap:\s*0/m, 'safe_to_bootstrap: 1');
  fs.writeFileSync(file, text);
}

function options(opts: GaleraClusterOptions): {
  name: string;
  home: string | undefined;
  progress: Progress;
  timeoutMs: number;
} {
  const name = opts.name ?? 'galera';
  validateClusterName(name);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CLUSTER_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new RangeError(`timeoutMs must be a positive number, got ${String(timeoutMs)}`);
  return { name, home: opts.home, progress: opts.onProgress ?? noProgress, timeoutMs };
}

function requireManifest(home: string | undefined, name: string): GaleraManifest {
  const m = readManifest(home, name);
  if (!m) {
    throw clusterError(
      `no Galera cluster named "${name}"`,
      `create it: mysqlops sandbox start --name ${name} --galera 3`,
      undefined,
      2,
    );
  }
  return m;
}

/** Whether a Galera cluster of this name exists under HOME (the CLI routes sandbox commands by it). */
export function galeraClusterExists(opts: { name: string; home?: string | undefined }): boolean {
  return readManifest(opts.home, opts.name) !== undefined;
}

/** The manifest, created (with fresh ports) when the cluster is new. */
async function ensureManifest(
  home: string | undefined,
  name: string,
  nodes: number,
  progress: Progress,
): Promise<GaleraManifest> {
  const existing = readManifest(home, name);
  if (existing) {
    if (existing.nodes.length !== nodes) {
      throw new UsageError(
        `Galera cluster "${name}" has ${existing.nodes.length} nodes, not ${nodes}`,
        `start it with --galera ${existing.nodes.length}, or destroy it first: mysqlops sandbox destroy --name ${name} --yes`,
      );
    }
    return existing;
  }
  for (let i = 1; i <= nodes; i++) {
    if ((await sandboxStatus({ home, name: nodeName(name, i) })).state !== 'absent') {
      throw new UsageError(
        `a sandbox named "${nodeName(name, i)}" already exists and is not part of a Galera cluster`,
        `choose another cluster name, or destroy it: mysqlops sandbox destroy --name ${nodeName(name, i)} --yes`,
      );
    }
  }
  const ports = await pickPorts(home, nodes * 4);
  const take = (i: number, k: number) => ports[i * 4 + k] as number;
  const m: GaleraManifest = {
    kind: 'galera',
    name,
    sstMethod: chooseSstMethod(),
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: nodeName(name, i + 1),
      index: i + 1,
      ports: { mysql: take(i, 0), gcomm: take(i, 1), ist: take(i, 2), sst: take(i, 3) },
    })),
    createdAt: new Date().toISOString(),
  };
  writeManifest(home, m);
  progress({
    step: 'config',
    message: `Galera cluster "${name}": ${nodes} nodes, SST by ${m.sstMethod}, ports ${m.nodes.map((n) => `${n.name} ${n.ports.mysql}/gcomm ${n.ports.gcomm}`).join(', ')}`,
  });
  return m;
}

/**
 * Start a Galera cluster of `nodes` sandboxes (default 3), creating it on first use, and wait until
 * every node is Synced in one Primary component of that size.
 *
 * Idempotent: running nodes are left alone; stopped ones join the running ones. When none runs, the
 * node that stopped last (safe_to_bootstrap in grastate.dat) bootstraps with --wsrep-new-cluster;
 * after a crash of all nodes, the one with the highest seqno (WARNING: writes that only another node
 * had are lost, as with any Galera bootstrap after a full crash).
 *
 * Throws E_CLUSTER when the provider library or an SST tool is missing, or a node does not reach
 * Synced in time; E_SANDBOX_START (from the sandbox) when a node's server does not start;
 * UsageError for a bad name or a node count that differs from the existing cluster's.
 *
 * @example
 * <!-- not-run: starts three MariaDB servers under ./.mysqlops (test/cluster/galera.test.ts runs this) -->
 * ```ts
 * const info = await startGaleraCluster({ name: 'demo', nodes: 3 });
 * info.nodes.map((n) => n.wsrep?.localState); // ['Synced', 'Synced', 'Synced']
 * ```
 */
export async function startGaleraCluster(
  opts: GaleraClusterOptions & { nodes?: number } = {},
): Promise<GaleraClusterInfo> {
  const { name, home, progress, timeoutMs } = options(opts);
  const nodes = opts.nodes ?? readManifest(home, name)?.nodes.length ?? DEFAULT_NODES;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new UsageError(
      `invalid Galera node count ${String(nodes)}`,
      `use 1 to ${MAX_NODES} (3 is the usual minimum for quorum)`,
    );
  }
  const binary = findServerBinary();
  if (binary.flavor !== 'mariadb') {
    throw clusterError(
      `Galera clusters need MariaDB; the server found is ${binary.flavor} ${binary.version}`,
      'install mariadb-server and galera-4',
      undefined,
      2,
    );
  }
  const provider = findGaleraProvider();
  const m = await ensureManifest(home, name, nodes, progress);
  writeNodeConfigs(home, m, provider);
  sharePassword(home, m);

  const running = await runningNodes(home, m);
  if (running.length === 0) {
    const { index, force } = bootstrapCandidate(m.nodes.map((n) => readGrState(home, n.name)));
    const first = m.nodes[index - 1] as GaleraNodeEntry;
    if (force) {
      progress({
        step: 'bootstrap',
        message: `no node left cleanly; bootstrapping from ${first.name}, the most advanced`,
      });
      forceSafeToBootstrap(home, first.name);
    }
    progress({
      step: 'bootstrap',
      message: `${first.name}: bootstrapping a new primary component (--wsrep-new-cluster)`,
    });
    await startNode(home, m, first, progress, timeoutMs, ['--wsrep-new-cluster']);
    await waitForNode(home, first, 1, timeoutMs);
  }
  for (const node of m.nodes) {
    const s = await sandboxStatus({ home, name: node.name });
    if (s.state === 'running') continue;
    const before = readGrState(home, node.name);
    progress({
      step: 'join',
      message: `${node.name}: joining (${before && before.seqno >= 0 ? `IST from seqno ${before.seqno} if a donor still has it, else SST` : `SST by ${m.sstMethod}`})`,
    });
    await startNode(home, m, node, progress, timeoutMs);
  }
  for (const node of m.nodes) await waitForNode(home, node, m.nodes.length, timeoutMs);
  return galeraClusterStatus({ name, home });
}

async function runningNodes(home: string | undefined, m: GaleraManifest): Promise<GaleraNodeEntry[]> {
  const out: GaleraNodeEntry[] = [];
  for (const node of m.nodes) {
    if ((await sandboxStatus({ home, name: node.name })).state === 'running') out.push(node);
  }
  return out;
}

/**
 * After a crash (SIGKILL, power cut) grastate.dat says seqno -1: the node does not know which
 * writesets it has and would ask for a full SST. `mariadbd --wsrep-recover` reads the position from
 * InnoDB and exits (what Debian's galera_recovery does for the systemd unit); the node then starts
 * with --wsrep_start_position, so a donor can send only what it missed (IST). Undefined when there
 * is nothing to recover or the run finds no position.
 */
export async function recoverStartPosition(
  home: string | undefined,
  node: string,
): Promise<string | undefined> {
  const state = readGrState(home, node);
  const dir = nodeDir(home, node);
  if (!state || state.seqno >= 0 || !fs.existsSync(path.join(dir, 'my.cnf'))) return undefined;
  const log = path.join(dir, 'tmp', `wsrep-recover-${process.pid}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true, mode: 0o700 });
  const args = [`--defaults-file=${path.join(dir, 'my.cnf')}`, '--wsrep-recover', `--log-error=${log}`];
  if (process.getuid?.() === 0) args.push('--user=root');
  await new Promise<void>((resolve) => {
    execFile(findServerBinary().server, args, { timeout: 120_000, env: childEnv() }, () => resolve());
  });
  let text = '';
  try {
    text = fs.readFileSync(log, 'utf8');
    fs.appendFileSync(path.join(dir, 'error.log'), text);
  } catch {
    return undefined;
  } finally {
    fs.rmSync(log, { force: true });
  }
  const m = /WSREP: Recovered position: ([0-9a-f-]{36}:-?\d+)/.exec(text);
  return m?.[1] && !m[1].endsWith(':-1') ? m[1] : undefined;
}

async function startNode(
  home: string | undefined,
  m: GaleraManifest,
  node: GaleraNodeEntry,
  progress: Progress,
  timeoutMs: number,
  serverArgs: string[] = [],
): Promise<SandboxInfo> {
  const args = [...serverArgs];
  if ((await sandboxStatus({ home, name: node.name })).state !== 'running') {
    const position = await recoverStartPosition(home, node.name);
    if (position) {
      progress({ step: 'recover', message: `${node.name}: recovered position ${position} after a crash` });
      args.push(`--wsrep_start_position=${position}`);
    }
  }
  return startSandbox({
    home,
    name: node.name,
    port: node.ports.mysql,
    timeoutMs,
    onProgress: (e) => progress({ step: e.step, message: `${node.name}: ${e.message}` }),
    ...(args.length > 0 ? { serverArgs: args } : {}),
  }).catch((err: unknown) => {
    if (err instanceof MysqlopsError) throw err;
    throw clusterError(`${node.name} of Galera cluster "${m.name}" did not start`, undefined, err);
  });
}

/** Poll until the node is Synced in a Primary component of at least `size` nodes. */
async function waitForNode(
  home: string | undefined,
  node: GaleraNodeEntry,
  size: number,
  timeoutMs: number,
): Promise<WsrepStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: WsrepStatus | undefined;
  let lastError: unknown;
  for (;;) {
    const conn = sandboxConnection({ home, name: node.name });
    try {
      last = conn ? await readWsrepStatus(conn) : undefined;
      if (last?.localState === 'Synced' && last.clusterStatus === 'Primary' && last.clusterSize >= size)
        return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const seen = last
    ? `state ${last.localState}, cluster ${last.clusterStatus}, size ${last.clusterSize}`
    : `no wsrep status${lastError instanceof Error ? ` (${lastError.message})` : ''}`;
  throw clusterError(
    `${node.name} did not become Synced in a Primary component of ${size} nodes within ${Math.round(timeoutMs / 1000)} s (last: ${seen})`,
    `read ${path.join(nodeDir(home, node.name), 'error.log')} (look for WSREP and SST lines)`,
    lastError,
  );
}

/**
 * Start one node of an existing cluster (e.g. after it was killed) and wait until it is Synced. It
 * rejoins by IST when a running donor's gcache still holds the writesets it missed, else by SST.
 * When no other node runs it bootstraps a new primary component instead.
 */
export async function startGaleraNode(
  opts: GaleraClusterOptions & { node: number },
): Promise<GaleraNodeInfo> {
  const { name, home, progress, timeoutMs } = options(opts);
  const m = requireManifest(home, name);
  const node = m.nodes.find((n) => n.index === opts.node);
  if (!node)
    throw new UsageError(
      `Galera cluster "${name}" has no node ${opts.node}`,
      `nodes are 1 to ${m.nodes.length}`,
    );
  const others = (await runningNodes(home, m)).filter((n) => n.index !== node.index);
  sharePassword(home, m);
  await startNode(
    home,
    m,
    node,
    progress,
    timeoutMs,
    others.length === 0 ? ['--wsrep-new-cluster'] : undefined,
  );
  await waitForNode(home, node, others.length + 1, timeoutMs);
  const info = await galeraClusterStatus({ name, home });
  return info.nodes.find((n) => n.index === node.index) as GaleraNodeInfo;
}

/** Each node's sandbox state and, when it runs, its wsrep status. Never starts or changes anything. */
export async function galeraClusterStatus(
  opts: Omit<GaleraClusterOptions, 'onProgress' | 'timeoutMs'> = {},
): Promise<GaleraClusterInfo> {
  const { name, home } = options(opts);
  const m = requireManifest(home, name);
  const nodes: GaleraNodeInfo[] = [];
  for (const node of m.nodes) {
    const sandbox = await sandboxStatus({ home, name: node.name });
    const info: GaleraNodeInfo = { index: node.index, sandbox, ports: node.ports };
    const conn = sandbox.state === 'running' ? sandboxConnection({ home, name: node.name }) : undefined;
    if (conn) {
      const wsrep = await readWsrepStatus(conn).catch(() => undefined);
      if (wsrep) info.wsrep = wsrep;
    }
    nodes.push(info);
  }
  return { name, kind: 'galera', sstMethod: m.sstMethod, nodes };
}

/**
 * Stop every node gracefully, the last node first, so node 1 leaves last and is the one marked safe
 * to bootstrap the next start.
 */
export async function stopGaleraCluster(opts: GaleraClusterOptions = {}): Promise<GaleraClusterInfo> {
  const { name, home, progress } = options(opts);
  const m = requireManifest(home, name);
  for (const node of [...m.nodes].reverse()) {
    await stopSandbox({
      home,
      name: node.name,
      onProgress: (e) => progress({ step: e.step, message: `${node.name}: ${e.message}` }),
    });
  }
  return galeraClusterStatus({ name, home });
}

/** Stop and delete every node's sandbox (data included) and the cluster manifest. WARNING: irreversible. */
export async function destroyGaleraCluster(opts: GaleraClusterOptions = {}): Promise<void> {
  const { name, home, progress } = options(opts);
  const m = readManifest(home, name);
  if (!m) return;
  for (const node of [...m.nodes].reverse()) {
    await destroySandbox({
      home,
      name: node.name,
      onProgress: (e) => progress({ step: e.step, message: `${node.name}: ${e.message}` }),
    });
  }
  removeManifest(home, name);
}
