/**
 * A GTID replica between two private sandboxes of one home: the replica starts from the primary's
 * current position (its set-up history is not for replaying) and replicates over TLS as root.
 */
import { escape as sqlLiteral } from 'mysql2';
import type { DatabaseManager } from '../../src/db/index.js';
import { sandboxConnection } from '../../src/sandbox/index.js';

export async function replicateFrom(
  replica: DatabaseManager,
  primary: DatabaseManager,
  source: { home: string; name: string },
): Promise<void> {
  const endpoint = sandboxConnection(source);
  if (!endpoint) throw new Error(`the ${source.name} sandbox has no connection details`);
  // Both sandboxes are rendered with server_id 1; a replica must differ from its source.
  await replica.execute('SET GLOBAL server_id = 2');
  const [pos] = await primary.query<{ p: string }>('SELECT @@gtid_binlog_pos AS p');
  await replica.execute(`SET GLOBAL gtid_slave_pos = ${sqlLiteral(pos?.p ?? '')}`);
  await replica.execute(
    `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${Number(endpoint.port)}, MASTER_USER = 'root',
       MASTER_PASSWORD = ${sqlLiteral(endpoint.password.reveal())}, MASTER_SSL = 1, MASTER_USE_GTID = slave_pos,
       MASTER_CONNECT_RETRY = 1`,
  );
  await replica.execute('START SLAVE');
}
