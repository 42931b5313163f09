/**
 * The cluster manifest, `HOME/cluster/NAME/galera.json`: which sandboxes form the cluster and the
 * loopback ports each uses. Written once when the cluster is created, so a restart reuses the same
 * ports (every node's cluster address lists the others' gcomm ports).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MysqlopsError, UsageError } from '../errors.js';
import { NAME_PATTERN, NAME_RULE, writeFileAtomic } from '../sandbox/index.js';
import { pickFreePort, recordedPorts } from '../sandbox/ports.js';
import type { GaleraNodePorts, SstMethod } from './galera-cnf.js';

export interface GaleraNodeEntry {
  /** The node's sandbox name: `<cluster>-g<index>`. */
  name: string;
  index: number;
  ports: GaleraNodePorts;
}

export interface GaleraManifest {
  kind: 'galera';
  name: string;
  sstMethod: SstMethod;
  nodes: GaleraNodeEntry[];
  createdAt: string;
}

/** Node names append `-g<N>` to the cluster name, and a sandbox name has at most 32 characters. */
export const MAX_CLUSTER_NAME = 28;

export function validateClusterName(name: string): void {
  if (!NAME_PATTERN.test(name) || name.length > MAX_CLUSTER_NAME) {
    throw new UsageError(
      `invalid cluster name ${JSON.stringify(name)}`,
      `use ${NAME_RULE}, at most ${MAX_CLUSTER_NAME} characters (node names add "-g1", "-g2", ...)`,
    );
  }
}

/**
 * The sandbox name of node `index` (1-based) of Galera cluster `cluster`: `<cluster>-g<index>`.
 * Use it to reach one node with the sandbox functions (sandboxConnection, sandboxStatus).
 */
export function nodeName(cluster: string, index: number): string {
  return `${cluster}-g${index}`;
}

export function clusterHome(home: string | undefined): string {
  return path.resolve(home ?? '.mysqlops');
}

function manifestFile(home: string | undefined, name: string): string {
  return path.join(clusterHome(home), 'cluster', name, 'galera.json');
}

export function clusterDir(home: string | undefined, name: string): string {
  return path.dirname(manifestFile(home, name));
}

/** The manifest, or undefined when no Galera cluster of that name exists under HOME. */
export function readManifest(home: string | undefined, name: string): GaleraManifest | undefined {
  const file = manifestFile(home, name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MysqlopsError({ code: 'E_CLUSTER', message: `cannot read ${file}`, cause: err });
  }
  try {
    const m = JSON.parse(text) as GaleraManifest;
    if (m.kind !== 'galera' || !Array.isArray(m.nodes) || m.nodes.length === 0)
      throw new Error('not a manifest');
    return m;
  } catch (err) {
    throw new MysqlopsError({
      code: 'E_CLUSTER',
      message: `${file} is not a valid Galera cluster manifest`,
      hint: `repair or delete it (mysqlops sandbox destroy --name ${name} --yes removes the cluster)`,
      cause: err,
    });
  }
}

export function writeManifest(home: string | undefined, m: GaleraManifest): void {
  const file = manifestFile(home, m.name);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileAtomic(file, `${JSON.stringify(m, null, 2)}\n`, 0o644);
  } catch (err) {
    throw new MysqlopsError({
      code: 'E_CLUSTER',
      message: err instanceof MysqlopsError ? err.message : `cannot write ${file}: ${(err as Error).message}`,
      hint: `check that ${path.dirname(file)} is writable`,
      cause: err,
    });
  }
}

export function removeManifest(home: string | undefined, name: string): void {
  fs.rmSync(clusterDir(home, name), { recursive: true, force: true });
}

/** Ports claimed by sandboxes (sandbox.json) and by other clusters' manifests under HOME. */
function claimedPorts(home: string | undefined): Set<number> {
  const root = clusterHome(home);
  const out = recordedPorts(path.join(root, 'sandbox'));
  let clusters: string[] = [];
  try {
    clusters = fs.readdirSync(path.join(root, 'cluster'));
  } catch {
    // No cluster yet.
  }
  for (const n of clusters) {
    let m: GaleraManifest | undefined;
    try {
      m = JSON.parse(fs.readFileSync(path.join(root, 'cluster', n, 'galera.json'), 'utf8')) as GaleraManifest;
    } catch {
      continue; // not a cluster, or one still being created
    }
    for (const node of m?.nodes ?? []) for (const p of Object.values(node.ports ?? {})) out.add(p);
  }
  return out;
}

/** `count` distinct loopback ports that are free now and that no sandbox or cluster has claimed. */
export async function pickPorts(home: string | undefined, count: number): Promise<number[]> {
  const avoid = claimedPorts(home);
  const out: number[] = [];
  while (out.length < count) {
    const port = await pickFreePort(avoid).catch((err: unknown) => {
      throw new MysqlopsError({
        code: 'E_CLUSTER',
        message: `found only ${out.length} of ${count} free TCP ports on 127.0.0.1`,
        hint: 'the ephemeral port range may be exhausted: see ss -s',
        cause: err,
      });
    });
    avoid.add(port);
    out.push(port);
  }
  return out;
}
