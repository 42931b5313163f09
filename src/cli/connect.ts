/**
 * Opening a DatabaseManager for a CLI command from the loaded configuration.
 */
import type { MysqlopsConfig } from '../config/index.js';
import { DatabaseManager } from '../db/index.js';

/**
 * Connect and detect the flavor. `withDatabase: false` connects without selecting DB_NAME, for
 * commands that must work before the database exists (status, up).
 */
export async function openDatabase(
  config: MysqlopsConfig,
  options: { withDatabase?: boolean } = {},
): Promise<DatabaseManager> {
  const connection =
    options.withDatabase === false ? { ...config.connection, database: undefined } : config.connection;
  const db = new DatabaseManager({
    ...config,
    // The CLI's jobs read what they or another run just wrote: the primary only (primaryOnly).
    connection: { ...connection, replicas: [] },
    pool: { ...config.pool, size: Math.min(config.pool.size, 4) },
  });
  await db.initialize();
  return db;
}

/** Run `fn` with an open DatabaseManager and always close it. */
export async function withDatabase<T>(
  config: MysqlopsConfig,
  options: { withDatabase?: boolean },
  fn: (db: DatabaseManager) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(config, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
