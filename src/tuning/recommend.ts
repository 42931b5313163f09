/**
 * The recommended [mysqld] settings for a server of a given size, workload, flavor and version.
 * Pure: the caller supplies memory and cores (the CLI defaults them to this machine's). Every value
 * carries the reason it has, and the rules are documented in docs/operations/server-config.md.
 */
import * as os from 'node:os';
import { UsageError } from '../errors.js';
import { floorTo, formatSize, GIB, MIB, parseVersionFlag } from './units.js';

export type Workload = 'oltp' | 'mixed';
export type TuningFlavor = 'mariadb' | 'mysql';

/** The machine and workload to size for; every field defaults to this machine or the common case. */
export interface ServerConfigInput {
  /** Memory of the server machine in bytes; default: this machine's (os.totalmem()). At least 1 GiB. */
  memoryBytes?: number;
  /** CPU cores of the server machine; default: this machine's (os.cpus().length). */
  cores?: number;
  /** `oltp` (many short transactions; the default) or `mixed` (OLTP plus reporting queries). */
  workload?: Workload;
  /** Default `mariadb` (what the sandbox runs). */
  flavor?: TuningFlavor;
  /** `10.11`, `8.0.36`...; default 10.11 for MariaDB and 8.0.36 for MySQL. */
  version?: string;
}

/** How a running server's value is compared with the recommendation (see config check). */
export type SettingKind = 'size' | 'number' | 'switch' | 'text';

/** One [mysqld] setting `recommendServerConfig` suggests, with the reason in words. */
export interface RecommendedSetting {
  name: string;
  /** The value as written in my.cnf. */
  value: string;
  reason: string;
  kind: SettingKind;
  /** How much a running server that differs matters: `warning` for durability, safety, memory. */
  importance: 'warning' | 'info';
}

/** The settings for the given machine, as data (`settings`) and as a my.cnf (`text`). */
export interface ServerConfigRecommendation {
  flavor: TuningFlavor;
  version: string;
  memoryBytes: number;
  cores: number;
  workload: Workload;
  settings: RecommendedSetting[];
  /** A commented my.cnf with one [mysqld] section. */
  text: string;
}

const MIN_MEMORY = GIB;
const MAX_CORES = 1024;
const DEFAULT_VERSION: Record<TuningFlavor, string> = { mariadb: '10.11', mysql: '8.0.36' };

/**
 * Recommend [mysqld] settings. Throws UsageError (exit 2) for memory below 1 GiB, a core count
 * that is not a positive integer, an unknown workload or flavor, or a version older than MariaDB
 * 10.6 / MySQL 8.0 (the servers mysqlops supports).
 *
 * @example
 *   const { settings, text } = recommendServerConfig({ memoryBytes: 16 * 2 ** 30, cores: 8 });
 */
export function recommendServerConfig(input: ServerConfigInput = {}): ServerConfigRecommendation {
  const memory = input.memoryBytes ?? os.totalmem();
  const cores = input.cores ?? Math.max(1, os.cpus().length);
  const workload = input.workload ?? 'oltp';
  const flavor = input.flavor ?? 'mariadb';
  if (!Number.isFinite(memory) || memory < MIN_MEMORY) {
    throw new UsageError(
      `memory ${formatSize(Math.max(0, Math.floor(memory)))} is below the 1G minimum`,
      'give the memory of the server machine, at least 1G (e.g. --memory 16G)',
    );
  }
  if (!Number.isInteger(cores) || cores < 1 || cores > MAX_CORES) {
    throw new UsageError(
      `cores ${String(cores)} is not a count of CPU cores`,
      'give a whole number from 1, e.g. --cores 8',
    );
  }
  if (workload !== 'oltp' && workload !== 'mixed') {
    throw new UsageError(
      `unknown workload ${JSON.stringify(workload)}`,
      'use --workload oltp or --workload mixed',
    );
  }
  if (flavor !== 'mariadb' && flavor !== 'mysql') {
    throw new UsageError(
      `unknown flavor ${JSON.stringify(flavor)}`,
      'use --flavor mariadb or --flavor mysql',
    );
  }
  const versionText = input.version ?? DEFAULT_VERSION[flavor];
  const v = parseVersionFlag(versionText);
  const at = (major: number, minor: number, patch = 0) =>
    v.major !== major ? v.major > major : v.minor !== minor ? v.minor > minor : v.patch >= patch;
  if (flavor === 'mariadb' ? !at(10, 6) : !at(8, 0)) {
    throw new UsageError(
      `${flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${versionText} is older than mysqlops supports`,
      'recommendations cover MariaDB 10.6+ and MySQL 8.0+',
    );
  }
  const settings = buildSettings({ memory, cores, workload, flavor, at });
  return {
    flavor,
    version: versionText.trim(),
    memoryBytes: memory,
    cores,
    workload,
    settings,
    text: renderCnf(settings, { memory, cores, workload, flavor, version: versionText.trim() }),
  };
}

interface Facts {
  memory: number;
  cores: number;
  workload: Workload;
  flavor: TuningFlavor;
  at: (major: number, minor: number, patch?: number) => boolean;
}

/** Share of memory for the buffer pool; documented in docs/operations/server-config.md. */
export function bufferPoolFraction(memory: number, workload: Workload): number {
  if (memory < 4 * GIB) return workload === 'oltp' ? 0.5 : 0.4;
  return workload === 'oltp' ? 0.75 : 0.6;
}

function buildSettings(f: Facts): RecommendedSetting[] {
  const maria = f.flavor === 'mariadb';
  const gib = f.memory / GIB;
  const fraction = bufferPoolFraction(f.memory, f.workload);
  // 128M is InnoDB's chunk size: a pool that is not a multiple of it is rounded up by the server.
  const pool = floorTo(f.memory * fraction, 128 * MIB);
  const redo = Math.min(4 * GIB, Math.max(256 * MIB, floorTo(pool / 4, 128 * MIB)));
  const maxConnections = Math.min(f.workload === 'oltp' ? 1000 : 500, Math.max(100, Math.floor(gib * 25)));
  const tmpTable = f.memory < 4 * GIB ? 16 * MIB : f.workload === 'oltp' ? 32 * MIB : 64 * MIB;
  const ioThreads = Math.min(16, Math.max(4, Math.floor(f.cores / 2)));
  const s: RecommendedSetting[] = [];
  const add = (
    name: string,
    value: string | number,
    reason: string,
    kind: SettingKind,
    importance: 'warning' | 'info' = 'info',
  ) => {
    s.push({ name, value: String(value), reason, kind, importance });
  };

  add(
    'innodb_buffer_pool_size',
    formatSize(pool),
    `${Math.round(fraction * 100)}% of ${formatSize(floorTo(f.memory, MIB))} for the ${f.workload} workload: the working set ` +
      'stays in memory; the rest is left to the OS, connection buffers and temporary tables',
    'size',
    'warning',
  );
  if (!maria) {
    const instances = Math.min(8, Math.max(1, Math.floor(pool / GIB)));
    add(
      'innodb_buffer_pool_instances',
      instances,
      'one instance per GiB of pool up to 8: splits the pool mutex under concurrency (MariaDB 10.6+ has a single pool and no such setting)',
      'number',
    );
  }
  const redoReason =
    'a quarter of the buffer pool (256M to 4G): room for checkpoints to flush calmly under write bursts, with a bounded crash-recovery time';
  if (maria) add('innodb_log_file_size', formatSize(redo), redoReason, 'size', 'warning');
  else if (f.at(8, 0, 30)) add('innodb_redo_log_capacity', formatSize(redo), redoReason, 'size', 'warning');
  else
    add(
      'innodb_log_file_size',
      formatSize(redo / 2),
      `${redoReason} (two files in the group)`,
      'size',
      'warning',
    );
  add(
    'innodb_flush_log_at_trx_commit',
    1,
    'durability: the redo log is flushed at every commit, so a crash or power cut loses no acknowledged transaction',
    'number',
    'warning',
  );
  add(
    'sync_binlog',
    1,
    'durability: the binary log is synced at every commit, so replicas and point-in-time recovery never miss a committed transaction',
    'number',
    'warning',
  );
  add(
    'innodb_flush_method',
    'O_DIRECT',
    'data pages bypass the OS page cache: the buffer pool already caches them, so no memory is spent twice',
    'text',
  );
  add(
    'innodb_io_capacity',
    1000,
    'background flushing rate for SSD storage (use 200 on spinning disks)',
    'number',
  );
  add(
    'innodb_io_capacity_max',
    2000,
    'twice innodb_io_capacity: headroom when flushing falls behind',
    'number',
  );
  add(
    'innodb_read_io_threads',
    ioThreads,
    `half the ${f.cores} cores, 4 to 16: parallel read-ahead`,
    'number',
  );
  add(
    'innodb_write_io_threads',
    ioThreads,
    `half the ${f.cores} cores, 4 to 16: parallel page flushing`,
    'number',
  );
  add(
    'max_connections',
    maxConnections,
    `25 per GiB of memory, 100 to ${f.workload === 'oltp' ? 1000 : 500} for ${f.workload}: each connection may take several MiB of sort, join and temporary-table buffers beyond the buffer pool`,
    'number',
    'warning',
  );
  add(
    'thread_cache_size',
    Math.min(100, 8 + Math.floor(maxConnections / 10)),
    'reuses threads of closed connections, so connection bursts do not create a thread each',
    'number',
  );
  add(
    'table_open_cache',
    f.memory < 4 * GIB ? 2000 : 4000,
    'enough open table handles for every table used by concurrent sessions, without reopening files',
    'number',
  );
  add(
    'tmp_table_size',
    formatSize(tmpTable),
    'in-memory temporary tables (GROUP BY, DISTINCT) up to this size before they go to disk; per session, so kept modest',
    'size',
  );
  add(
    'max_heap_table_size',
    formatSize(tmpTable),
    'equal to tmp_table_size: the smaller of the two is the limit',
    'size',
  );

  add(
    'server_id',
    1,
    'required with a binary log; give each server of a replication topology its own',
    'number',
  );
  add(
    'log_bin',
    'mysql-bin',
    'the binary log: replicas, point-in-time recovery and incremental backups build on it',
    'switch',
    'warning',
  );
  add(
    'binlog_format',
    'ROW',
    'row events replay deterministically on replicas and in recovery',
    'text',
    'warning',
  );
  add(
    'binlog_expire_logs_seconds',
    7 * 86400,
    '7 days of binary logs: covers a weekly full-backup cycle for point-in-time recovery',
    'number',
  );
  if (maria) {
    add(
      'gtid_strict_mode',
      'ON',
      'replicas refuse out-of-order or duplicate GTIDs instead of diverging silently',
      'switch',
      'warning',
    );
    add(
      'log_slave_updates',
      'ON',
      'a replica logs what it applies, so it can be promoted or chained',
      'switch',
    );
  } else {
    add(
      'gtid_mode',
      'ON',
      'global transaction IDs: failover and replica setup without binlog file positions',
      'text',
      'warning',
    );
    add(
      'enforce_gtid_consistency',
      'ON',
      'required by gtid_mode=ON: refuses statements that cannot be logged with a GTID',
      'text',
      'warning',
    );
  }
  add(
    'performance_schema',
    'ON',
    'statement, wait and lock statistics that monitoring and query analysis read',
    'switch',
    'warning',
  );
  add('slow_query_log', 'ON', 'records statements slower than long_query_time for later analysis', 'switch');
  add(
    'long_query_time',
    f.workload === 'oltp' ? 0.5 : 2,
    f.workload === 'oltp'
      ? 'OLTP statements should take milliseconds: anything past 0.5 s is worth a look'
      : 'reporting queries legitimately run longer: log those past 2 s',
    'number',
  );
  add(
    'require_secure_transport',
    'ON',
    'TCP clients must use TLS (unix-socket clients are already local); set ssl_cert, ssl_key and ssl_ca too',
    'switch',
    'warning',
  );
  add(
    'skip_name_resolve',
    'ON',
    'no DNS lookup per connection: a slow resolver cannot stall logins',
    'switch',
  );
  add(
    'character_set_server',
    'utf8mb4',
    'full Unicode (including emoji); utf8/utf8mb3 cannot store 4-byte characters',
    'text',
    'warning',
  );
  add(
    'collation_server',
    maria ? 'utf8mb4_unicode_ci' : 'utf8mb4_0900_ai_ci',
    maria
      ? 'Unicode-aware comparison that matches the schema files'
      : "MySQL 8's default Unicode 9 collation",
    'text',
  );
  return s;
}

function renderCnf(
  settings: readonly RecommendedSetting[],
  f: { memory: number; cores: number; workload: Workload; flavor: TuningFlavor; version: string },
): string {
  const label = f.flavor === 'mariadb' ? 'MariaDB' : 'MySQL';
  const lines = [
    `# Generated by mysqlops config server for ${label} ${f.version}: ${formatSize(floorTo(f.memory, MIB))} memory,`,
    `# ${f.cores} cores, ${f.workload} workload. Each value carries its reason; see docs/operations/server-config.md.`,
    '[mysqld]',
  ];
  for (const s of settings) {
    lines.push(`# ${s.reason}`, `${s.name} = ${s.value}`);
  }
  return `${lines.join('\n')}\n`;
}
