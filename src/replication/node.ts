/**
 * One node of a topology: its connection (as root over its unix socket), its per-node option file,
 * what it reports about itself (server_id, read_only, GTID positions, replica threads) and the
 * statements that point it at a source. MariaDB only: GTIDs in `domain-server-seq` form.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { escape as sqlLiteral } from 'mysql2';
import { DatabaseManager } from '../db/index.js';
import type { SandboxState } from '../sandbox/index.js';
import { sandboxConnection, sandboxPaths, sandboxStatus, writeFileAtomic } from '../sandbox/index.js';
import type { Secret } from '../secret.js';
import { ReplicationError } from './errors.js';
import { covers } from './gtid-position.js';
import { REPLICATION_HOST, REPLICATION_USER } from './topology-file.js';

/** How long a commit waits for a replica's acknowledgement before the primary goes on without (ms). */
export const SEMI_SYNC_TIMEOUT_MS = 5_000;

/** A DatabaseManager on sandbox `name` of `home`, as root, with a small pool. Close it after use. */
export function openNode(home: string, name: string): DatabaseManager {
  return new DatabaseManager({
    connection: { connectTimeoutMs: 5_000 },
    usesSandbox: true,
    sandbox: { home, name },
    pool: { size: 2 },
  });
}

/** Run `fn` on a connection to node `name`, closing it afterwards. */
export async function withNode<T>(
  home: string,
  name: string,
  fn: (db: DatabaseManager) => Promise<T>,
): Promise<T> {
  const db = openNode(home, name);
  try {
    return await fn(db);
  } finally {
    await db.close().catch(() => undefined);
  }
}

/** Refuse servers other than MariaDB: the GTID handling here is MariaDB's. */
export async function requireMariadb(db: DatabaseManager, node: string): Promise<void> {
  await db.initialize();
  if (!db.flavor.isMariaDB)
    throw new ReplicationError(`node ${node} runs MySQL: replica topologies support MariaDB only for now`, {
      node,
      exitCode: 2,
    });
}

/**
 * Write the node's own settings to `conf.d/topology.cnf` of its sandbox; they take effect at its
 * next start (the caller also sets the dynamic ones on a running server). Semi-synchronous
 * replication (AFTER_SYNC): a commit is acknowledged to the client only once a replica has it, so
 * promoting the most advanced replica after a crash loses no acknowledged commit (unless no replica
 * answered within SEMI_SYNC_TIMEOUT_MS and the primary went on asynchronously). The slave side is on
 * everywhere; the master side only on the writable node: a replica logs what it applies
 * (log_slave_updates), and as a semi-sync master with no replicas of its own its SQL thread would
 * wait SEMI_SYNC_TIMEOUT_MS for an acknowledgement nobody sends.
 */
export async function writeNodeSettings(
  home: string,
  name: string,
  settings: { serverId: number; readOnly: boolean; topology: string },
): Promise<void> {
  const { confDir } = sandboxPaths({ home, name });
  fs.mkdirSync(confDir, { recursive: true, mode: 0o700 });
  const lines = [
    `# Written by mysqlops for replica topology "${settings.topology}": this node's part. Rewritten`,
    '# when the node changes role (promotion); do not edit by hand.',
    '[mysqld]',
    `server_id = ${settings.serverId}`,
    `read_only = ${settings.readOnly ? 'ON' : 'OFF'}`,
    'log_slave_updates = ON',
    'report_host = 127.0.0.1',
    `rpl_semi_sync_master_enabled = ${settings.readOnly ? 'OFF' : 'ON'}`,
    'rpl_semi_sync_slave_enabled = ON',
    'rpl_semi_sync_master_wait_point = AFTER_SYNC',
    `rpl_semi_sync_master_timeout = ${SEMI_SYNC_TIMEOUT_MS}`,
    '',
  ];
  writeFileAtomic(path.join(confDir, 'topology.cnf'), lines.join('\n'), 0o644);
}

/** The same settings on a running server, for those that are dynamic. */
export async function applyNodeSettings(
  db: DatabaseManager,
  settings: { serverId: number; readOnly: boolean },
) {
  await db.execute(`SET GLOBAL server_id = ${Number(settings.serverId)}`);
  await db.execute(`SET GLOBAL read_only = ${settings.readOnly ? 'ON' : 'OFF'}`);
  await db.execute('SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC');
  await db.execute(`SET GLOBAL rpl_semi_sync_master_timeout = ${SEMI_SYNC_TIMEOUT_MS}`);
  await db.execute(`SET GLOBAL rpl_semi_sync_master_enabled = ${settings.readOnly ? 'OFF' : 'ON'}`);
  await db.execute('SET GLOBAL rpl_semi_sync_slave_enabled = ON');
}

/**
 * Create (or reset the password of) the replication account with REPLICATION SLAVE only. Kept out of
 * the binary log: every node gets it the same way, so any node can become a source after promotion.
 */
export async function ensureReplicationAccount(db: DatabaseManager, password: Secret): Promise<void> {
  const account = `${sqlLiteral(REPLICATION_USER)}@${sqlLiteral(REPLICATION_HOST)}`;
  const pw = sqlLiteral(password.reveal());
  for (const sql of [
    `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${pw}`,
    `ALTER USER ${account} IDENTIFIED BY ${pw} ACCOUNT UNLOCK`,
    `GRANT REPLICATION SLAVE ON *.* TO ${account}`,
  ]) {
    await db.execute(`SET STATEMENT sql_log_bin = 0 FOR ${sql}`);
  }
}

/** Point the (stopped) replica at the source on `port` by GTID (slave_pos), over TLS. */
export async function changeSource(db: DatabaseManager, port: number, password: Secret): Promise<void> {
  await db.execute(
    `CHANGE MASTER TO MASTER_HOST = ${sqlLiteral(REPLICATION_HOST)}, MASTER_PORT = ${Number(port)},
       MASTER_USER = ${sqlLiteral(REPLICATION_USER)}, MASTER_PASSWORD = ${sqlLiteral(password.reveal())},
       MASTER_SSL = 1, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1`,
  );
}

/** The TCP port of sandbox `name`, from its sandbox.json; E_REPLICATION when it was never set up. */
export function nodePort(home: string, name: string): number {
  const conn = sandboxConnection({ home, name });
  if (!conn)
    throw new ReplicationError(`sandbox ${name} has no connection details (never started?)`, { node: name });
  return conn.port;
}

/** A replica's channel as SHOW SLAVE STATUS reports it. */
export interface ReplicaThreads {
  sourcePort: number | null;
  ioRunning: boolean;
  /** 'Yes', 'No' or 'Connecting' (the source is unreachable). */
  ioState: string;
  sqlRunning: boolean;
  /** Seconds_Behind_Master; null when the SQL thread does not run. */
  lagSeconds: number | null;
  /** GTIDs received into the relay log (Gtid_IO_Pos). */
  received: string | null;
  lastIoError: string | null;
  lastSqlError: string | null;
}

export interface NodeReport {
  serverId: number;
  readOnly: boolean;
  gtidCurrentPos: string;
  gtidSlavePos: string;
  gtidBinlogPos: string;
  /** Null when the node replicates from nothing. */
  replica: ReplicaThreads | null;
}

type Row = Record<string, unknown>;
const text = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return s === '' ? null : s;
};

/** What the node says about itself. */
export async function readNode(db: DatabaseManager): Promise<NodeReport> {
  const [v] = await db.query<Row>(
    `SELECT @@server_id AS sid, @@read_only AS ro, @@gtid_current_pos AS cur,
            @@gtid_slave_pos AS slave, @@gtid_binlog_pos AS bin`,
  );
  const [s] = await db.query<Row>('SHOW SLAVE STATUS');
  let replica: ReplicaThreads | null = null;
  if (s) {
    const io = text(s.Slave_IO_Running) ?? 'No';
    const lag = s.Seconds_Behind_Master;
    replica = {
      sourcePort: s.Master_Port === undefined || s.Master_Port === null ? null : Number(s.Master_Port),
      ioRunning: io === 'Yes',
      ioState: io,
      sqlRunning: text(s.Slave_SQL_Running) === 'Yes',
      lagSeconds: lag === null || lag === undefined ? null : Number(lag),
      received: text(s.Gtid_IO_Pos),
      lastIoError: text(s.Last_IO_Error),
      lastSqlError: text(s.Last_SQL_Error),
    };
  }
  return {
    serverId: Number(v?.sid),
    readOnly: Number(v?.ro) === 1,
    gtidCurrentPos: text(v?.cur) ?? '',
    gtidSlavePos: text(v?.slave) ?? '',
    gtidBinlogPos: text(v?.bin) ?? '',
    replica,
  };
}

/** The sandbox state of node `name` (running, stopped, crashed, absent); never throws. */
export async function nodeState(home: string, name: string): Promise<SandboxState> {
  try {
    return (await sandboxStatus({ home, name })).state;
  } catch {
    return 'absent';
  }
}

/**
 * Poll until the replica has applied every transaction of `wanted` (gtid_slave_pos covers it).
 * E_REPLICATION when its SQL thread stops with an error, or after `timeoutMs`.
 */
export async function waitApplied(
  db: DatabaseManager,
  node: string,
  wanted: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await readNode(db);
    if (covers(r.gtidSlavePos, wanted) || covers(r.gtidCurrentPos, wanted)) return;
    if (r.replica && !r.replica.sqlRunning && r.replica.lastSqlError)
      throw new ReplicationError(`replica ${node} stopped applying: ${r.replica.lastSqlError}`, {
        node,
        hint: 'fix the cause, then START SLAVE on it',
      });
    if (r.replica?.lastIoError && !r.replica.ioRunning && r.replica.ioState === 'No')
      throw new ReplicationError(`replica ${node} cannot read from its source: ${r.replica.lastIoError}`, {
        node,
      });
    if (Date.now() > deadline)
      throw new ReplicationError(
        `replica ${node} did not reach GTID ${wanted} within ${Math.round(timeoutMs / 1000)} s (it is at ${r.gtidSlavePos || 'nothing'})`,
        { node, hint: 'check its replication threads with: mysqlops replication status' },
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Poll until both replica threads run (the IO thread has connected to its source). E_REPLICATION
 * with the last error when they do not within `timeoutMs`.
 */
export async function waitRunning(db: DatabaseManager, node: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = (await readNode(db)).replica;
    if (r?.ioRunning && r.sqlRunning) return;
    if (Date.now() > deadline)
      throw new ReplicationError(
        `replica ${node} is not replicating (io ${r?.ioState ?? 'none'}, sql ${r?.sqlRunning ? 'running' : 'stopped'})${r?.lastIoError || r?.lastSqlError ? `: ${r.lastSqlError ?? r.lastIoError}` : ''}`,
        { node, hint: 'check its error log and: mysqlops replication status' },
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
