/**
 * What a routing health check learned about one server, and the pure rules that turn it into
 * decisions: may it take reads, may it take writes. No I/O here (see router.ts), so the rules are
 * unit-tested without servers, Galera ones included.
 */

export type RoutingMode = 'replication' | 'galera';

/** One server's state at the last check. */
export interface NodeHealth {
  /** The check got answers. False: down, refusing, or too slow (then `error` says what). */
  reachable: boolean;
  readOnly: boolean;
  /** Replication is configured on it (a replica status row exists), running or not. */
  isReplica: boolean;
  ioRunning: boolean;
  sqlRunning: boolean;
  /** Seconds_Behind_Master / Seconds_Behind_Source; null when the SQL thread is stopped or unknown. */
  lagSeconds: number | null;
  /** The GTID position it has applied, as the server prints it. */
  position: string;
  /** Galera only: wsrep_local_state (4 = Synced) and wsrep_ready. */
  galera?: { state: number | null; ready: boolean };
  /** Why the check failed, or why replica status could not be read. */
  error?: string;
}

/** The health of a server that did not answer. */
export function unreachable(error: string): NodeHealth {
  return {
    reachable: false,
    readOnly: true,
    isReplica: false,
    ioRunning: false,
    sqlRunning: false,
    lagSeconds: null,
    position: '',
    error,
  };
}

/** The replica fields of one SHOW SLAVE STATUS / SHOW REPLICA STATUS row (either spelling), or null for no row. */
export function replicaStatusOf(
  row: Record<string, unknown> | undefined,
): { ioRunning: boolean; sqlRunning: boolean; lagSeconds: number | null } | null {
  if (!row) return null;
  const pick = (...names: string[]) => names.map((n) => row[n]).find((v) => v !== undefined);
  const lag = pick('Seconds_Behind_Master', 'Seconds_Behind_Source');
  return {
    ioRunning: String(pick('Slave_IO_Running', 'Replica_IO_Running') ?? '') === 'Yes',
    sqlRunning: String(pick('Slave_SQL_Running', 'Replica_SQL_Running') ?? '') === 'Yes',
    lagSeconds: lag === null || lag === undefined || lag === '' ? null : Number(lag),
  };
}

/** wsrep_local_state and wsrep_ready from `SHOW GLOBAL STATUS` rows (Variable_name, Value). */
export function galeraStateOf(rows: Array<Record<string, unknown>>): {
  state: number | null;
  ready: boolean;
} {
  const value = (name: string) =>
    rows.find((r) => String(r.Variable_name ?? r.variable_name ?? '').toLowerCase() === name)?.Value;
  const state = value('wsrep_local_state');
  return {
    state: state === undefined || state === null || state === '' ? null : Number(state),
    ready: String(value('wsrep_ready') ?? '').toUpperCase() === 'ON',
  };
}

/** Galera: Synced (wsrep_local_state 4) and wsrep_ready ON. */
export function isSynced(h: NodeHealth): boolean {
  return h.reachable && h.galera?.state === 4 && h.galera.ready;
}

/** Whether a server may take reads, and if not, why (for stats and the replicaOut event). */
export function readEligibility(
  h: NodeHealth,
  mode: RoutingMode,
  maxLagSeconds: number,
): { ok: boolean; reason: string } {
  if (!h.reachable) return { ok: false, reason: `unreachable: ${h.error ?? 'no answer'}` };
  if (mode === 'galera') {
    if (isSynced(h)) return { ok: true, reason: 'synced' };
    return {
      ok: false,
      reason: `not synced (wsrep_local_state ${h.galera?.state ?? 'unknown'}, wsrep_ready ${h.galera?.ready ? 'ON' : 'OFF'})`,
    };
  }
  if (h.error) return { ok: false, reason: h.error };
  if (!h.isReplica) return { ok: false, reason: 'not a replica (no replication configured)' };
  if (!h.ioRunning || !h.sqlRunning) {
    return {
      ok: false,
      reason: `replication stopped (IO thread ${h.ioRunning ? 'running' : 'stopped'}, SQL thread ${h.sqlRunning ? 'running' : 'stopped'})`,
    };
  }
  if (h.lagSeconds === null) return { ok: false, reason: 'lag unknown' };
  if (h.lagSeconds > maxLagSeconds)
    return { ok: false, reason: `lag ${h.lagSeconds} s > ${maxLagSeconds} s` };
  return { ok: true, reason: `lag ${h.lagSeconds} s` };
}

/**
 * Whether a server may take writes: with replication, writable (read_only=0) and not a replica
 * itself; with Galera, synced and writable.
 */
export function isWriterCandidate(h: NodeHealth, mode: RoutingMode): boolean {
  if (!h.reachable || h.readOnly) return false;
  return mode === 'galera' ? isSynced(h) : !h.isReplica;
}

/**
 * The writer among `nodes` (index order = configuration order): the current one while it still
 * qualifies (no flapping), else the first candidate; undefined when none qualifies.
 */
export function chooseWriter(
  healths: ReadonlyArray<NodeHealth | undefined>,
  current: number | undefined,
  mode: RoutingMode,
): number | undefined {
  if (current !== undefined) {
    const h = healths[current];
    if (h && isWriterCandidate(h, mode)) return current;
  }
  const i = healths.findIndex((h) => h !== undefined && isWriterCandidate(h, mode));
  return i < 0 ? undefined : i;
}
