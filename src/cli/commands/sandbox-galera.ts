/**
 * The Galera side of `mysqlops sandbox`: `start --galera N` creates/starts a cluster of N node
 * sandboxes `<name>-g1..gN`; stop, status and destroy act on the whole cluster when `--name` names
 * one. Parsing stays in sandbox.ts; this file calls the library and renders.
 */
import {
  destroyGaleraCluster,
  type GaleraClusterInfo,
  galeraClusterExists,
  galeraClusterStatus,
  MAX_NODES,
  startGaleraCluster,
  stopGaleraCluster,
} from '../../cluster/index.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

interface Target {
  name: string;
  home?: string | undefined;
}

/** `--galera N`: a node count from 1 to MAX_NODES, else UsageError. */
export function parseGaleraNodes(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) {
    throw new UsageError(
      `invalid --galera ${JSON.stringify(value)}: expected 1 to ${MAX_NODES} nodes`,
      'use --galera 3',
    );
  }
  return n;
}

/** Whether `--name` names a Galera cluster (then stop/status/destroy act on all its nodes). */
export function isGaleraCluster(t: Target): boolean {
  return galeraClusterExists(t);
}

export async function galeraStart(ctx: CliContext, t: Target, nodes: number): Promise<void> {
  const info = await startGaleraCluster({ ...t, nodes, onProgress: (e) => ctx.out.progress(e.message) });
  ctx.out.result(info, () => renderGalera(info));
}

export async function galeraStop(ctx: CliContext, t: Target): Promise<void> {
  const info = await stopGaleraCluster({ ...t, onProgress: (e) => ctx.out.progress(e.message) });
  ctx.out.result(info, () => renderGalera(info));
}

export async function galeraStatus(ctx: CliContext, t: Target): Promise<void> {
  const info = await galeraClusterStatus(t);
  ctx.out.result(info, () => renderGalera(info));
  if (
    info.nodes.some((n) => n.sandbox.state === 'crashed' || (n.wsrep && n.wsrep.clusterStatus !== 'Primary'))
  )
    process.exitCode = 1;
}

export async function galeraDestroy(ctx: CliContext, t: Target): Promise<void> {
  await destroyGaleraCluster({ ...t, onProgress: (e) => ctx.out.progress(e.message) });
  ctx.out.result(
    { ok: true, destroyed: t.name, kind: 'galera' },
    () => `Galera cluster "${t.name}" destroyed`,
  );
}

export function renderGalera(info: GaleraClusterInfo): string {
  const rows = info.nodes.map((n) => [
    n.sandbox.name,
    n.sandbox.state,
    n.sandbox.port ? `127.0.0.1:${n.sandbox.port}` : undefined,
    n.wsrep?.localState,
    n.wsrep?.clusterStatus,
    n.wsrep?.clusterSize,
    n.wsrep ? `${(n.wsrep.flowControlPaused * 100).toFixed(1)}%` : undefined,
    n.wsrep?.lastCommitted,
  ]);
  return `Galera cluster "${info.name}" (SST: ${info.sstMethod})\n${table(
    ['node', 'state', 'address', 'wsrep state', 'component', 'size', 'fc paused', 'last committed'],
    rows,
  )}`;
}
