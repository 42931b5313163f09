/** Direct sessions on the nodes of a test's Galera cluster. */
import mysql from 'mysql2/promise';
import { galeraNodeName } from '../../src/cluster/index.js';
import { type SandboxConnection, sandboxConnection } from '../../src/sandbox/index.js';

/** How to reach node `node` (1-based) of cluster `name` under `home`. */
export function nodeEndpoint(home: string, name: string, node: number): SandboxConnection {
  const conn = sandboxConnection({ home, name: galeraNodeName(name, node) });
  if (!conn) throw new Error(`node ${node} not initialised`);
  return conn;
}

/**
 * A root session on one node; its reads wait until the node has applied everything committed
 * before them, cluster-wide (wsrep_sync_wait = 1).
 */
export async function nodeSession(conn: SandboxConnection, database?: string): Promise<mysql.Connection> {
  const c = await mysql.createConnection({
    socketPath: conn.socket,
    user: conn.user,
    password: conn.password.reveal(),
    ...(database ? { database } : {}),
  });
  await c.query('SET SESSION wsrep_sync_wait = 1');
  return c;
}

/** One statement in a session of its own. */
export async function onNode<T>(
  open: () => Promise<mysql.Connection>,
  q: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = await open();
  try {
    const [rows] = await c.query(q, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}
