/**
 * A migrated test database for the access tests, with stand-in audit tables when the audit
 * migration is not applied, a per-run name prefix (roles and users are server-global) and a
 * private credentials directory.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CredentialStore } from '../../src/access/index.js';
import { migrate } from '../../src/migrate/index.js';
import { repoRoot } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * The core and reporting schemas plus the views, without the audit migration: the access tests
 * must not depend on another module's migration while it is being written. `audit_log`,
 * `audit_config` and `audit_seal` are created as minimal stand-ins instead.
 */
function coreSchemaDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-access-schema-'));
  for (const sub of ['migrations', 'repeatable']) {
    mkdirSync(path.join(dir, sub));
    for (const f of readdirSync(path.join(repoRoot, 'schemas', sub))) {
      if (sub === 'migrations' && !/^V000[12]__/.test(f)) continue;
      copyFileSync(path.join(repoRoot, 'schemas', sub, f), path.join(dir, sub, f));
    }
  }
  return dir;
}

export interface AccessTestDb extends TestDatabase {
  prefix: string;
  credentials: CredentialStore;
}

export async function createAccessDatabase(label: string): Promise<AccessTestDb> {
  const t = await createTestDatabase(label);
  await migrate(t.config(), { dir: coreSchemaDir() });
  await t.db.execute(
    'CREATE TABLE IF NOT EXISTS audit_log (audit_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, table_name VARCHAR(64) NOT NULL, seal_id BIGINT UNSIGNED NULL)',
  );
  await t.db.execute('CREATE TABLE IF NOT EXISTS audit_config (table_name VARCHAR(64) NOT NULL PRIMARY KEY)');
  await t.db.execute(
    'CREATE TABLE IF NOT EXISTS audit_seal (seal_id BIGINT UNSIGNED NOT NULL PRIMARY KEY, seal_hash CHAR(64) NULL)',
  );
  const prefix = `t${randomBytes(3).toString('hex')}_`;
  const credentials = new CredentialStore(mkdtempSync(path.join(tmpdir(), 'mysqlops-cred-')));
  return { ...t, prefix, credentials };
}
