/**
 * Health checks computed from the server's counters and settings: uptime, connections, threads,
 * buffer pool, temporary tables, table cache, the rate counters, long transactions, binary logs and
 * replication. Each function returns finished HealthCheck objects; health.ts runs them.
 */
import type { DatabaseManager } from '../db/index.js';
import type { HealthConfig, HealthThresholds } from './config-schema.js';
import { leveled, levelText, round, unknownCheck } from './levels.js';
import { readBinlogs, readReplicaChannels } from './replication.js';
import { num, type ServerValues, toNumber } from './server-state.js';
import type { HealthCheck } from './types.js';

/** Too few events since start-up make a ratio noise; below these it is shown but not judged. */
const MIN_BUFFER_POOL_READS = 100_000;
const MIN_TMP_TABLES = 100;
const MIN_TABLE_OPENS = 1000;

export function serverCheck(status: ServerValues, version: string, config: HealthConfig): HealthCheck {
  const uptime = num(status, 'Uptime') ?? 0;
  const recent = uptime < config.restartUptimeSeconds;
  return {
    name: 'server',
    title: 'Server reachable',
    status: recent ? 'warning' : 'ok',
    value: uptime,
    unit: 's',
    threshold: `uptime < ${config.restartUptimeSeconds} s warning (recent restart)`,
    hint: recent
      ? `${version} restarted ${uptime} s ago: check the error log for a crash or an unplanned restart`
      : `${version} up for ${duration(uptime)}`,
  };
}

/** `3d 4h`, `5h 2m`, `7m`: enough precision for an uptime. */
function duration(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m`;
}

export function connectionsCheck(status: ServerValues, vars: ServerValues, t: HealthThresholds): HealthCheck {
  const base = { name: 'connections', title: 'Connections used', unit: '%' };
  const connected = num(status, 'Threads_connected');
  const max = num(vars, 'max_connections');
  if (connected === undefined || !max)
    return unknownCheck(
      base,
      levelText('connectionsPct', t, '%'),
      'Threads_connected or max_connections not readable',
    );
  const maxUsed = num(status, 'Max_used_connections') ?? connected;
  return leveled(base, (100 * connected) / max, 'connectionsPct', t, (s) =>
    s === 'ok'
      ? `${connected} of ${max} connections in use (peak ${maxUsed})`
      : `${connected} of ${max} connections in use (peak ${maxUsed}): find idle or leaked sessions (mysqlops monitor connections), or raise max_connections`,
  );
}

export function threadsRunningCheck(status: ServerValues, t: HealthThresholds): HealthCheck {
  const base = { name: 'threads_running', title: 'Threads running' };
  const running = num(status, 'Threads_running');
  if (running === undefined)
    return unknownCheck(base, levelText('threadsRunning', t), 'Threads_running not readable');
  return leveled(base, running, 'threadsRunning', t, (s) =>
    s === 'ok'
      ? `${running} statements executing right now (this check's own included)`
      : `${running} statements executing at once: look for a pile-up behind a lock or a slow query (mysqlops monitor queries)`,
  );
}

export function bufferPoolChecks(status: ServerValues, config: HealthConfig): HealthCheck[] {
  const t = config.thresholds;
  const hitBase = { name: 'buffer_pool_hit_ratio', title: 'Buffer pool hit ratio', unit: '%' };
  const freeBase = { name: 'buffer_pool_free', title: 'Buffer pool free pages', unit: '%' };
  const requests = num(status, 'Innodb_buffer_pool_read_requests');
  const reads = num(status, 'Innodb_buffer_pool_reads');
  const free = num(status, 'Innodb_buffer_pool_pages_free');
  const total = num(status, 'Innodb_buffer_pool_pages_total');
  const out: HealthCheck[] = [];
  let hitLow = false;
  if (requests === undefined || reads === undefined) {
    out.push(
      unknownCheck(
        hitBase,
        levelText('bufferPoolHitPct', t, '%'),
        'InnoDB buffer pool counters not readable',
      ),
    );
  } else {
    const ratio = requests > 0 ? 100 * (1 - reads / requests) : 100;
    if (requests < MIN_BUFFER_POOL_READS) {
      out.push({
        ...hitBase,
        status: 'ok',
        value: round(ratio),
        threshold: levelText('bufferPoolHitPct', t, '%'),
        hint: `only ${requests} page reads since start-up: judged from ${MIN_BUFFER_POOL_READS} on`,
      });
    } else {
      const check = leveled(hitBase, ratio, 'bufferPoolHitPct', t, (s) =>
        s === 'ok'
          ? `${reads} of ${requests} page reads went to disk since start-up`
          : `${reads} of ${requests} page reads went to disk: the working set does not fit; raise innodb_buffer_pool_size`,
      );
      hitLow = check.status !== 'ok';
      out.push(check);
    }
  }
  if (free === undefined || !total) {
    out.push(unknownCheck(freeBase, null, 'InnoDB buffer pool page counts not readable'));
  } else {
    const pct = (100 * free) / total;
    const low = pct < config.bufferPoolFreePct;
    out.push({
      ...freeBase,
      status: low && hitLow ? 'warning' : 'ok',
      value: round(pct),
      threshold: `< ${config.bufferPoolFreePct}% warning, while the hit ratio is low too`,
      hint:
        low && hitLow
          ? `${free} of ${total} pages free and reads miss the pool: the buffer pool is too small`
          : low
            ? `${free} of ${total} pages free: a warm buffer pool is normally full, and the hit ratio is fine`
            : `${free} of ${total} pages free`,
    });
  }
  return out;
}

export function tmpDiskTablesCheck(status: ServerValues, t: HealthThresholds): HealthCheck {
  const base = { name: 'tmp_disk_tables', title: 'Temporary tables on disk', unit: '%' };
  const all = num(status, 'Created_tmp_tables');
  const disk = num(status, 'Created_tmp_disk_tables');
  if (all === undefined || disk === undefined)
    return unknownCheck(base, levelText('tmpDiskTablesPct', t, '%'), 'Created_tmp_tables not readable');
  const pct = all > 0 ? (100 * disk) / all : 0;
  if (all < MIN_TMP_TABLES) {
    return {
      ...base,
      status: 'ok',
      value: round(pct),
      threshold: levelText('tmpDiskTablesPct', t, '%'),
      hint: `only ${all} internal temporary tables since start-up: judged from ${MIN_TMP_TABLES} on`,
    };
  }
  return leveled(base, pct, 'tmpDiskTablesPct', t, (s) =>
    s === 'ok'
      ? `${disk} of ${all} internal temporary tables went to disk since start-up`
      : `${disk} of ${all} internal temporary tables went to disk: raise tmp_table_size and max_heap_table_size, or find the queries (monitor queries, tmp disk column)`,
  );
}

export function tableOpenCacheCheck(status: ServerValues, t: HealthThresholds): HealthCheck {
  const base = { name: 'table_open_cache', title: 'Table open cache misses', unit: '%' };
  const hits = num(status, 'Table_open_cache_hits');
  const misses = num(status, 'Table_open_cache_misses');
  if (hits === undefined || misses === undefined)
    return unknownCheck(
      base,
      levelText('tableOpenCacheMissPct', t, '%'),
      'this server does not count table open cache hits and misses',
    );
  const opens = hits + misses;
  const pct = opens > 0 ? (100 * misses) / opens : 0;
  if (opens < MIN_TABLE_OPENS) {
    return {
      ...base,
      status: 'ok',
      value: round(pct),
      threshold: levelText('tableOpenCacheMissPct', t, '%'),
      hint: `only ${opens} table opens since start-up: judged from ${MIN_TABLE_OPENS} on`,
    };
  }
  return leveled(base, pct, 'tableOpenCacheMissPct', t, (s) =>
    s === 'ok'
      ? `${misses} of ${opens} table opens missed the cache since start-up`
      : `${misses} of ${opens} table opens missed the cache: raise table_open_cache (and open_files_limit)`,
  );
}

/** Counter deltas over the sample interval and its length; rateChecks turns them into per-minute rates. */
export interface RateSample {
  abortedConnects: number | undefined;
  rowLockWaits: number | undefined;
  deadlocks: number | undefined;
  seconds: number;
}

export function rateChecks(rates: RateSample | undefined, t: HealthThresholds): HealthCheck[] {
  const defs = [
    {
      base: { name: 'aborted_connects', title: 'Aborted connects', unit: '/min' },
      level: 'abortedConnectsPerMinute' as const,
      value: rates?.abortedConnects,
      hint: (n: number) =>
        n > 0
          ? 'failed connection attempts: wrong passwords, missing grants, or clients timing out in the handshake (see the error log)'
          : 'no failed connection attempts',
    },
    {
      base: { name: 'row_lock_waits', title: 'Row lock waits', unit: '/min' },
      level: 'rowLockWaitsPerMinute' as const,
      value: rates?.rowLockWaits,
      hint: (n: number) =>
        n > 0
          ? 'statements waited for row locks held by other transactions: keep transactions short (see long_transactions)'
          : 'no row lock waits',
    },
    {
      base: { name: 'deadlocks', title: 'Deadlocks', unit: '/min' },
      level: 'deadlocksPerMinute' as const,
      value: rates?.deadlocks,
      hint: (n: number) =>
        n > 0
          ? 'transactions were rolled back as deadlock victims: lock rows in a consistent order (SHOW ENGINE INNODB STATUS has the latest)'
          : 'no deadlocks',
    },
  ];
  return defs.map((d) => {
    const unit = d.base.unit;
    if (rates === undefined || d.value === undefined)
      return unknownCheck(d.base, levelText(d.level, t, unit), 'counter not readable on this server');
    // A window shorter than a minute counts as a minute: one failed login during a one-second sample
    // is one a minute, not sixty.
    const perMinute = (d.value * 60) / Math.max(rates.seconds, 60);
    return leveled(
      d.base,
      perMinute,
      d.level,
      t,
      () => `${d.value} in the last ${round(rates.seconds)} s: ${d.hint(d.value ?? 0)}`,
    );
  });
}

export async function longTransactionCheck(db: DatabaseManager, t: HealthThresholds): Promise<HealthCheck> {
  const base = { name: 'long_transactions', title: 'Longest open transaction', unit: 's' };
  const rows = await db.query<{ age: unknown; thread: unknown; n: unknown }>(
    `SELECT TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS age, trx_mysql_thread_id AS thread,
            (SELECT COUNT(*) FROM information_schema.INNODB_TRX) AS n
       FROM information_schema.INNODB_TRX ORDER BY trx_started LIMIT 1`,
  );
  const oldest = rows[0];
  if (!oldest) {
    return {
      ...base,
      status: 'ok',
      value: 0,
      threshold: levelText('longTransactionSeconds', t, 's'),
      hint: 'no open transactions',
    };
  }
  const age = toNumber(oldest.age) ?? 0;
  const thread = toNumber(oldest.thread);
  return leveled(base, age, 'longTransactionSeconds', t, (s) =>
    s === 'ok'
      ? `${toNumber(oldest.n)} open, the oldest for ${age} s`
      : `thread ${thread} has held a transaction open for ${age} s: it blocks purge and may hold locks; commit it, or KILL ${thread} if abandoned`,
  );
}

export async function binlogCheck(db: DatabaseManager, t: HealthThresholds): Promise<HealthCheck> {
  const base = { name: 'binlog_space', title: 'Binary log space', unit: 'MiB' };
  const b = await readBinlogs(db);
  if (!b.enabled) {
    return {
      ...base,
      status: 'ok',
      value: 0,
      threshold: levelText('binlogMegabytes', t, 'MiB'),
      hint: 'binary logging is off: no replication and no point-in-time recovery',
    };
  }
  const mib = b.bytes / 1024 / 1024;
  return leveled(base, mib, 'binlogMegabytes', t, (s) =>
    s === 'ok'
      ? `${b.files} binary log files`
      : `${b.files} binary log files: set binlog_expire_logs_seconds (MySQL) / expire_logs_days, or PURGE BINARY LOGS once backups and replicas no longer need them`,
  );
}

/** Replica checks; none when the server replicates from nothing. */
export async function replicationChecks(db: DatabaseManager, t: HealthThresholds): Promise<HealthCheck[]> {
  const channels = await readReplicaChannels(db);
  if (channels.length === 0) return [];
  const label = (c: { channel: string }) => (c.channel ? ` (channel ${c.channel})` : '');
  const stopped = channels.filter((c) => !c.ioRunning || !c.sqlRunning);
  const threads: HealthCheck = {
    name: 'replication_threads',
    title: 'Replication threads',
    status: stopped.length > 0 ? 'critical' : 'ok',
    value: stopped.length > 0 ? 'stopped' : 'running',
    threshold: 'IO or SQL thread stopped: critical',
    hint:
      stopped
        .map(
          (c) =>
            `${!c.ioRunning ? 'IO' : 'SQL'} thread stopped${label(c)}: ${c.lastSqlError ?? c.lastIoError ?? 'no error recorded'}`,
        )
        .join('; ') || `IO and SQL threads running on ${channels.length} channel(s)`,
  };
  const lags = channels.map((c) => c.lagSeconds).filter((l): l is number => l !== null);
  const lagBase = { name: 'replication_lag', title: 'Replication lag', unit: 's' };
  const lag =
    lags.length === 0
      ? unknownCheck(
          lagBase,
          levelText('replicationLagSeconds', t, 's'),
          'lag unknown: the SQL thread is not running',
        )
      : leveled(lagBase, Math.max(...lags), 'replicationLagSeconds', t, (s) =>
          s === 'ok'
            ? 'seconds behind the source'
            : 'the replica is behind its source: check its IO and disk, long transactions on the source, or parallel apply settings',
        );
  const gaps = channels.map((c) => c.gtidGap).filter((g): g is number => g !== null);
  const gap = gaps.reduce((a, b) => a + b, 0);
  const gtid: HealthCheck =
    gaps.length === 0
      ? unknownCheck(
          { name: 'replication_gtid_gap', title: 'GTID gap' },
          null,
          'GTID replication is not in use',
        )
      : {
          name: 'replication_gtid_gap',
          title: 'GTID gap',
          status: gap > 0 && stopped.some((c) => !c.sqlRunning) ? 'warning' : 'ok',
          value: gap,
          unit: 'trx',
          threshold: '> 0 with the SQL thread stopped: warning',
          hint:
            gap > 0
              ? `${gap} transactions received but not yet applied`
              : 'every received transaction is applied',
        };
  return [threads, lag, gtid];
}
