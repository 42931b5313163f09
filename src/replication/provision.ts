/**
 * `startTopology()`: a primary sandbox and N replica sandboxes on loopback. New replicas are
 * provisioned from a mysqlops backup of the primary (backupFull + restore, then gtid_slave_pos set to
 * the backup's GTID) and replicate by GTID over TLS with a REPLICATION SLAVE-only account.
 * `destroyTopology()` removes every node and the topology record.
 */
import * as fs from 'node:fs';
import { escape as sqlLiteral } from 'mysql2';
import type { BackupSettings } from '../backup/index.js';
import { backupFull, restore, restoreUsers } from '../backup/index.js';
import type { DatabaseManagerConfig } from '../db/index.js';
import { destroySandbox, NAME_PATTERN, sandboxStatus, startSandbox } from '../sandbox/index.js';
import { ReplicationError } from './errors.js';
import {
  applyNodeSettings,
  changeSource,
  ensureReplicationAccount,
  nodePort,
  readNode,
  requireMariadb,
  waitApplied,
  waitRunning,
  withNode,
  writeNodeSettings,
} from './node.js';
import { type TopologyStatus, topologyStatus } from './status.js';
import {
  ensureReplicationPassword,
  REPLICATION_USER,
  readTopology,
  type TopologyNode,
  type TopologyRef,
  type TopologyState,
  topologyPaths,
  writeTopology,
} from './topology-file.js';

/** The most replicas one topology may have. */
export const MAX_REPLICAS = 9;
const DEFAULT_TIMEOUT_MS = 120_000;
const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** One step of `startTopology()`, sent to `onProgress` (the library never prints); `node` is the sandbox name the step concerns. */
export interface TopologyProgress {
  /** 'primary', 'replica', 'backup', 'restore', 'replicate', 'catch-up', 'ready'. */
  step: string;
  node: string;
  /** One line for people; never holds a secret. */
  message: string;
}

/**
 * What `startTopology()` builds: the primary `name` and `replicas` replicas under `home`. Lowering
 * `replicas` does not remove existing replicas.
 */
export interface StartTopologyOptions extends TopologyRef {
  home: string;
  /** Replicas wanted: `NAME-r1..rN`. Existing ones are started, missing ones provisioned. 1-9. */
  replicas: number;
  /** Bound for each wait: a server start, a replica catching up (default 120 000 ms). */
  timeoutMs?: number;
  onProgress?: (e: TopologyProgress) => void;
}

/** The sandbox name of replica `i` of topology `name`. */
export function replicaName(name: string, i: number): string {
  return `${name}-r${i}`;
}

/**
 * Start (or reuse) the primary sandbox `name` and replicas `name-r1..rN`, provision the replicas that
 * are new, and wait until every replica has caught up with the primary. Idempotent: running nodes are
 * left as they are (a stopped replica thread is started again). After a promotion the recorded
 * primary is the source. Returns the topology's live status.
 *
 * <!-- not-run: starts three servers -->
 * ```ts
 * const t = await startTopology({ home: '.mysqlops', name: 'app', replicas: 2 });
 * // t.nodes: app (primary), app-r1 and app-r2 (replicas, lag 0)
 * ```
 */
export async function startTopology(opts: StartTopologyOptions): Promise<TopologyStatus> {
  const paths = topologyPaths(opts);
  const { home, name } = paths;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const report = opts.onProgress ?? (() => {});
  if (!Number.isInteger(opts.replicas) || opts.replicas < 1 || opts.replicas > MAX_REPLICAS)
    throw new ReplicationError(`replicas must be 1 to ${MAX_REPLICAS}, got ${opts.replicas}`, {
      exitCode: 2,
    });
  if (!NAME_PATTERN.test(replicaName(name, opts.replicas)))
    throw new ReplicationError(`topology name ${JSON.stringify(name)} is too long for replica names`, {
      hint: `replicas are named ${replicaName(name, 1)}...: keep the name to 28 characters`,
      exitCode: 2,
    });

  const now = new Date().toISOString();
  const state: TopologyState = readTopology(paths) ?? {
    format: 1,
    name,
    primary: name,
    nodes: [{ name, role: 'primary', serverId: 1 }],
    replicationUser: REPLICATION_USER,
    createdAt: now,
    updatedAt: now,
    promotions: [],
  };
  const password = ensureReplicationPassword(paths);
  const primary = state.primary;
  const primaryNode = state.nodes.find((n) => n.name === primary) as TopologyNode;

  report({ step: 'primary', node: primary, message: `starting primary ${primary}` });
  await startSandbox({ home, name: primary, timeoutMs });
  await writeNodeSettings(home, primary, { serverId: primaryNode.serverId, readOnly: false, topology: name });
  await withNode(home, primary, async (db) => {
    await requireMariadb(db, primary);
    await applyNodeSettings(db, { serverId: primaryNode.serverId, readOnly: false });
    await ensureReplicationAccount(db, password);
  });
  writeTopology(paths, state);
  const primaryPort = nodePort(home, primary);

  for (let i = 1; i <= opts.replicas; i++) {
    const node = replicaName(name, i);
    const known = state.nodes.find((n) => n.name === node);
    if (known && known.role !== 'replica') continue; // the primary now, or a failed former primary
    if (
      known &&
      (await sandboxStatus({ home, name: node })).state !== 'absent' &&
      known.provisioned !== false
    ) {
      report({ step: 'replica', node, message: `starting replica ${node}` });
      await startSandbox({ home, name: node, timeoutMs });
      await withNode(home, node, async (db) => {
        const r = await readNode(db);
        if (!r.replica) {
          await changeSource(db, primaryPort, password);
          await db.execute('START SLAVE');
        } else if (!r.replica.ioRunning || !r.replica.sqlRunning) await db.execute('START SLAVE');
      });
      continue;
    }
    if (!known && (await sandboxStatus({ home, name: node })).state !== 'absent')
      throw new ReplicationError(`sandbox ${node} exists but is not a node of topology ${name}`, {
        node,
        hint: `destroy it (mysqlops sandbox destroy --name ${node} --yes) or choose another topology name`,
        exitCode: 2,
      });
    const serverId = known?.serverId ?? Math.max(...state.nodes.map((n) => n.serverId)) + 1;
    if (!known) state.nodes.push({ name: node, role: 'replica', serverId, provisioned: false });
    else known.provisioned = false;
    writeTopology(paths, state);
    await provisionReplica({ home, topology: name, node, serverId, primary, primaryPort, timeoutMs, report });
    const entry = state.nodes.find((n) => n.name === node) as TopologyNode;
    delete entry.provisioned;
    writeTopology(paths, state);
  }

  // Every replica has caught up with what the primary held once they all run.
  const [target] = await withNode(home, primary, (db) =>
    db.query<{ p: string }>('SELECT @@gtid_binlog_pos AS p'),
  );
  for (const n of state.nodes) {
    if (n.role !== 'replica') continue;
    report({ step: 'catch-up', node: n.name, message: `waiting for ${n.name} to catch up` });
    await withNode(home, n.name, async (db) => {
      await waitRunning(db, n.name, timeoutMs);
      await waitApplied(db, n.name, target?.p ?? '', timeoutMs);
    });
  }
  report({ step: 'ready', node: primary, message: 'topology ready' });
  return topologyStatus({ home, name });
}

interface ProvisionRequest {
  home: string;
  topology: string;
  node: string;
  serverId: number;
  primary: string;
  primaryPort: number;
  timeoutMs: number;
  report: (e: TopologyProgress) => void;
}

/**
 * A new replica: a fresh sandbox (any leftover of a failed attempt is removed first) with its
 * settings, the primary's data and accounts from a backup, its own binary log emptied (the restore
 * of accounts wrote to it), gtid_slave_pos at the backup's snapshot, then replication started.
 */
async function provisionReplica(req: ProvisionRequest): Promise<void> {
  const { home, node, report } = req;
  const paths = topologyPaths({ home, name: req.topology });
  await destroySandbox({ home, name: node });
  report({ step: 'replica', node, message: `creating replica ${node} (server_id ${req.serverId})` });
  await writeNodeSettings(home, node, { serverId: req.serverId, readOnly: true, topology: req.topology });
  await startSandbox({ home, name: node, timeoutMs: req.timeoutMs });
  const password = ensureReplicationPassword(paths);
  const config = (name: string): DatabaseManagerConfig => ({
    connection: {},
    usesSandbox: true,
    sandbox: { home, name },
  });

  // The position first, then the databases: a database created in between is in the backup.
  const { position, databases } = await withNode(home, req.primary, async (db) => {
    const [p] = await db.query<{ p: string }>('SELECT @@gtid_binlog_pos AS p');
    const rows = await db.query<{ s: string }>(
      `SELECT schema_name AS s FROM information_schema.schemata
        WHERE schema_name NOT IN (${SYSTEM_SCHEMAS.map(() => '?').join(', ')}) ORDER BY schema_name`,
      SYSTEM_SCHEMAS,
    );
    return { position: p?.p ?? '', databases: rows.map((r) => r.s) };
  });

  let gtid = position;
  if (databases.length > 0) {
    const settings: BackupSettings = {
      dir: paths.backupDir,
      retentionDays: 1,
      encrypt: false,
      compression: 'gzip',
      threads: 2,
    };
    report({ step: 'backup', node, message: `backing up ${databases.length} database(s) of ${req.primary}` });
    const backup = await backupFull(config(req.primary), settings, { databases, users: true });
    try {
      if (!backup.manifest.snapshot.gtid)
        throw new ReplicationError(`the backup of ${req.primary} recorded no GTID position`, { node });
      gtid = backup.manifest.snapshot.gtid;
      report({ step: 'restore', node, message: `restoring backup ${backup.id} into ${node}` });
      await restore(config(node), settings, backup.dir, { threads: 2 });
      // The accounts arrive as password hashes, which the password-strength plugin cannot check and
      // so refuses while strict_password_validation is on: off for this copy only, so they keep
      // their passwords (instead of being created locked).
      await withNode(home, node, (db) => db.execute('SET GLOBAL strict_password_validation = OFF'));
      try {
        await restoreUsers(config(node), settings, backup.dir);
      } finally {
        await withNode(home, node, (db) => db.execute('SET GLOBAL strict_password_validation = ON'));
      }
    } finally {
      fs.rmSync(backup.dir, { recursive: true, force: true });
    }
  }

  report({
    step: 'replicate',
    node,
    message: `${node} replicates from ${req.primary} at GTID ${gtid || '(start)'}`,
  });
  await withNode(home, node, async (db) => {
    await requireMariadb(db, node);
    await ensureReplicationAccount(db, password);
    await db.execute('STOP SLAVE');
    await db.execute('RESET SLAVE ALL');
    // Restoring accounts wrote to this node's own binary log; a fresh replica's history starts empty.
    await db.execute('RESET MASTER');
    // ...but it starts where the primary's was, so that once promoted it can serve a replica that
    // asks to continue from exactly this position.
    if (gtid !== '') await db.execute(`SET GLOBAL gtid_binlog_state = ${sqlLiteral(gtid)}`);
    await db.execute(`SET GLOBAL gtid_slave_pos = ${sqlLiteral(gtid)}`);
    await changeSource(db, req.primaryPort, password);
    await db.execute('START SLAVE');
  });
}

/**
 * Stop and delete every node of topology `ref` (data included), then its record. WARNING:
 * irreversible. Nodes are removed one by one; a missing one is fine.
 */
export async function destroyTopology(ref: TopologyRef & { home: string }): Promise<string[]> {
  const paths = topologyPaths(ref);
  const state = readTopology(paths);
  const names = new Set(state?.nodes.map((n) => n.name) ?? []);
  for (const n of names) await destroySandbox({ home: paths.home, name: n });
  fs.rmSync(paths.dir, { recursive: true, force: true });
  return [...names];
}
