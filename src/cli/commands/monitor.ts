/**
 * `mysqlops monitor queries|indexes|tables|connections|replication`: the analysis reports of
 * src/monitor as tables or one JSON document. Read-only; connects without selecting DB_NAME.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import {
  type ConnectionReport,
  connectionReport,
  type IndexReport,
  indexReport,
  type QueryDigest,
  type ReplicationReport,
  replicationReport,
  type TableReport,
  tableReport,
  topQueries,
} from '../../monitor/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { keyValueTable, table } from '../output.js';

interface Flags {
  limit?: string;
  schema?: string[];
}

export function registerMonitor(program: Command, context: () => CliContext): void {
  const monitor = program
    .command('monitor')
    .description('analysis: top queries, index problems, table sizes, connections, replication')
    .addHelpText(
      'after',
      `
queries and unused indexes read performance_schema (ON in the sandbox); when it is off the command says so.
Exit codes: 0 ok, 1 the server refused (e.g. performance_schema off for queries), 2 bad flags.`,
    );
  const run = async <T>(
    flags: Flags,
    collect: (db: Parameters<typeof topQueries>[0], o: { limit?: number; schemas?: string[] }) => Promise<T>,
    render: (r: T) => string,
  ) => {
    const ctx = context();
    const options = {
      limit: flags.limit === undefined ? undefined : positiveInt('--limit', flags.limit),
      schemas: flags.schema,
    };
    const report = await withDatabase(ctx.config, { withDatabase: false }, (db) => collect(db, options));
    ctx.out.result({ ok: true, ...(report as object) }, () => render(report));
  };
  const common = (c: Command) =>
    c
      .option('--limit <n>', 'rows to show')
      .option('--schema <name...>', 'only these schemas (default: all but the server’s own)');

  common(
    monitor.command('queries').description('top statements by total latency (performance_schema digests)'),
  ).action((flags: Flags) =>
    run(
      flags,
      async (db, o) => ({ queries: await topQueries(db, o) }),
      (r) => renderQueries(r.queries),
    ),
  );
  common(
    monitor
      .command('indexes')
      .description('unused, duplicate and redundant indexes; tables without a primary key'),
  ).action((flags: Flags) =>
    run(
      flags,
      (db, o) => indexReport(db, o),
      (r) => renderIndexes(r, flags.limit ? Number(flags.limit) : 50),
    ),
  );
  common(monitor.command('tables').description('table sizes and fragmentation, biggest first')).action(
    (flags: Flags) => run(flags, (db, o) => tableReport(db, o), renderTables),
  );
  monitor
    .command('connections')
    .description('connections by user, host and state; open transactions')
    .action(() => run({}, (db) => connectionReport(db), renderConnections));
  monitor
    .command('replication')
    .description('replica threads, lag and GTID gap; binary logs and connected replicas')
    .action(() => run({}, (db) => replicationReport(db), renderReplication));
}

function positiveInt(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`${flag} must be a positive whole number (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

function short(text: string, n = 70): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length <= n ? one : `${one.slice(0, n - 1)}…`;
}

export function renderQueries(q: QueryDigest[]): string {
  if (q.length === 0) return 'no statement digests recorded yet';
  const rows = q.map((d) => [
    d.rank,
    `${d.totalMs.toFixed(1)}`,
    `${d.totalPct}%`,
    d.calls,
    d.avgMs.toFixed(3),
    d.p95Ms === null ? '-' : d.p95Ms.toFixed(3),
    `${d.rowsExamined}/${d.rowsSent}`,
    d.fullScans,
    `${d.tmpTables}/${d.tmpDiskTables}`,
    d.schema ?? '-',
    short(d.query),
  ]);
  return `${table(['rank', 'total ms', 'share', 'calls', 'avg ms', 'p95 ms', 'examined/sent', 'full scans', 'tmp/disk', 'schema', 'statement'], rows)}\n\np95: MySQL 8 only (MariaDB keeps no quantiles).`;
}

export function renderIndexes(r: IndexReport, limit: number): string {
  const parts: string[] = [];
  if (r.unused === null) parts.push('unused indexes: unknown (performance_schema is OFF)');
  else if (r.unused.length === 0) parts.push('unused indexes: none');
  else
    parts.push(
      `unused indexes (${r.unused.length}):\n${table(
        ['table', 'index', 'columns', 'suggested'],
        r.unused
          .slice(0, limit)
          .map((u) => [`${u.schema}.${u.table}`, u.index, u.columns.join(', '), u.drop ?? '(unique: keep)']),
      )}`,
    );
  parts.push(
    r.redundant.length === 0
      ? 'duplicate or redundant indexes: none'
      : `duplicate or redundant indexes (${r.redundant.length}):\n${table(
          ['table', 'index', 'kind', 'covered by', 'suggested'],
          r.redundant
            .slice(0, limit)
            .map((d) => [
              `${d.schema}.${d.table}`,
              `${d.index} (${d.columns.join(', ')})`,
              d.kind,
              `${d.coveredBy.index} (${d.coveredBy.columns.join(', ')})`,
              d.drop ?? '-',
            ]),
        )}`,
  );
  parts.push(
    r.withoutPrimaryKey.length === 0
      ? 'tables without a primary key: none'
      : `tables without a primary key (${r.withoutPrimaryKey.length}):\n${table(
          ['table', 'engine', 'rows', 'unique NOT NULL index'],
          r.withoutPrimaryKey
            .slice(0, limit)
            .map((t) => [`${t.schema}.${t.table}`, t.engine, t.rows, t.uniqueNotNullIndex ?? '-']),
        )}`,
  );
  return `${parts.join('\n\n')}\n\n${r.notes.map((n) => `note: ${n}`).join('\n')}`;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

export function renderTables(r: TableReport): string {
  const rows = r.tables.map((t) => [
    `${t.schema}.${t.table}`,
    t.engine,
    t.rows,
    mib(t.dataBytes),
    mib(t.indexBytes),
    mib(t.freeBytes),
    `${t.fragmentationPct}%`,
    t.fragmented ? 'OPTIMIZE TABLE' : '',
    t.hasPrimaryKey ? '' : 'no primary key',
  ]);
  return `${table(['table', 'engine', 'rows', 'data MiB', 'index MiB', 'free MiB', 'free %', 'suggested', 'note'], rows)}\n\n${r.totals.tables} tables, ${mib(r.totals.dataBytes)} MiB data, ${mib(r.totals.indexBytes)} MiB indexes, ${mib(r.totals.freeBytes)} MiB free\n${r.notes.map((n) => `note: ${n}`).join('\n')}`;
}

export function renderConnections(r: ConnectionReport): string {
  const head = keyValueTable([
    ['connected', `${r.connected} of ${r.maxConnections} (${r.usedPct}%), peak ${r.maxUsedConnections}`],
    ['running', r.running],
  ]);
  const groups = table(
    ['user', 'host', 'db', 'command', 'state', 'count', 'max s'],
    r.groups.map((g) => [g.user, g.host, g.db, g.command, g.state, g.count, g.maxSeconds]),
  );
  const trx =
    r.transactions.length === 0
      ? 'open transactions: none'
      : `open transactions, oldest first:\n${table(
          ['thread', 'user', 'host', 'age s', 'state', 'rows locked', 'rows modified', 'running'],
          r.transactions.map((t) => [
            t.threadId,
            t.user,
            t.host,
            t.seconds,
            t.state,
            t.rowsLocked,
            t.rowsModified,
            t.query ? short(t.query, 50) : '(idle)',
          ]),
        )}`;
  return `${head}\n\n${groups}\n\n${trx}`;
}

export function renderReplication(r: ReplicationReport): string {
  const head = keyValueTable([
    ['role', r.role],
    [
      'binary log',
      r.binlog.enabled ? `${r.binlog.files} files, ${mib(r.binlog.bytes)} MiB, ${r.binlog.format}` : 'off',
    ],
    ['gtid position', r.gtidPosition],
    [
      'replicas connected',
      r.replicas.length === 0
        ? 'none'
        : r.replicas.map((x) => `${x.host ?? '?'}:${x.port ?? '?'} (server ${x.serverId})`).join(', '),
    ],
  ]);
  if (r.channels.length === 0) return `${head}\n\nnot a replica`;
  const rows = r.channels.map((c) => [
    c.channel || '(default)',
    `${c.sourceHost ?? '?'}:${c.sourcePort ?? '?'}`,
    c.ioRunning ? 'yes' : 'NO',
    c.sqlRunning ? 'yes' : 'NO',
    c.lagSeconds,
    c.gtidGap,
    c.lastSqlError ?? c.lastIoError ?? '',
  ]);
  return `${head}\n\n${table(['channel', 'source', 'IO', 'SQL', 'lag s', 'gtid gap', 'last error'], rows)}`;
}
