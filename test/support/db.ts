/**
 * Test helpers: a fresh database per test file on the run's sandbox, and the config to reach it.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { DatabaseManager, type DatabaseManagerConfig } from '../../src/db/index.js';
import { sandboxConnection } from '../../src/sandbox/index.js';

/** Connection settings for the run's sandbox, as root over the unix socket. */
export function sandboxConfig(overrides: Partial<DatabaseManagerConfig> = {}): DatabaseManagerConfig {
  const { home, name } = inject('sandbox');
  return { connection: {}, usesSandbox: true, sandbox: { home, name }, ...overrides };
}

/** The sandbox's TCP endpoint and credentials (for tests that need TCP or TLS). */
export function sandboxEndpoint() {
  const { home, name } = inject('sandbox');
  const sb = sandboxConnection({ home, name });
  if (!sb) throw new Error('the test sandbox is not initialised (global setup failed?)');
  return sb;
}

export interface TestDatabase {
  name: string;
  db: DatabaseManager;
  /** A config for more managers on the same database. */
  config: (overrides?: Partial<DatabaseManagerConfig>) => DatabaseManagerConfig;
  drop: () => Promise<void>;
}

/** Create `t_<label>_<random>` and a DatabaseManager using it; `drop()` removes both. */
export async function createTestDatabase(
  label: string,
  overrides: Partial<DatabaseManagerConfig> = {},
): Promise<TestDatabase> {
  const name = `t_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
  const admin = new DatabaseManager(sandboxConfig());
  await admin.execute(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.close();
  const config = (more: Partial<DatabaseManagerConfig> = {}) =>
    sandboxConfig({
      ...overrides,
      ...more,
      connection: { database: name, ...overrides.connection, ...more.connection },
    });
  const db = new DatabaseManager(config());
  await db.initialize();
  return {
    name,
    db,
    config,
    drop: async () => {
      await db.close();
      const a = new DatabaseManager(sandboxConfig());
      await a.execute(`DROP DATABASE IF EXISTS \`${name}\``);
      await a.close();
    },
  };
}
