/**
 * Test helpers for the migration engine: fixture folders in a temp dir, and databases that do not
 * exist yet (so `migrate up` has to create them).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseManager, type DatabaseManagerConfig } from '../../src/db/index.js';
import { sandboxConfig } from '../support/db.js';

/** A fixture folder: keys are `migrations/V1__x.sql` / `repeatable/R__y.sql`, values the file text. */
export function fixtureDir(files: Record<string, string>): {
  dir: string;
  write: (rel: string, text: string) => void;
  remove: (rel: string) => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-migrate-'));
  mkdirSync(path.join(dir, 'migrations'));
  mkdirSync(path.join(dir, 'repeatable'));
  const write = (rel: string, text: string) => writeFileSync(path.join(dir, rel), text);
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  return { dir, write, remove: (rel) => rmSync(path.join(dir, rel)) };
}

export interface FreshDatabase {
  name: string;
  config: DatabaseManagerConfig;
  /** A manager without a default database, for checks (information_schema, qualified names). */
  admin: DatabaseManager;
  drop: () => Promise<void>;
}

/** A database name on the test sandbox that does not exist yet; `drop()` removes it if created. */
export function freshDatabase(label: string): FreshDatabase {
  const name = `t_mig_${label.replace(/\W/g, '_')}_${randomBytes(3).toString('hex')}`;
  const admin = new DatabaseManager(sandboxConfig());
  return {
    name,
    config: sandboxConfig({ connection: { database: name } }),
    admin,
    drop: async () => {
      await admin.execute(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.close();
    },
  };
}

/** The history rows of `db`, in run order. */
export async function historyRows(admin: DatabaseManager, db: string) {
  return admin.query<{
    version: string | null;
    script: string;
    type: string;
    success: number;
    statements_applied: number;
    error_message: string | null;
    checksum: string;
  }>(
    `SELECT version, script, type, success, statements_applied, error_message, checksum FROM \`${db}\`.mysqlops_schema_history ORDER BY installed_rank`,
  );
}
