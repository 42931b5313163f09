/**
 * `promote()`: make a replica the primary. Only the most advanced replica may be promoted: NODE is
 * refused when another replica has applied (or received) transactions NODE lacks. Replicas whose SQL
 * thread runs are first given time to apply their relay logs; NODE applies its own before it takes
 * over. Then NODE stops replicating and becomes writable, the other replicas follow it (GTID,
 * slave_pos), and the topology file records the new primary.
 *
 * While the primary is up, promotion is refused unless `force`: then the primary is made read-only,
 * NODE waits until it has applied everything the primary holds, and the old primary becomes a replica
 * of NODE (a switchover). A primary that is down is recorded as `failed`; it is not touched.
 */
import { escape as sqlLiteral } from 'mysql2';
import { ReplicationError } from './errors.js';
import { describeMissing, laterOf, missingTransactions } from './gtid-position.js';
import {
  changeSource,
  type NodeReport,
  nodePort,
  nodeState,
  readNode,
  waitApplied,
  withNode,
  writeNodeSettings,
} from './node.js';
import {
  ensureReplicationPassword,
  requireTopology,
  type TopologyNode,
  type TopologyRef,
  type TopologyState,
  topologyPaths,
  writeTopology,
} from './topology-file.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/** Which replica `promote()` makes the primary, and whether it may switch over from a running primary (`force`). */
export interface PromoteOptions extends TopologyRef {
  home: string;
  /** The replica to promote: its sandbox name (`app-r1`) or its short name within the topology (`r1`). */
  node: string;
  /** Switch over while the primary is up (it is made read-only and becomes a replica). Default false. */
  force?: boolean;
  /** Bound for each wait for a node to apply what it must (default 60 000 ms). */
  timeoutMs?: number;
  onProgress?: (e: { step: string; node: string; message: string }) => void;
}

/** What a promotion did: the new primary, what became of the old one, and which replicas still need repointing (`skipped`). */
export interface PromoteResult {
  topology: string;
  /** The new primary (sandbox name). */
  primary: string;
  previousPrimary: string;
  /** What became of the previous primary: a replica of the new one (switchover) or `failed` (it was down). */
  previousPrimaryRole: 'replica' | 'failed';
  forced: boolean;
  /** The new primary's GTID position when it took over. */
  gtid: string;
  /** Replicas now replicating from the new primary. */
  repointed: string[];
  /** Replicas that do not run, left as they were: point them at the new primary when they are back. */
  skipped: string[];
}

interface Candidate {
  node: string;
  report: NodeReport;
}

/** Promote replica `opts.node` of the topology; see the module comment for the rules. */
export async function promote(opts: PromoteOptions): Promise<PromoteResult> {
  const paths = topologyPaths(opts);
  const { home } = paths;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const report = opts.onProgress ?? (() => {});
  const state = requireTopology(paths);
  const target = resolveNode(state, opts.node);
  const oldPrimary = state.primary;
  if (target.name === oldPrimary)
    throw new ReplicationError(`${target.name} is already the primary of topology ${state.name}`, {
      code: 'E_REPLICATION_NODE',
      node: target.name,
    });
  if (target.role !== 'replica')
    throw new ReplicationError(
      `${target.name} is a ${target.role} node, not a replica: it cannot be promoted`,
      {
        code: 'E_REPLICATION_NODE',
        node: target.name,
        hint: 'promote one of the replicas listed by: mysqlops replication status',
      },
    );
  if ((await nodeState(home, target.name)) !== 'running')
    throw new ReplicationError(`${target.name} does not run: it cannot be promoted`, {
      node: target.name,
      hint: `start it (mysqlops sandbox start --name ${target.name}) or promote another replica`,
    });

  const primaryUp = await isAnswering(home, oldPrimary);
  const forced = primaryUp && opts.force === true;
  if (primaryUp && !forced)
    throw new ReplicationError(
      `the primary ${oldPrimary} is up: promoting ${target.name} now would leave two writable primaries`,
      {
        code: 'E_PROMOTE_REFUSED',
        node: target.name,
        hint: `stop the primary first, or pass --force to switch over (${oldPrimary} is made read-only and the replicas catch up first)`,
      },
    );

  let forcedPos = '';
  if (forced) {
    report({ step: 'read-only', node: oldPrimary, message: `making ${oldPrimary} read-only` });
    forcedPos = await withNode(home, oldPrimary, async (db) => {
      await db.execute('SET GLOBAL read_only = ON');
      const [p] = await db.query<{ p: string }>('SELECT @@gtid_binlog_pos AS p');
      return p?.p ?? '';
    });
  }

  // From here until the target takes writes, a failure after a forced switchover must give the old
  // primary its writes back: otherwise no node of the topology would take any.
  const takeOver = async () => {
    if (forced) {
      report({
        step: 'catch-up',
        node: target.name,
        message: `waiting for ${target.name} to apply ${forcedPos}`,
      });
      await withNode(home, target.name, (db) => waitApplied(db, target.name, forcedPos, timeoutMs));
    }
    const replicas = state.nodes.filter((n) => n.role === 'replica');
    const { running, skipped } = await readCandidates(home, replicas, timeoutMs, report);
    const me = running.find((c) => c.node === target.name) as Candidate;
    refuseIfBehind(
      me,
      running.filter((c) => c.node !== target.name),
    );

    // Apply what is already in the relay log before taking writes.
    const received = me.report.replica?.received ?? null;
    if (missingTransactions(me.report.gtidCurrentPos, received).length > 0) {
      report({ step: 'relay-log', node: me.node, message: `${me.node} applies its relay log first` });
      await withNode(home, me.node, async (db) => {
        if (!me.report.replica?.sqlRunning) await db.execute('START SLAVE SQL_THREAD');
        await waitApplied(db, me.node, received ?? '', timeoutMs);
      });
    }

    report({ step: 'promote', node: me.node, message: `promoting ${me.node}` });
    const gtid = await withNode(home, me.node, async (db) => {
      await db.execute('STOP SLAVE');
      await db.execute('RESET SLAVE ALL');
      // A replica runs without the semi-sync master side (see writeNodeSettings); the primary needs it.
      await db.execute('SET GLOBAL rpl_semi_sync_master_enabled = ON');
      await db.execute('SET GLOBAL read_only = OFF');
      const [p] = await db.query<{ p: string }>('SELECT @@gtid_current_pos AS p');
      return p?.p ?? '';
    });
    return { running, skipped, me, gtid };
  };
  let taken: Awaited<ReturnType<typeof takeOver>>;
  try {
    taken = await takeOver();
  } catch (err) {
    if (forced) {
      await withNode(home, oldPrimary, (db) => db.execute('SET GLOBAL read_only = OFF')).catch(
        () => undefined,
      );
    }
    throw err;
  }
  const { running, skipped, me, gtid } = taken;
  await writeNodeSettings(home, me.node, {
    serverId: target.serverId,
    readOnly: false,
    topology: state.name,
  });
  const password = ensureReplicationPassword(paths);
  const port = nodePort(home, me.node);

  const repointed: string[] = [];
  for (const c of running) {
    if (c.node === me.node) continue;
    report({ step: 'repoint', node: c.node, message: `${c.node} now replicates from ${me.node}` });
    await withNode(home, c.node, async (db) => {
      await db.execute('STOP SLAVE');
      await changeSource(db, port, password);
      await db.execute('START SLAVE');
    });
    repointed.push(c.node);
  }
  if (forced) {
    report({ step: 'repoint', node: oldPrimary, message: `${oldPrimary} becomes a replica of ${me.node}` });
    await withNode(home, oldPrimary, async (db) => {
      await db.execute('STOP SLAVE');
      await db.execute('RESET SLAVE ALL');
      await db.execute('SET GLOBAL rpl_semi_sync_master_enabled = OFF');
      // A former primary's applied history is its binary log: continue from there.
      const [p] = await db.query<{ p: string }>('SELECT @@gtid_binlog_pos AS p');
      await db.execute(`SET GLOBAL gtid_slave_pos = ${sqlLiteral(p?.p ?? '')}`);
      await changeSource(db, port, password);
      await db.execute('START SLAVE');
    });
    repointed.push(oldPrimary);
  }
  const oldNode = state.nodes.find((n) => n.name === oldPrimary);
  if (oldNode) {
    oldNode.role = forced ? 'replica' : 'failed';
    if (forced)
      await writeNodeSettings(home, oldPrimary, {
        serverId: oldNode.serverId,
        readOnly: true,
        topology: state.name,
      });
  }
  target.role = 'primary';
  state.primary = me.node;
  state.promotions.push({ at: new Date().toISOString(), from: oldPrimary, to: me.node, gtid, forced });
  writeTopology(paths, state);
  return {
    topology: state.name,
    primary: me.node,
    previousPrimary: oldPrimary,
    previousPrimaryRole: forced ? 'replica' : 'failed',
    forced,
    gtid,
    repointed,
    skipped,
  };
}

/** The node named `name` (sandbox name, or short name such as `r1`); E_REPLICATION_NODE listing the nodes. */
function resolveNode(state: TopologyState, name: string): TopologyNode {
  const found =
    state.nodes.find((n) => n.name === name) ?? state.nodes.find((n) => n.name === `${state.name}-${name}`);
  if (found) return found;
  throw new ReplicationError(`no node ${JSON.stringify(name)} in topology ${state.name}`, {
    code: 'E_REPLICATION_NODE',
    hint: `its nodes are: ${state.nodes.map((n) => `${n.name} (${n.role})`).join(', ')}`,
  });
}

async function isAnswering(home: string, name: string): Promise<boolean> {
  if ((await nodeState(home, name)) !== 'running') return false;
  try {
    await withNode(home, name, (db) => db.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Every running replica's report, after those whose SQL thread runs have applied what they received
 * (bounded by `timeoutMs`; a replica still behind then is compared as it is).
 */
async function readCandidates(
  home: string,
  replicas: readonly TopologyNode[],
  timeoutMs: number,
  report: NonNullable<PromoteOptions['onProgress']>,
): Promise<{ running: Candidate[]; skipped: string[] }> {
  const running: Candidate[] = [];
  const skipped: string[] = [];
  for (const n of replicas) {
    if ((await nodeState(home, n.name)) !== 'running') {
      skipped.push(n.name);
      continue;
    }
    const r = await withNode(home, n.name, async (db) => {
      const first = await readNode(db);
      const got = first.replica?.received ?? null;
      if (!first.replica?.sqlRunning || missingTransactions(first.gtidCurrentPos, got).length === 0)
        return first;
      report({ step: 'relay-log', node: n.name, message: `waiting for ${n.name} to apply its relay log` });
      await waitApplied(db, n.name, got ?? '', timeoutMs).catch(() => undefined);
      return readNode(db);
    });
    running.push({ node: n.name, report: r });
  }
  return { running, skipped };
}

/**
 * E_PROMOTE_REFUSED when another replica has applied transactions `me` lacks, or has received
 * (in its relay log) transactions `me` neither applied nor received: promoting `me` would lose them.
 */
function refuseIfBehind(me: Candidate, others: readonly Candidate[]): void {
  for (const o of others) {
    const missing = missingTransactions(me.report.gtidCurrentPos, o.report.gtidCurrentPos);
    if (missing.length > 0)
      throw new ReplicationError(
        `${me.node} is behind ${o.node}: ${o.node} has applied ${describeMissing(missing)} that ${me.node} lacks (${me.node} is at ${me.report.gtidCurrentPos || 'nothing'}, ${o.node} at ${o.report.gtidCurrentPos})`,
        {
          code: 'E_PROMOTE_REFUSED',
          node: me.node,
          hint: `promote the most advanced replica (${o.node}), or let ${me.node} catch up first`,
        },
      );
  }
  const mine = laterOf(me.report.gtidCurrentPos, me.report.replica?.received ?? null);
  for (const o of others) {
    const theirs = laterOf(o.report.gtidCurrentPos, o.report.replica?.received ?? null);
    const missing = missingTransactions(mine, theirs);
    if (missing.length > 0)
      throw new ReplicationError(
        `${me.node} is behind ${o.node}: ${o.node} has received ${describeMissing(missing)} that ${me.node} never got`,
        {
          code: 'E_PROMOTE_REFUSED',
          node: me.node,
          hint: `promote ${o.node} (start its SQL thread first: START SLAVE SQL_THREAD), or let ${me.node} catch up`,
        },
      );
  }
}
