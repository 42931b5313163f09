/**
 * The routing rules without servers: GTID positions, which server may take reads or writes
 * (Galera included: no cluster is needed to check the rules), which statements may go to a
 * replica, which failures mean "no writable server", and that Galera certification conflicts are
 * retried like deadlocks.
 */
import { describe, expect, it } from 'vitest';
import { Flavor } from '../../src/db/flavor.js';
import {
  coversGtidPosition,
  formatGtidPosition,
  mergeGtidPosition,
  parseGtidPosition,
  WriteFence,
} from '../../src/db/gtid.js';
import { isReplicaSafeRead, isWriterRefusal, PrimaryUnavailableError } from '../../src/db/index.js';
import {
  chooseWriter,
  galeraStateOf,
  isWriterCandidate,
  type NodeHealth,
  readEligibility,
  replicaStatusOf,
  unreachable,
} from '../../src/db/node-health.js';
import { isRetryableTransactionError } from '../../src/db/retry.js';
import { commitError } from '../../src/db/transaction.js';

const maria = Flavor.detect('10.11.19-MariaDB-0+deb12u1-log');
const mysql = Flavor.detect('8.0.36', 'MySQL Community Server - GPL');

describe('GTID positions', () => {
  it('keeps the highest MariaDB transaction per domain and covers by domain', () => {
    const have = parseGtidPosition('0-1-100,1-2-7', 'mariadb');
    expect(coversGtidPosition(have, parseGtidPosition('0-1-99', 'mariadb'))).toBe(true);
    expect(coversGtidPosition(have, parseGtidPosition('0-3-100', 'mariadb'))).toBe(true);
    expect(coversGtidPosition(have, parseGtidPosition('0-1-101', 'mariadb'))).toBe(false);
    expect(coversGtidPosition(have, parseGtidPosition('2-1-1', 'mariadb'))).toBe(false);
    expect(coversGtidPosition(have, new Map())).toBe(true);
    const fence = new WriteFence();
    fence.note('0-1-5', 'mariadb');
    fence.note('0-1-4', 'mariadb');
    fence.note('1-2-9', 'mariadb');
    expect(formatGtidPosition(fence.position)).toBe('0-1-5,1-2-9');
    expect(parseGtidPosition('garbage,,0-1', 'mariadb').size).toBe(0);
  });

  it('reads MySQL GTID sets (intervals, several UUIDs, newlines) as the highest number per source', () => {
    const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
    const have = parseGtidPosition(`${uuid}:1-42:50,\n${uuid.replace('3e', '4f')}:1-3`, 'mysql');
    expect(have.get(uuid)?.seq).toBe(50);
    const want = parseGtidPosition(`${uuid.toUpperCase()}:45`, 'mysql');
    expect(coversGtidPosition(have, want)).toBe(true);
    mergeGtidPosition(want, parseGtidPosition(`${uuid}:51`, 'mysql'));
    expect(coversGtidPosition(have, want)).toBe(false);
    expect(formatGtidPosition(want)).toBe(`${uuid}:51`);
  });

  it('reads the GTID a write reported in its OK packet, per flavor', () => {
    expect(maria.gtidOfResult({ stateChanges: { systemVariables: { last_gtid: '0-1-3' }, gtids: [] } })).toBe(
      '0-1-3',
    );
    expect(mysql.gtidOfResult({ stateChanges: { systemVariables: {}, gtids: ['u:7'] } })).toBe('u:7');
    expect(maria.gtidOfResult({ affectedRows: 1 })).toBeUndefined();
    expect(maria.gtidWaitSql).toContain('MASTER_GTID_WAIT');
    expect(mysql.gtidWaitSql).toContain('WAIT_FOR_EXECUTED_GTID_SET');
    expect(maria.gtidWaitReached(0)).toBe(true);
    expect(maria.gtidWaitReached(-1)).toBe(false);
    expect(mysql.gtidWaitReached(1)).toBe(false);
    expect(mysql.gtidWaitReached(null)).toBe(false);
  });
});

const healthy: NodeHealth = {
  reachable: true,
  readOnly: true,
  isReplica: true,
  ioRunning: true,
  sqlRunning: true,
  lagSeconds: 0,
  position: '0-1-1',
};

describe('which server takes reads and writes', () => {
  it('reads replica status in both spellings', () => {
    expect(
      replicaStatusOf({ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'No', Seconds_Behind_Master: null }),
    ).toEqual({ ioRunning: true, sqlRunning: false, lagSeconds: null });
    expect(
      replicaStatusOf({ Replica_IO_Running: 'Yes', Replica_SQL_Running: 'Yes', Seconds_Behind_Source: '3' }),
    ).toEqual({ ioRunning: true, sqlRunning: true, lagSeconds: 3 });
    expect(replicaStatusOf(undefined)).toBeNull();
  });

  it('takes a replica out when it is down, stopped, lagging or of unknown lag', () => {
    expect(readEligibility(healthy, 'replication', 5)).toEqual({ ok: true, reason: 'lag 0 s' });
    expect(readEligibility({ ...healthy, lagSeconds: 6 }, 'replication', 5)).toEqual({
      ok: false,
      reason: 'lag 6 s > 5 s',
    });
    expect(
      readEligibility({ ...healthy, sqlRunning: false, lagSeconds: null }, 'replication', 5).reason,
    ).toBe('replication stopped (IO thread running, SQL thread stopped)');
    expect(readEligibility({ ...healthy, lagSeconds: null }, 'replication', 5).ok).toBe(false);
    expect(readEligibility({ ...healthy, isReplica: false }, 'replication', 5).ok).toBe(false);
    expect(readEligibility(unreachable('ECONNREFUSED'), 'replication', 5).reason).toBe(
      'unreachable: ECONNREFUSED',
    );
  });

  it('writes to the writable non-replica, keeps a current writer and finds a promoted one', () => {
    const primary: NodeHealth = { ...healthy, readOnly: false, isReplica: false };
    const replica = healthy;
    expect(chooseWriter([primary, replica, replica], undefined, 'replication')).toBe(0);
    // A replica with read_only=0 is still a replica: not a writer.
    expect(isWriterCandidate({ ...replica, readOnly: false }, 'replication')).toBe(false);
    // The primary turns read-only: nobody qualifies (writes fail fast, E_PRIMARY_UNAVAILABLE).
    expect(
      chooseWriter([{ ...primary, readOnly: true }, replica, replica], 0, 'replication'),
    ).toBeUndefined();
    // Replica 1 promoted (replication reset, read_only=0), the old primary down.
    expect(chooseWriter([unreachable('gone'), primary, replica], undefined, 'replication')).toBe(1);
    // Two writable servers (a split brain in the making): the current writer stays.
    expect(chooseWriter([primary, primary, replica], 1, 'replication')).toBe(1);
  });

  it('with Galera, any synced and ready node takes reads; writes stay on one synced node', () => {
    const rows = (state: string, ready: string) => [
      { Variable_name: 'wsrep_local_state', Value: state },
      { Variable_name: 'wsrep_ready', Value: ready },
    ];
    const node = (state: string, ready: string): NodeHealth => ({
      ...healthy,
      readOnly: false,
      isReplica: false,
      lagSeconds: null,
      galera: galeraStateOf(rows(state, ready)),
    });
    const synced = node('4', 'ON');
    const donor = node('2', 'ON');
    const notReady = node('4', 'OFF');
    expect(readEligibility(synced, 'galera', 5)).toEqual({ ok: true, reason: 'synced' });
    expect(readEligibility(donor, 'galera', 5)).toEqual({
      ok: false,
      reason: 'not synced (wsrep_local_state 2, wsrep_ready ON)',
    });
    expect(readEligibility(notReady, 'galera', 5).ok).toBe(false);
    expect(chooseWriter([synced, synced, synced], undefined, 'galera')).toBe(0);
    expect(chooseWriter([donor, synced, synced], 0, 'galera')).toBe(1);
    expect(chooseWriter([synced, synced, synced], 2, 'galera')).toBe(2);
    expect(chooseWriter([donor, notReady, unreachable('x')], 0, 'galera')).toBeUndefined();
  });

  it('retries Galera certification conflicts (1213 at COMMIT) like deadlocks', () => {
    const wsrep = Object.assign(
      new Error('Deadlock found when trying to get lock; try restarting transaction'),
      {
        errno: 1213,
        code: 'ER_LOCK_DEADLOCK',
        sqlState: '40001',
      },
    );
    expect(isRetryableTransactionError(commitError(wsrep, maria))).toBe(true);
  });
});

describe('which statements may go to a replica', () => {
  it.each([
    'SELECT * FROM orders WHERE id = ?',
    '  /* report */ SELECT COUNT(*) FROM t',
    "SELECT name FROM customers WHERE email = 'a@b.example'",
    '(SELECT 1) UNION (SELECT 2)',
  ])('replica: %s', (sql) => expect(isReplicaSafeRead(sql)).toBe(true));

  it.each([
    'SELECT * FROM orders WHERE id = ? FOR UPDATE',
    'SELECT * FROM orders LOCK IN SHARE MODE',
    'SELECT @@gtid_binlog_pos',
    'SELECT @app_user',
    'SELECT LAST_INSERT_ID()',
    "SELECT GET_LOCK('x', 1)",
    'SELECT NEXTVAL(order_seq)',
    'SELECT * FROM information_schema.TABLES',
    'SELECT * FROM performance_schema.threads',
    'SELECT * FROM mysql.user',
    'SELECT 1 INTO @x',
    'SHOW TABLES',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'INSERT INTO t VALUES (1)',
  ])('primary: %s', (sql) => expect(isReplicaSafeRead(sql)).toBe(false));
});

describe('writer refusals', () => {
  it('are connect failures, read-only answers, Galera nodes not ready and shutdowns', () => {
    expect(isWriterRefusal({ code: 'E_CONNECT' })).toBe(true);
    const ro = Object.assign(new Error('The MariaDB server is running with the --read-only option'), {
      errno: 1290,
    });
    expect(isWriterRefusal(ro)).toBe(true);
    const secureFile = Object.assign(new Error('running with the --secure-file-priv option'), {
      errno: 1290,
    });
    expect(isWriterRefusal(secureFile)).toBe(false);
    expect(isWriterRefusal({ errno: 1047 })).toBe(true);
    expect(isWriterRefusal({ code: 'E_CONNECTION_LOST' })).toBe(false);
    expect(isWriterRefusal({ errno: 1062 })).toBe(false);
    const err = new PrimaryUnavailableError('127.0.0.1:3306', ro);
    expect(err).toMatchObject({ code: 'E_PRIMARY_UNAVAILABLE', retryable: true, node: '127.0.0.1:3306' });
    expect(err.hint).toContain('not applied');
  });
});
