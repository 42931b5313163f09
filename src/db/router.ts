/**
 * Routing over a primary and its replicas (or Galera nodes): one pool per server, a health check
 * per server on its own connection every `checkIntervalMs`, the choice of the writer and of the
 * replica for each read, and the counters behind `routingStats()`. The statement paths stay in
 * DatabaseManager; this module decides where they go.
 */
import type { Connection } from 'mysql2';
import mysql from 'mysql2';
import type { RoutingConfig } from '../config/index.js';
import type { ResolvedTarget } from './connection-target.js';
import { Flavor } from './flavor.js';
import { coversGtidPosition, type GtidPosition, parseGtidPosition, type WriteFence } from './gtid.js';
import {
  chooseWriter,
  galeraStateOf,
  type NodeHealth,
  readEligibility,
  replicaStatusOf,
  unreachable,
} from './node-health.js';
import type { ConnectionPool } from './pool.js';

export type Route = 'primary' | 'replica';

/** One configured server. */
export interface RouteNode {
  readonly index: number;
  /** Where it is, for humans (`127.0.0.1:3307`, `socket /run/...`). */
  readonly name: string;
  readonly target: ResolvedTarget;
  readonly pool: ConnectionPool;
  health: NodeHealth | undefined;
  /** Takes reads now. */
  inRotation: boolean;
  /** Why it is out of rotation (or what its state is when in). */
  reason: string;
  /** When it last left the rotation (ms since the epoch), for replicaIn's outForMs. */
  outSince: number | undefined;
  /** The GTID position it is known to have applied (from checks and successful waits). */
  position: GtidPosition;
  reads: number;
  writes: number;
  probe: Connection | undefined;
  flavor: Flavor | undefined;
}

/** What routingStats() returns. */
export interface RoutingStats {
  /** `single` when no replicas are configured (nothing is routed or counted). */
  mode: 'single' | 'replication' | 'galera';
  /** The server taking writes now, or null while none qualifies. */
  primary: string | null;
  nodes: Array<{
    name: string;
    role: 'primary' | 'replica' | 'node';
    inRotation: boolean;
    reason: string;
    lagSeconds: number | null;
    reads: number;
    writes: number;
  }>;
  reads: { replicas: number; primary: number };
  writes: number;
  /** Reads that waited for a replica to apply an earlier write, and how many of those timed out. */
  gtidWaits: { count: number; timeouts: number };
  /** Reads sent to the primary although replicas exist, by cause. */
  fallbacks: { noReplica: number; readYourWrites: number; waitTimeout: number; replicaError: number };
  /** Rotation changes since start: replicas taken out, put back, and writer changes. */
  changes: { out: number; in: number; primary: number };
}

export interface RouterHooks {
  replicaOut(node: RouteNode, reason: string): void;
  replicaIn(node: RouteNode, outForMs: number): void;
  primaryChange(from: RouteNode | undefined, to: RouteNode | undefined): void;
}

export class Router {
  readonly nodes: RouteNode[];
  readonly settings: RoutingConfig;
  readonly #hooks: RouterHooks;
  #writer: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #rr = 0;
  #rounds = 0;
  readonly counters = {
    replicaReads: 0,
    primaryReads: 0,
    writes: 0,
    gtidWaits: 0,
    gtidWaitTimeouts: 0,
    fallbacks: { noReplica: 0, readYourWrites: 0, waitTimeout: 0, replicaError: 0 },
    changes: { out: 0, in: 0, primary: 0 },
  };

  constructor(
    servers: Array<{ target: ResolvedTarget; pool: ConnectionPool }>,
    settings: RoutingConfig,
    hooks: RouterHooks,
  ) {
    this.settings = settings;
    this.#hooks = hooks;
    this.nodes = servers.map(({ target, pool }, index) => ({
      index,
      name: target.description,
      target,
      pool,
      health: undefined,
      inRotation: false,
      reason: 'not checked yet',
      outSince: undefined,
      position: new Map(),
      reads: 0,
      writes: 0,
      probe: undefined,
      flavor: undefined,
    }));
  }

  /** The server taking writes, or undefined while none qualifies. */
  get writer(): RouteNode | undefined {
    return this.#writer === undefined ? undefined : this.nodes[this.#writer];
  }

  /** The flavor of the first server that answered. */
  get flavor(): Flavor | undefined {
    return this.nodes.find((n) => n.flavor)?.flavor;
  }

  /** Check every server once (the first decision), then keep checking every checkIntervalMs. */
  async start(): Promise<void> {
    await this.check();
    if (this.#closed) return;
    this.#timer = setInterval(() => void this.check(), this.settings.checkIntervalMs);
    this.#timer.unref();
  }

  /**
   * Check every server now (a failed write or read calls this); concurrent calls share one round,
   * and a call during a round schedules one more right after it.
   */
  check(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = this.#checkAll().finally(() => {
      this.#checking = undefined;
      if (this.#again && !this.#closed) {
        this.#again = false;
        void this.check();
      }
    });
    return this.#checking;
  }

  async #checkAll(): Promise<void> {
    const healths = await Promise.all(this.nodes.map((n) => this.#probe(n)));
    if (this.#closed) return;
    const mode = this.settings.mode;
    healths.forEach((h, i) => {
      const node = this.nodes[i] as RouteNode;
      node.health = h;
      if (h.reachable && node.flavor && h.position) {
        // A server's applied position only grows; a reset (new replica) shows as lower and is taken.
        node.position = parseGtidPosition(h.position, node.flavor.kind);
      }
    });
    const before = this.#writer;
    this.#writer = chooseWriter(healths, before, mode);
    const first = this.#rounds++ === 0;
    if (before !== this.#writer && !first) {
      this.counters.changes.primary++;
      this.#hooks.primaryChange(
        before === undefined ? undefined : this.nodes[before],
        this.#writer === undefined ? undefined : this.nodes[this.#writer],
      );
    }
    for (const node of this.nodes) {
      const h = node.health as NodeHealth;
      const verdict =
        mode === 'replication' && node.index === this.#writer
          ? { ok: false, reason: 'primary' }
          : readEligibility(h, mode, this.settings.maxLagSeconds);
      this.#setRotation(node, verdict.ok, verdict.reason, first);
    }
  }

  /** Put a server in or out of the read rotation; `quiet` (the first check) sets without events. */
  #setRotation(node: RouteNode, ok: boolean, reason: string, quiet = false): void {
    node.reason = reason;
    if (ok === node.inRotation) return;
    node.inRotation = ok;
    if (quiet) {
      node.outSince = ok ? undefined : Date.now();
      return;
    }
    const isWriter = this.settings.mode === 'replication' && node.index === this.#writer;
    if (!ok) {
      node.outSince = Date.now();
      if (!isWriter) {
        this.counters.changes.out++;
        this.#hooks.replicaOut(node, reason);
      }
      return;
    }
    const outFor = node.outSince === undefined ? 0 : Date.now() - node.outSince;
    node.outSince = undefined;
    this.counters.changes.in++;
    this.#hooks.replicaIn(node, outFor);
  }

  /** Take a server out of reads at once (a read on it failed); the next check may put it back. */
  markDown(node: RouteNode, reason: string): void {
    this.#setRotation(node, false, reason);
    void this.check();
  }

  /**
   * The server for a read: the least busy server in rotation (ties in turn), the writer excluded
   * with replication. Undefined when none is in rotation.
   */
  pickReader(exclude?: RouteNode): RouteNode | undefined {
    let best: RouteNode | undefined;
    const n = this.nodes.length;
    const start = this.#rr++ % n;
    for (let k = 0; k < n; k++) {
      const node = this.nodes[(start + k) % n] as RouteNode;
      if (!node.inRotation || node === exclude) continue;
      if (!best || node.pool.inUse < best.pool.inUse) best = node;
    }
    return best;
  }

  /** True when `node` is known to have applied everything `fence` wrote. */
  hasApplied(node: RouteNode, fence: WriteFence): boolean {
    return coversGtidPosition(node.position, fence.position);
  }

  stats(): RoutingStats {
    const mode = this.settings.mode;
    return {
      mode,
      primary: this.writer?.name ?? null,
      nodes: this.nodes.map((n) => ({
        name: n.name,
        role: mode === 'galera' ? 'node' : n.index === this.#writer ? 'primary' : 'replica',
        inRotation: n.inRotation,
        reason: n.reason,
        lagSeconds: n.health?.lagSeconds ?? null,
        reads: n.reads,
        writes: n.writes,
      })),
      reads: { replicas: this.counters.replicaReads, primary: this.counters.primaryReads },
      writes: this.counters.writes,
      gtidWaits: { count: this.counters.gtidWaits, timeouts: this.counters.gtidWaitTimeouts },
      fallbacks: { ...this.counters.fallbacks },
      changes: { ...this.counters.changes },
    };
  }

  /** Stop checking and close every replica pool (the manager drains and ends the writer's with its own). */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const n of this.nodes) {
      n.probe?.destroy();
      n.probe = undefined;
      n.pool.stopAccepting();
    }
    await Promise.all(this.nodes.map((n) => n.pool.drained(timeoutMs)));
    await Promise.all(this.nodes.map((n) => n.pool.end()));
  }

  // ---- the health check of one server, on its own connection ----

  #probeTimeoutMs(): number {
    return Math.max(500, Math.min(Math.round(this.settings.checkIntervalMs * 1.5), 5000));
  }

  async #probe(node: RouteNode): Promise<NodeHealth> {
    if (this.#closed) return unreachable('closed');
    const timeoutMs = this.#probeTimeoutMs();
    try {
      const conn = node.probe ?? this.#connectProbe(node, timeoutMs);
      node.probe = conn;
      const ask = (sql: string) => askWithin<Record<string, unknown>>(conn, sql, timeoutMs);
      if (!node.flavor) {
        const [row] = await ask('SELECT VERSION() AS v, @@version_comment AS c');
        node.flavor = Flavor.detect(String(row?.v ?? ''), String(row?.c ?? ''));
      }
      const flavor = node.flavor;
      if (this.settings.mode === 'galera') {
        const [state, wsrep] = await Promise.all([
          ask(flavor.nodeStateSql),
          ask("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state', 'wsrep_ready')"),
        ]);
        return {
          ...base(state[0]),
          galera: galeraStateOf(wsrep),
        };
      }
      const [state, replica] = await Promise.all([
        ask(flavor.nodeStateSql),
        ask(flavor.replicaStatusSql).then(
          (rows) => ({ rows, error: undefined }),
          (err: unknown) => ({ rows: [], error: err as Error & { errno?: number; fatal?: boolean } }),
        ),
      ]);
      // A lost connection is the server's problem; an SQL error (no privilege) is the check's.
      if (replica.error && (replica.error.fatal || typeof replica.error.errno !== 'number'))
        throw replica.error;
      const status = replicaStatusOf(replica.rows[0]);
      return {
        ...base(state[0]),
        isReplica: status !== null,
        ioRunning: status?.ioRunning ?? false,
        sqlRunning: status?.sqlRunning ?? false,
        lagSeconds: status?.lagSeconds ?? null,
        ...(replica.error
          ? {
              error: `cannot read replica status: ${replica.error.message} (grant SLAVE MONITOR, or REPLICATION CLIENT on MySQL)`,
            }
          : {}),
      };
    } catch (err) {
      node.probe?.destroy();
      node.probe = undefined;
      return unreachable(err instanceof Error ? err.message : String(err));
    }
  }

  #connectProbe(node: RouteNode, timeoutMs: number): Connection {
    const conn = mysql.createConnection({
      ...node.target.options,
      connectTimeout: Math.min(node.target.options.connectTimeout ?? timeoutMs, timeoutMs),
    });
    conn.on('error', () => {
      if (node.probe === conn) node.probe = undefined;
      conn.destroy();
    });
    return conn;
  }
}

function base(row: Record<string, unknown> | undefined): NodeHealth {
  return {
    reachable: true,
    readOnly: Number(row?.ro ?? 1) !== 0,
    isReplica: false,
    ioRunning: false,
    sqlRunning: false,
    lagSeconds: null,
    position: String(row?.pos ?? ''),
  };
}

/** One query on the health-check connection, failing after `timeoutMs` (the caller then drops the connection). */
function askWithin<T>(conn: Connection, sql: string, timeoutMs: number): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    conn.query(sql, (err, rows) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(rows as T[]);
    });
  });
}
