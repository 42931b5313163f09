/**
 * Server metrics under mysqld_exporter's names (its 0.14 collectors global_status, global_variables
 * and slave_status, the ones on by default), so dashboards and alert rules written for the exporter
 * work unchanged: `mysql_global_status_*` (with the exporter's labelled families such as
 * `commands_total{command}`), `mysql_global_variables_*`, `mysql_version_info`,
 * `mysql_transaction_isolation`, the Galera info metrics and `mysql_slave_status_*`.
 * Pure functions over the rows of SHOW GLOBAL STATUS / VARIABLES / replica status.
 */
import { type Exposition, formatValue, header, labelSet, type MetricType, metricPart } from './exposition.js';

/** A row of SHOW GLOBAL STATUS or SHOW GLOBAL VARIABLES. */
export interface NameValueRow {
  Variable_name: string;
  Value: string | null;
}

const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/**
 * A server value as a number, or undefined when mysqld_exporter would skip it: ON/YES are 1,
 * OFF/NO/DISABLED 0, replication and Galera states as the exporter maps them, otherwise a plain
 * float (Go's ParseFloat syntax); anything else (versions, paths, dates) is not a metric.
 */
export function parseServerValue(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  switch (raw.toLowerCase()) {
    case 'yes':
    case 'on':
    case 'primary':
      return 1;
    case 'no':
    case 'off':
    case 'disabled':
    case 'connecting':
    case 'non-primary':
    case 'disconnected':
      return 0;
  }
  if (!FLOAT.test(raw)) return undefined;
  const lower = raw.toLowerCase();
  if (lower.endsWith('nan')) return Number.NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return raw.startsWith('-') ? -Infinity : Infinity;
  return Number(raw);
}

interface Family {
  name: string;
  type: MetricType;
  help: string;
  label: string;
}

const STATUS = 'mysql_global_status_';

function family(suffix: string, type: MetricType, help: string, label: string): Family {
  return { name: `${STATUS}${suffix}`, type, help, label };
}

/** The exporter's labelled families, in the order they are written. */
const FAMILIES = {
  com: family('commands_total', 'counter', 'Total number of executed MySQL commands.', 'command'),
  handler: family('handlers_total', 'counter', 'Total number of executed MySQL handlers.', 'handler'),
  connection_errors: family(
    'connection_errors_total',
    'counter',
    'Total number of MySQL connection errors.',
    'error',
  ),
  pages: family('buffer_pool_pages', 'gauge', 'Innodb buffer pool pages by state.', 'state'),
  pageChanges: family(
    'buffer_pool_page_changes_total',
    'counter',
    'Innodb buffer pool page state changes.',
    'operation',
  ),
  innodb_rows: family(
    'innodb_row_ops_total',
    'counter',
    'Total number of MySQL InnoDB row operations.',
    'operation',
  ),
  performance_schema: family(
    'performance_schema_lost_total',
    'counter',
    'Total number of MySQL instrumentations that could not be loaded or created due to memory constraints.',
    'instrumentation',
  ),
} as const;
type FamilyKey = keyof typeof FAMILIES;
const FAMILY_ORDER = Object.keys(FAMILIES) as FamilyKey[];

const GROUPED =
  /^(com|handler|connection_errors|innodb_buffer_pool_pages|innodb_rows|performance_schema)_(.*)$/;
const DIRTY_PAGES = `${STATUS}buffer_pool_dirty_pages`;

/** Where one status variable goes; computed once per name and kept (the names never change). */
type StatusPlan =
  | { kind: 'single'; head: string }
  | { kind: 'family'; family: FamilyKey; labels: string }
  | { kind: 'skip' };

const MAX_CACHED = 10_000;
const statusPlans = new Map<string, StatusPlan>();
const variableHeads = new Map<string, string>();

function planStatus(name: string): StatusPlan {
  const key = metricPart(name);
  const m = GROUPED.exec(key);
  if (!m) {
    const metric = `${STATUS}${key}`;
    return {
      kind: 'single',
      head: `${header(metric, 'untyped', 'Generic metric from SHOW GLOBAL STATUS.')}${metric} `,
    };
  }
  const group = m[1] as string;
  const rest = m[2] as string;
  if (group === 'innodb_buffer_pool_pages') {
    if (rest === 'total') return { kind: 'skip' };
    if (rest === 'dirty') {
      return {
        kind: 'single',
        head: `${header(DIRTY_PAGES, 'gauge', 'Innodb buffer pool dirty pages.')}${DIRTY_PAGES} `,
      };
    }
    const f: FamilyKey =
      rest === 'data' || rest === 'free' || rest === 'misc' || rest === 'old' ? 'pages' : 'pageChanges';
    return { kind: 'family', family: f, labels: labelSet([[FAMILIES[f].label, rest]]) };
  }
  const f = group as FamilyKey;
  return { kind: 'family', family: f, labels: labelSet([[FAMILIES[f].label, rest]]) };
}

function cached<V>(map: Map<string, V>, key: string, make: (k: string) => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make(key);
    if (map.size < MAX_CACHED) map.set(key, v);
  }
  return v;
}

/** SHOW GLOBAL STATUS as mysqld_exporter's global_status collector writes it. */
export function writeGlobalStatus(out: Exposition, rows: readonly NameValueRow[]): void {
  const grouped = new Map<FamilyKey, Array<readonly [string, number]>>();
  let text = '';
  const texts = new Map<string, string>();
  for (const row of rows) {
    const value = parseServerValue(row.Value);
    if (value === undefined) {
      const k = row.Variable_name.toLowerCase();
      if (GALERA_STATUS_TEXT.has(k)) texts.set(k, String(row.Value ?? ''));
      continue;
    }
    const plan = cached(statusPlans, row.Variable_name, planStatus);
    if (plan.kind === 'single') text += `${plan.head}${formatValue(value)}\n`;
    else if (plan.kind === 'family') {
      append(grouped, plan.family, [plan.labels, value]);
    }
  }
  out.raw(text);
  for (const key of FAMILY_ORDER) {
    const f = FAMILIES[key];
    out.family(f.name, f.type, f.help, grouped.get(key) ?? []);
  }
  const uuid = texts.get('wsrep_local_state_uuid');
  if (uuid) {
    out.family('mysql_galera_status_info', 'gauge', 'PXC/Galera status information.', [
      [
        labelSet([
          ['wsrep_local_state_uuid', uuid],
          ['wsrep_cluster_state_uuid', texts.get('wsrep_cluster_state_uuid') ?? ''],
          ['wsrep_provider_version', texts.get('wsrep_provider_version') ?? ''],
        ]),
        1,
      ],
    ]);
  }
  writeEvsLatency(out, texts.get('wsrep_evs_repl_latency'));
}

/**
 * wsrep_evs_repl_latency (`min/avg/max/stdev/sample_size` of the group communication round trip,
 * seconds) as mysqld_exporter splits it: `mysql_galera_evs_repl_latency_{min,avg,max}_seconds`,
 * `..._stdev` and `..._sample_size`. Nothing when the value is missing or malformed.
 */
function writeEvsLatency(out: Exposition, raw: string | undefined): void {
  const parts = raw?.split('/').map((p) => parseServerValue(p.trim()));
  if (parts?.length !== 5 || parts.some((p) => p === undefined)) return;
  const names = ['min_seconds', 'avg_seconds', 'max_seconds', 'stdev', 'sample_size'] as const;
  const help = ['Min value.', 'Average value.', 'Max value.', 'Standard Deviation.', 'Sample size.'];
  names.forEach((n, i) => {
    out.single(
      `mysql_galera_evs_repl_latency_${n}`,
      'gauge',
      `PXC/Galera group communication latency. ${help[i]}`,
      parts[i] as number,
    );
  });
}

const GALERA_STATUS_TEXT = new Set([
  'wsrep_evs_repl_latency',
  'wsrep_local_state_uuid',
  'wsrep_cluster_state_uuid',
  'wsrep_provider_version',
]);
const VARIABLE_TEXT = new Set([
  'innodb_version',
  'version',
  'version_comment',
  'wsrep_cluster_name',
  'wsrep_provider_options',
  'transaction_isolation',
  'tx_isolation',
]);

function variableHead(name: string): string {
  const metric = `mysql_global_variables_${metricPart(name)}`;
  return `${header(metric, 'gauge', 'Generic gauge metric from SHOW GLOBAL VARIABLES.')}${metric} `;
}

/**
 * SHOW GLOBAL VARIABLES as the exporter's global_variables collector writes it, with
 * `mysql_version_info`, `mysql_transaction_isolation` and the Galera variables. Returns the text
 * variables it kept (lower-cased names), for callers that want the version.
 */
export function writeGlobalVariables(out: Exposition, rows: readonly NameValueRow[]): Map<string, string> {
  const texts = new Map<string, string>();
  let text = '';
  for (const row of rows) {
    const value = parseServerValue(row.Value);
    if (value === undefined) {
      const k = row.Variable_name.toLowerCase();
      if (VARIABLE_TEXT.has(k)) texts.set(k, String(row.Value ?? ''));
      continue;
    }
    text += `${cached(variableHeads, row.Variable_name, variableHead)}${formatValue(value)}\n`;
  }
  out.raw(text);
  out.family('mysql_version_info', 'gauge', 'MySQL version and distribution.', [
    [
      labelSet([
        ['innodb_version', texts.get('innodb_version') ?? ''],
        ['version', texts.get('version') ?? ''],
        ['version_comment', texts.get('version_comment') ?? ''],
      ]),
      1,
    ],
  ]);
  const level = texts.get('transaction_isolation') || texts.get('tx_isolation');
  if (level) {
    out.family('mysql_transaction_isolation', 'gauge', 'MySQL transaction isolation.', [
      [labelSet([['level', level]]), 1],
    ]);
  }
  const cluster = texts.get('wsrep_cluster_name');
  if (cluster) {
    out.family('mysql_galera_variables_info', 'gauge', 'PXC/Galera variables information.', [
      [labelSet([['wsrep_cluster_name', cluster]]), 1],
    ]);
  }
  const options = texts.get('wsrep_provider_options');
  if (options)
    out.single('mysql_galera_gcache_size_bytes', 'gauge', 'PXC/Galera gcache size.', gcacheBytes(options));
  return texts;
}

function gcacheBytes(options: string): number {
  const m = /gcache.size = (\d+)([MG]?);/.exec(options);
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === 'M' ? n * 1024 * 1024 : m[2] === 'G' ? n * 1024 * 1024 * 1024 : n;
}

/**
 * A replica status column under the exporter's classic name: MySQL 8.0.22+ `SHOW REPLICA STATUS`
 * says Replica/Source where SHOW SLAVE STATUS said Slave/Master, and dashboards use the old names
 * (`mysql_slave_status_seconds_behind_master`). `Replicate_*` columns keep their names.
 */
export function classicReplicaColumn(column: string): string {
  return column.replace(/Replica(?=_|$)/g, 'Slave').replace(/Source(?=_|$)/g, 'Master');
}

/** Replica status rows (one per replication channel) as `mysql_slave_status_*`. */
export function writeReplicaStatus(out: Exposition, rows: ReadonlyArray<Record<string, unknown>>): void {
  const families = new Map<string, Array<readonly [string, number]>>();
  for (const row of rows) {
    const classic: Record<string, unknown> = {};
    for (const [col, v] of Object.entries(row)) classic[classicReplicaColumn(col)] = v;
    const str = (k: string) => (classic[k] === null || classic[k] === undefined ? '' : String(classic[k]));
    const labels = labelSet([
      ['master_host', str('Master_Host')],
      ['master_uuid', str('Master_UUID')],
      ['channel_name', str('Channel_Name') || str('Connection_name')],
    ]);
    for (const [col, v] of Object.entries(classic)) {
      const value = parseServerValue(v === null || v === undefined ? null : String(v));
      if (value === undefined) continue;
      const name = `mysql_slave_status_${metricPart(col)}`;
      append(families, name, [labels, value]);
    }
  }
  for (const [name, samples] of families) {
    out.family(name, 'untyped', 'Generic metric from SHOW SLAVE STATUS.', samples);
  }
}

function append<K, V>(map: Map<K, V[]>, key: K, item: V): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
