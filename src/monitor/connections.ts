/**
 * `connectionReport()`: who is connected, from where, doing what, from the process list; plus the
 * open InnoDB transactions, oldest first, since a long idle transaction is the usual culprit
 * behind lock waits. Needs PROCESS to see other accounts' sessions.
 */
import type { DatabaseManager } from '../db/index.js';
import { num, readGlobalStatus, readGlobalVariables, toNumber } from './server-state.js';
import type { ConnectionGroup, ConnectionReport } from './types.js';

/**
 * The client host without its port (`10.0.0.5:51234` -> `10.0.0.5`, `::1:51234` -> `::1`): cut at
 * the last colon, so IPv6 addresses keep theirs. Unix socket sessions say `localhost`, no port.
 */
const CLIENT_HOST = "IF(HOST LIKE '%:%', LEFT(HOST, CHAR_LENGTH(HOST) - LOCATE(':', REVERSE(HOST))), HOST)";

function countBy<T>(items: readonly T[], key: (t: T) => string, weight: (t: T) => number) {
  const m = new Map<string, number>();
  for (const it of items) m.set(key(it), (m.get(key(it)) ?? 0) + weight(it));
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Sessions grouped by user, client host (without port), schema, command and state. */
export async function connectionReport(db: DatabaseManager): Promise<ConnectionReport> {
  await db.initialize();
  const rows = await db.query<Record<string, unknown>>(
    `SELECT USER AS user, ${CLIENT_HOST} AS host, DB AS db, COMMAND AS command,
            STATE AS state, COUNT(*) AS n, MAX(TIME) AS maxTime
       FROM information_schema.PROCESSLIST
      GROUP BY USER, ${CLIENT_HOST}, DB, COMMAND, STATE
      ORDER BY n DESC, maxTime DESC`,
  );
  const groups: ConnectionGroup[] = rows.map((r) => ({
    user: String(r.user ?? ''),
    host: String(r.host ?? ''),
    db: r.db == null ? null : String(r.db),
    command: String(r.command ?? ''),
    state: r.state == null || r.state === '' ? null : String(r.state),
    count: toNumber(r.n) ?? 0,
    maxSeconds: toNumber(r.maxTime) ?? 0,
  }));
  const status = await readGlobalStatus(db);
  const vars = await readGlobalVariables(db, ['max_connections']);
  const connected = num(status, 'Threads_connected') ?? 0;
  const maxConnections = num(vars, 'max_connections') ?? 0;
  const trx = await db.query<Record<string, unknown>>(
    `SELECT t.trx_mysql_thread_id AS id, p.USER AS user, ${CLIENT_HOST.replaceAll('HOST', 'p.HOST')} AS host,
            TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS age, t.trx_state AS state,
            t.trx_rows_locked AS locked, t.trx_rows_modified AS modified, t.trx_query AS query
       FROM information_schema.INNODB_TRX t
       LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
      ORDER BY t.trx_started
      LIMIT 100`,
  );
  return {
    connected,
    running: num(status, 'Threads_running') ?? 0,
    maxConnections,
    maxUsedConnections: num(status, 'Max_used_connections') ?? 0,
    usedPct: maxConnections > 0 ? Math.round((10_000 * connected) / maxConnections) / 100 : 0,
    byUser: countBy(
      groups,
      (g) => g.user,
      (g) => g.count,
    ).map(([user, count]) => ({ user, count })),
    byHost: countBy(
      groups,
      (g) => g.host,
      (g) => g.count,
    ).map(([host, count]) => ({ host, count })),
    byState: countBy(
      groups,
      (g) => `${g.command}\u0000${g.state ?? ''}`,
      (g) => g.count,
    ).map(([k, count]) => {
      const [command, state] = k.split('\u0000');
      return { command: command ?? '', state: state ? state : null, count };
    }),
    groups,
    transactions: trx.map((t) => ({
      threadId: toNumber(t.id) ?? 0,
      user: t.user == null ? null : String(t.user),
      host: t.host == null ? null : String(t.host),
      seconds: toNumber(t.age) ?? 0,
      state: String(t.state ?? ''),
      rowsLocked: toNumber(t.locked) ?? 0,
      rowsModified: toNumber(t.modified) ?? 0,
      query: t.query == null ? null : String(t.query),
    })),
  };
}
