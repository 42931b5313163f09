/**
 * What the access commands need from the configuration: the database the file's names refer to,
 * the TCP endpoint and CA that users log in through, and where passwords are stored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MysqlopsConfig } from '../config/index.js';
import { resolveTarget } from '../db/index.js';
import { UsageError } from '../errors.js';
import { sandboxConnection } from '../sandbox/index.js';

export interface AccessEndpoint {
  database: string;
  host: string;
  port: number;
  ca: string | undefined;
  /** Default credentials directory: `<sandbox home>/credentials` (`.mysqlops/credentials`). */
  credentialsDir: string;
}

/** Resolve the endpoint from a loaded configuration. Throws UsageError when DB_NAME is unset. */
export function accessEndpoint(config: MysqlopsConfig): AccessEndpoint {
  const database = config.connection.database;
  if (!database)
    throw new UsageError('no database configured', 'set DB_NAME (the database the access file grants on)');
  const target = resolveTarget(config.connection, config.sandbox, config.usesSandbox);
  let ca = config.connection.ssl?.ca;
  if (target.sandbox !== undefined) {
    const sb = sandboxConnection({ name: config.sandbox.name, home: config.sandbox.home });
    if (sb?.caFile) ca = fs.readFileSync(sb.caFile, 'utf8');
  }
  return {
    database,
    host: target.host ?? '127.0.0.1',
    port: target.port ?? 3306,
    ca,
    credentialsDir: path.join(config.sandbox.home, 'credentials'),
  };
}
