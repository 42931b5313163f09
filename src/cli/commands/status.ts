/**
 * `mysqlops status`: connect with the configured settings and say what answered. The smallest
 * end-to-end check of the stack.
 */
import type { Command } from 'commander';
import type { MysqlopsConfig } from '../../config/index.js';
import type { DatabaseManager } from '../../db/index.js';
import { withDatabase } from '../connect.js';
import type { CliContext } from '../context.js';
import { formatDuration, keyValueTable } from '../output.js';

export interface StatusReport {
  ok: true;
  env: string;
  target: string;
  flavor: 'mariadb' | 'mysql';
  server: string;
  version: string;
  uptimeSeconds: number;
  host: string | null;
  port: number;
  socket: string | null;
  user: string;
  database: { name: string | null; exists: boolean };
  tls: string | null;
}

export function registerStatus(program: Command, context: () => CliContext): void {
  program
    .command('status')
    .description(
      'connect with the configured settings and print server version, flavor, uptime and where it connected',
    )
    .action(async () => {
      const ctx = context();
      const report = await withDatabase(ctx.config, { withDatabase: false }, (db) =>
        collectStatus(db, ctx.config),
      );
      ctx.out.result(report, () => renderStatus(report));
    });
}

/** Gather what `status` (and `up`) print. */
export async function collectStatus(db: DatabaseManager, config: MysqlopsConfig): Promise<StatusReport> {
  const info = await db.serverInfo();
  const name = config.connection.database ?? null;
  const exists = name
    ? (await db.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length > 0
    : false;
  const tcp = /tcp ([^:]+):(\d+)/.exec(info.target);
  return {
    ok: true,
    env: config.env,
    target: info.target,
    flavor: info.flavor,
    server: info.label,
    version: info.version,
    uptimeSeconds: info.uptimeSeconds,
    host: config.connection.host ?? tcp?.[1] ?? null,
    port: info.port,
    socket: info.socket || null,
    user: info.currentUser,
    database: { name, exists },
    tls: info.tlsCipher,
  };
}

export function renderStatus(r: StatusReport): string {
  return keyValueTable([
    ['server', `${r.server} (${r.flavor})`],
    ['version', r.version],
    ['uptime', formatDuration(r.uptimeSeconds)],
    ['connected to', r.target],
    ['host', r.host],
    ['port', r.port],
    ['socket', r.socket],
    ['user', r.user],
    [
      'database',
      r.database.name ? `${r.database.name} (${r.database.exists ? 'present' : 'not created yet'})` : null,
    ],
    ['tls', r.tls ?? 'off'],
    ['environment', r.env],
  ]);
}
