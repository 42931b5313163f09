/**
 * mysqlops' own state as metrics: ETL freshness per pipeline (etl_state, etl_runs, etl_pending) and
 * the audit chain (unsealed rows per table, seals) in one statement, so a scrape costs one round
 * trip for all of it. Tables that are not there (a database not migrated yet) are left out of the
 * statement instead of failing it; which ones exist is asked once and re-asked only while some are
 * missing, at most once a minute.
 */
import type { DatabaseManager } from '../../db/index.js';
import { type Exposition, labelSet } from './exposition.js';

const ETL_TABLES = ['etl_state', 'etl_runs', 'etl_pending'] as const;
const AUDIT_TABLES = ['audit_config', 'audit_log', 'audit_seal'] as const;
const ALL_TABLES = [...ETL_TABLES, ...AUDIT_TABLES];

const TABLES_SQL = `SELECT TABLE_NAME AS t FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${ALL_TABLES.map(() => '?').join(', ')})`;

// Every part returns (kind, name, a, b, c, d); times are Unix seconds on the server's clock (the
// pool's sessions run in UTC, the time zone these DATETIME columns are written in).
const NOW_SQL =
  "SELECT 'now' AS kind, '' AS name, UNIX_TIMESTAMP(NOW(3)) AS a, NULL AS b, NULL AS c, NULL AS d";

// a: built, b: last successful run, c: keys pending, d: 1 when the latest run failed.
const ETL_SQL = `SELECT 'etl', s.pipeline, s.built, UNIX_TIMESTAMP(s.last_run_at),
  (SELECT COUNT(*) FROM etl_pending p WHERE p.pipeline = s.pipeline),
  (SELECT r.status = 'failed' FROM etl_runs r WHERE r.pipeline = s.pipeline
    ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1)
 FROM etl_state s`;

// a: unsealed rows, b: changed_at of the oldest unsealed row (found through the seal index, which
// ends with audit_id, then one primary key lookup), c: the table's latest seal.
const AUDIT_SQL = `SELECT 'audit', t.table_name,
  (SELECT COUNT(*) FROM audit_log l WHERE l.table_name = t.table_name AND l.seal_id IS NULL),
  (SELECT UNIX_TIMESTAMP(o.changed_at) FROM audit_log o WHERE o.audit_id =
    (SELECT MIN(l.audit_id) FROM audit_log l WHERE l.table_name = t.table_name AND l.seal_id IS NULL)),
  (SELECT UNIX_TIMESTAMP(s.sealed_at) FROM audit_seal s WHERE s.table_name = t.table_name
    ORDER BY s.seal_id DESC LIMIT 1),
  NULL
 FROM (SELECT table_name FROM audit_config UNION SELECT DISTINCT table_name FROM audit_log) t`;

// a: seals so far (seal ids count up from 1), b: when the latest was made.
const CHAIN_SQL = `SELECT 'chain', '', (SELECT MAX(seal_id) FROM audit_seal),
  (SELECT UNIX_TIMESTAMP(sealed_at) FROM audit_seal ORDER BY seal_id DESC LIMIT 1), NULL, NULL`;

const ER_NO_SUCH_TABLE = 1146;

interface Row {
  kind: string;
  name: string;
  a: unknown;
  b: unknown;
  c: unknown;
  d: unknown;
}

export interface EtlPipelineMetrics {
  pipeline: string;
  built: boolean;
  /** Unix seconds of the last successful run, or null. */
  lastSuccess: number | null;
  pendingKeys: number;
  lastRunFailed: boolean;
}

export interface AuditTableMetrics {
  table: string;
  unsealed: number;
  oldestUnsealed: number | null;
  lastSeal: number | null;
}

export interface AppState {
  /** The server's clock, Unix seconds. */
  now: number;
  /** null when the ETL tables are not there. */
  etl: EtlPipelineMetrics[] | null;
  audit: { tables: AuditTableMetrics[]; seals: number; lastSeal: number | null } | null;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class AppStateReader {
  readonly #db: DatabaseManager;
  readonly #recheckMs: number;
  readonly #timeoutMs: number;
  #present: Set<string> | undefined;
  #checkedAt = 0;

  constructor(db: DatabaseManager, options: { recheckMs: number; timeoutMs: number }) {
    this.#db = db;
    this.#recheckMs = options.recheckMs;
    this.#timeoutMs = options.timeoutMs;
  }

  async read(): Promise<AppState> {
    const present = await this.#tables();
    const etl = ETL_TABLES.every((t) => present.has(t));
    const audit = AUDIT_TABLES.every((t) => present.has(t));
    const parts = [NOW_SQL, ...(etl ? [ETL_SQL] : []), ...(audit ? [AUDIT_SQL, CHAIN_SQL] : [])];
    let rows: Row[];
    try {
      rows = await this.#db.query<Row>(parts.join('\nUNION ALL\n'), undefined, {
        timeoutMs: this.#timeoutMs,
      });
    } catch (err) {
      // A table dropped since we looked: look again next time.
      if ((err as { errno?: number }).errno === ER_NO_SUCH_TABLE) this.#present = undefined;
      throw err;
    }
    const state: AppState = { now: Date.now() / 1000, etl: etl ? [] : null, audit: null };
    if (audit) state.audit = { tables: [], seals: 0, lastSeal: null };
    for (const r of rows) {
      if (r.kind === 'now') state.now = num(r.a) ?? state.now;
      else if (r.kind === 'etl') {
        state.etl?.push({
          pipeline: String(r.name),
          built: Number(r.a) === 1,
          lastSuccess: num(r.b),
          pendingKeys: Number(r.c ?? 0),
          lastRunFailed: Number(r.d ?? 0) === 1,
        });
      } else if (r.kind === 'audit') {
        state.audit?.tables.push({
          table: String(r.name),
          unsealed: Number(r.a ?? 0),
          oldestUnsealed: num(r.b),
          lastSeal: num(r.c),
        });
      } else if (r.kind === 'chain' && state.audit) {
        state.audit.seals = Number(r.a ?? 0);
        state.audit.lastSeal = num(r.b);
      }
    }
    return state;
  }

  async #tables(): Promise<Set<string>> {
    const complete = this.#present?.size === ALL_TABLES.length;
    if (this.#present && (complete || Date.now() - this.#checkedAt < this.#recheckMs)) return this.#present;
    const rows = await this.#db.query<{ t: string }>(TABLES_SQL, ALL_TABLES);
    this.#present = new Set(rows.map((r) => String(r.t)));
    this.#checkedAt = Date.now();
    return this.#present;
  }
}

/** Seconds from `at` to `now`; +Inf for "never", which is older than any threshold. */
export function ageSeconds(now: number, at: number | null | undefined): number {
  return at === null || at === undefined ? Infinity : Math.max(0, now - at);
}

/** The ETL and audit families. */
export function writeAppState(out: Exposition, s: AppState): void {
  if (s.etl) {
    const by = (f: (p: EtlPipelineMetrics) => number) =>
      s.etl?.map((p) => [labelSet([['pipeline', p.pipeline]]), f(p)] as const) ?? [];
    out.family(
      'mysqlops_etl_last_success_timestamp_seconds',
      'gauge',
      'When the pipeline last ran successfully (Unix time; 0: never).',
      by((p) => p.lastSuccess ?? 0),
    );
    out.family(
      'mysqlops_etl_age_seconds',
      'gauge',
      'Seconds since the pipeline last ran successfully (+Inf: never).',
      by((p) => ageSeconds(s.now, p.lastSuccess)),
    );
    out.family(
      'mysqlops_etl_built',
      'gauge',
      '1 when the report table is complete (a full build finished).',
      by((p) => (p.built ? 1 : 0)),
    );
    out.family(
      'mysqlops_etl_pending_keys',
      'gauge',
      'Captured changes the pipeline still has to apply.',
      by((p) => p.pendingKeys),
    );
    out.family(
      'mysqlops_etl_last_run_failed',
      'gauge',
      '1 when the latest run of the pipeline failed.',
      by((p) => (p.lastRunFailed ? 1 : 0)),
    );
  }
  if (s.audit) {
    const a = s.audit;
    out.family(
      'mysqlops_audit_unsealed_rows',
      'gauge',
      'Audit rows not yet sealed into the hash chain, by audited table.',
      a.tables.map((t) => [labelSet([['table', t.table]]), t.unsealed] as const),
    );
    const oldest = a.tables.reduce<number | null>(
      (m, t) => (t.oldestUnsealed !== null && (m === null || t.oldestUnsealed < m) ? t.oldestUnsealed : m),
      null,
    );
    out.single(
      'mysqlops_audit_oldest_unsealed_age_seconds',
      'gauge',
      'Age of the oldest unsealed audit row (0: none waiting).',
      oldest === null ? 0 : ageSeconds(s.now, oldest),
    );
    out.single('mysqlops_audit_seals', 'gauge', 'Sealed blocks in the audit hash chain.', a.seals);
    out.single(
      'mysqlops_audit_last_seal_age_seconds',
      'gauge',
      'Seconds since the latest audit seal (+Inf: never sealed).',
      ageSeconds(s.now, a.lastSeal),
    );
  }
}
