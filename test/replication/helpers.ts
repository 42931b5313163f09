/** What the replication test files share. */
import { DatabaseManager } from '../../src/db/index.js';

/**
 * Root managers on the sandboxes of a test's topology under `home()`, one per sandbox, made on
 * first use (over each sandbox's socket; for checks, not for an application's load).
 */
export function sandboxManagers(home: () => string): {
  of: (name: string) => DatabaseManager;
  closeAll: () => Promise<void>;
} {
  const made = new Map<string, DatabaseManager>();
  return {
    of: (name) => {
      let db = made.get(name);
      if (!db) {
        db = new DatabaseManager({
          connection: {},
          usesSandbox: true,
          sandbox: { home: home(), name },
          pool: { size: 2 },
        });
        made.set(name, db);
      }
      return db;
    },
    closeAll: async () => {
      await Promise.all([...made.values()].map((db) => db.close().catch(() => undefined)));
    },
  };
}
