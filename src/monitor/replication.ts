/**
 * `replicationReport()`: this server's role in replication. As a replica: each channel's IO/SQL
 * threads, lag, last errors and GTID gap. As a source: binary log size and connected replicas.
 */
import type { DatabaseManager } from '../db/index.js';
import { countMysqlGtidSet, mariadbGtidGap } from './gtid.js';
import { toNumber } from './server-state.js';
import type { ReplicaChannel, ReplicationReport } from './types.js';

type Row = Record<string, unknown>;

/** The first of `names` present in `row` (MySQL 8.0.22 renamed Master/Slave to Source/Replica). */
function pick(row: Row, ...names: string[]): unknown {
  for (const n of names) if (n in row) return row[n];
  return undefined;
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return s === '' ? null : s;
}

/** The replica channels of this server; empty when it replicates from nothing. */
export async function readReplicaChannels(db: DatabaseManager): Promise<ReplicaChannel[]> {
  const rows = await db.query<Row>(db.flavor.replicaStatusSql);
  if (rows.length === 0) return [];
  const appliedMariadb = db.flavor.isMariaDB
    ? String((await db.query<{ p: string | null }>('SELECT @@gtid_slave_pos AS p'))[0]?.p ?? '')
    : '';
  const out: ReplicaChannel[] = [];
  for (const r of rows) {
    const received = text(pick(r, 'Retrieved_Gtid_Set', 'Gtid_IO_Pos'));
    const executed = db.flavor.isMariaDB ? text(appliedMariadb) : text(pick(r, 'Executed_Gtid_Set'));
    out.push({
      channel: String(pick(r, 'Channel_Name', 'Connection_name') ?? ''),
      sourceHost: text(pick(r, 'Source_Host', 'Master_Host')),
      sourcePort: toNumber(pick(r, 'Source_Port', 'Master_Port')),
      ioRunning: String(pick(r, 'Replica_IO_Running', 'Slave_IO_Running')) === 'Yes',
      sqlRunning: String(pick(r, 'Replica_SQL_Running', 'Slave_SQL_Running')) === 'Yes',
      lagSeconds: toNumber(pick(r, 'Seconds_Behind_Source', 'Seconds_Behind_Master')),
      lastIoError: text(pick(r, 'Last_IO_Error')),
      lastSqlError: text(pick(r, 'Last_SQL_Error')),
      gtidGap: await gtidGap(db, received, executed),
      gtidReceived: received,
      gtidExecuted: executed,
    });
  }
  return out;
}

async function gtidGap(
  db: DatabaseManager,
  received: string | null,
  executed: string | null,
): Promise<number | null> {
  if (received === null) return null;
  if (db.flavor.isMariaDB) return mariadbGtidGap(received, executed ?? '');
  // The server does set arithmetic exactly; counting the difference is then simple.
  const [row] = await db.query<{ gap: string | null }>('SELECT GTID_SUBTRACT(?, ?) AS gap', [
    received,
    executed ?? '',
  ]);
  return countMysqlGtidSet(String(row?.gap ?? ''));
}

/** Binary log files and their total size; `enabled: false` when log_bin is off. */
export async function readBinlogs(
  db: DatabaseManager,
): Promise<{ enabled: boolean; files: number; bytes: number; format: string | null }> {
  const [v] = await db.query<{ on: number | string; fmt: string | null }>(
    'SELECT @@log_bin AS `on`, @@binlog_format AS fmt',
  );
  if (Number(v?.on) !== 1) return { enabled: false, files: 0, bytes: 0, format: v?.fmt ?? null };
  const logs = await db.query<Row>('SHOW BINARY LOGS');
  const bytes = logs.reduce((n, r) => n + (toNumber(r.File_size) ?? 0), 0);
  return { enabled: true, files: logs.length, bytes, format: v?.fmt ?? null };
}

/**
 * This server's replication state. Needs REPLICATION CLIENT (MySQL) or BINLOG MONITOR and SLAVE
 * MONITOR (MariaDB 10.5+); root and the monitoring role have them.
 */
export async function replicationReport(db: DatabaseManager): Promise<ReplicationReport> {
  await db.initialize();
  const channels = await readReplicaChannels(db);
  const binlog = await readBinlogs(db);
  const [pos] = await db.query<{ p: string | null }>(
    db.flavor.isMariaDB ? 'SELECT @@gtid_current_pos AS p' : 'SELECT @@gtid_executed AS p',
  );
  const hosts = await db.query<Row>(db.flavor.isMariaDB ? 'SHOW SLAVE HOSTS' : replicasSql(db));
  const replicas = hosts.map((h) => ({
    serverId: toNumber(pick(h, 'Server_id', 'Server_Id')) ?? 0,
    host: text(pick(h, 'Host')),
    port: toNumber(pick(h, 'Port')),
  }));
  return {
    role: channels.length > 0 ? 'replica' : replicas.length > 0 ? 'source' : 'standalone',
    binlog,
    gtidPosition: text(pos?.p),
    replicas,
    channels,
  };
}

function replicasSql(db: DatabaseManager): string {
  return db.flavor.atLeast(8, 0, 22) ? 'SHOW REPLICAS' : 'SHOW SLAVE HOSTS';
}
