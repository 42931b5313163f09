/**
 * `config check`: a running server's variables against the recommendation for its flavor and
 * version, MySQLTuner-style. Every recommended setting is reported (matching ones too, so the
 * reasons are visible), plus a few observations from status counters. Advice, not failure: nothing
 * here throws for a server that differs. Thresholds are documented in docs/operations/server-config.md.
 */
import type { DatabaseManager } from '../db/index.js';
import {
  type RecommendedSetting,
  recommendServerConfig,
  type ServerConfigInput,
  type ServerConfigRecommendation,
} from './recommend.js';
import { parseSize } from './units.js';

export type CheckSeverity = 'ok' | 'info' | 'warning';

/** One recommended setting compared with the server's value. */
export interface SettingFinding {
  variable: string;
  /** The server's value, or null when this server has no such variable. */
  current: string | null;
  recommended: string;
  reason: string;
  severity: CheckSeverity;
  /** Why the severity: `matches`, `differs by more than 25%`, ... */
  note: string;
}

/**
 * A status counter judged against a threshold (e.g. peak connections against max_connections), with advice
 * when it is off.
 */
export interface StatusObservation {
  name: string;
  value: number | null;
  threshold: string;
  severity: CheckSeverity;
  advice: string;
}

/**
 * What `checkServerConfig` found: each recommended setting against the running value, plus status counters
 * that hint at undersized settings.
 */
export interface ConfigCheckReport {
  server: string;
  recommendation: Omit<ServerConfigRecommendation, 'text' | 'settings'>;
  findings: SettingFinding[];
  observations: StatusObservation[];
  summary: Record<CheckSeverity, number>;
}

/** Numbers and sizes within this ratio of the recommendation count as matching. */
export const TOLERANCE = 0.25;

/** Per-server identity, not tuning: never compared. */
const NOT_COMPARED = new Set(['server_id']);

/**
 * Compare the server behind `db` with `recommendServerConfig` for its own flavor and version
 * (memory, cores and workload from `input`; memory and cores default to this machine's, which is
 * only right when the server runs here: pass them for a remote server).
 */
export async function checkServerConfig(
  db: DatabaseManager,
  input: Omit<ServerConfigInput, 'flavor' | 'version'> = {},
): Promise<ConfigCheckReport> {
  await db.initialize();
  const flavor = db.flavor;
  const { major, minor, patch } = flavor.version;
  const rec = recommendServerConfig({
    ...input,
    flavor: flavor.kind,
    version: `${major}.${minor}.${patch}`,
  });
  const variables = await readPairs(db, 'SHOW GLOBAL VARIABLES');
  const status = await readPairs(db, 'SHOW GLOBAL STATUS');
  const findings = rec.settings
    .filter((s) => !NOT_COMPARED.has(s.name))
    .map((s) => compareSetting(s, variables.get(s.name.toLowerCase())));
  const observations = observe(status, variables);
  const summary: Record<CheckSeverity, number> = { ok: 0, info: 0, warning: 0 };
  for (const x of [...findings, ...observations]) summary[x.severity] += 1;
  const { text: _text, settings: _settings, ...recommendation } = rec;
  return { server: flavor.label, recommendation, findings, observations, summary };
}

async function readPairs(db: DatabaseManager, sql: string): Promise<Map<string, string>> {
  const rows = await db.query<{ Variable_name: string; Value: string | null }>(sql);
  return new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value ?? '']));
}

const ON = new Set(['on', '1', 'yes', 'true']);
const OFF = new Set(['off', '0', 'no', 'false', '']);

/** Compare one setting; exported for unit tests of the thresholds. */
export function compareSetting(s: RecommendedSetting, current: string | undefined): SettingFinding {
  const base = { variable: s.name, recommended: s.value, reason: s.reason };
  if (current === undefined) {
    return { ...base, current: null, severity: 'info', note: 'this server has no such variable' };
  }
  const differs = (note: string): SettingFinding => ({ ...base, current, severity: s.importance, note });
  const matches: SettingFinding = { ...base, current, severity: 'ok', note: 'matches' };
  switch (s.kind) {
    case 'switch': {
      const want = !OFF.has(s.value.toLowerCase());
      const have = ON.has(current.toLowerCase()) ? true : OFF.has(current.toLowerCase()) ? false : undefined;
      return have === want ? matches : differs(`should be ${want ? 'ON' : 'OFF'}`);
    }
    case 'text':
      return current.toLowerCase() === s.value.toLowerCase() ? matches : differs('differs');
    case 'size':
    case 'number': {
      const want = s.kind === 'size' ? parseSize(s.value) : Number(s.value);
      const have = Number(current);
      if (!Number.isFinite(have)) return differs('not a number on this server');
      if (want === have) return matches;
      const ratio = want === 0 ? Number.POSITIVE_INFINITY : have / want;
      if (Math.abs(ratio - 1) <= TOLERANCE) return { ...matches, note: 'within 25% of the recommendation' };
      return differs(
        ratio < 1 ? 'lower than recommended by more than 25%' : 'higher than recommended by more than 25%',
      );
    }
  }
}

function num(m: Map<string, string>, name: string): number | null {
  const v = m.get(name);
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Status-counter checks; each skips (ok) until enough activity makes the ratio meaningful. */
function observe(status: Map<string, string>, variables: Map<string, string>): StatusObservation[] {
  const out: StatusObservation[] = [];
  const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

  const maxUsed = num(status, 'max_used_connections');
  const maxConn = num(variables, 'max_connections');
  const connUse = ratio(maxUsed, maxConn);
  out.push({
    name: 'peak connections / max_connections',
    value: connUse === null ? null : round(connUse * 100),
    threshold: 'warning above 85%',
    severity: connUse !== null && connUse > 0.85 ? 'warning' : 'ok',
    advice: 'near the limit, new clients get "Too many connections": raise max_connections or pool harder',
  });

  const reads = num(status, 'innodb_buffer_pool_reads');
  const requests = num(status, 'innodb_buffer_pool_read_requests');
  const miss = requests !== null && requests >= 10_000 ? ratio(reads, requests) : null;
  out.push({
    name: 'buffer pool reads from disk (%)',
    value: miss === null ? null : round(miss * 100),
    threshold: 'warning above 1% (after 10 000 read requests)',
    severity: miss !== null && miss > 0.01 ? 'warning' : 'ok',
    advice:
      'many page reads miss the buffer pool: the working set does not fit, raise innodb_buffer_pool_size',
  });

  const tmp = num(status, 'created_tmp_tables');
  const tmpDisk = num(status, 'created_tmp_disk_tables');
  const diskShare = tmp !== null && tmp >= 100 ? ratio(tmpDisk, tmp) : null;
  out.push({
    name: 'temporary tables on disk (%)',
    value: diskShare === null ? null : round(diskShare * 100),
    threshold: 'info above 25% (after 100 temporary tables)',
    severity: diskShare !== null && diskShare > 0.25 ? 'info' : 'ok',
    advice:
      'GROUP BY / DISTINCT spill to disk: index the queries, or raise tmp_table_size with max_heap_table_size',
  });

  const created = num(status, 'threads_created');
  const connections = num(status, 'connections');
  const threadMiss = connections !== null && connections >= 100 ? ratio(created, connections) : null;
  out.push({
    name: 'connections that created a thread (%)',
    value: threadMiss === null ? null : round(threadMiss * 100),
    threshold: 'info above 10% (after 100 connections)',
    severity: threadMiss !== null && threadMiss > 0.1 ? 'info' : 'ok',
    advice: 'the thread cache is too small for the connection churn: raise thread_cache_size',
  });
  return out;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
