/**
 * A backup taken by an account holding exactly the `backup` role of schemas/access.yaml: it needs
 * nothing more (consistent snapshot with BACKUP STAGE, views, routines, triggers, events), and the
 * restore of it matches the source. Without SELECT on mysql.proc the backup stops and says so.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAccessFile } from '../../src/access/index.js';
import { backupFull, backupIncremental, restore } from '../../src/backup/index.js';
import { type DatabaseManager, quoteId } from '../../src/db/index.js';
import { sandboxConfig, sandboxEndpoint, type TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';
import {
  backupDir,
  checksums,
  dropDatabase,
  freshName,
  objectDefinitions,
  settings,
  withAdmin,
} from './helpers.js';

let src: TestDatabase;
const user = `bk_${randomBytes(3).toString('hex')}`;
const password = `Bk${randomBytes(12).toString('hex')}X`;
const account = `${quoteId(user)}@'localhost'`;
const target = freshName('bk_priv_copy');
const s = settings(backupDir('privileges'), { threads: 2 });

/** GRANT statements giving `account` what the backup role in the access file holds on `database`. */
async function grantBackupRole(db: DatabaseManager, database: string): Promise<void> {
  const role = loadAccessFile().roles.find((r) => r.key === 'backup');
  if (!role) throw new Error('no backup role in schemas/access.yaml');
  for (const g of role.grants) {
    const on =
      g.target.level === 'global'
        ? '*.*'
        : g.target.level === 'schema'
          ? `${quoteId(g.target.schema ?? database)}.*`
          : `${quoteId(g.target.schema ?? database)}.${quoteId(g.target.table)}`;
    const privileges = g.privileges.map((p) => db.flavor.privilegeName(p)).join(', ');
    await db.execute(`GRANT ${privileges} ON ${on} TO ${account}`);
  }
}

beforeAll(async () => {
  src = await createMigratedDatabase('bk_priv');
  await src.db.execute(
    'CREATE EVENT bk_priv_event ON SCHEDULE EVERY 1 DAY DISABLE DO DELETE FROM etl_runs WHERE 1 = 0',
  );
  await withAdmin(async (admin) => {
    await admin.execute(`CREATE USER ${account} IDENTIFIED BY '${password}'`);
    await grantBackupRole(admin, src.name);
  });
});

afterAll(async () => {
  await withAdmin((admin) => admin.execute(`DROP USER IF EXISTS ${account}`));
  await dropDatabase(target);
  await src?.drop();
});

function asBackupUser() {
  const sb = sandboxEndpoint();
  return {
    connection: { socket: sb.socket, user, password, database: src.name },
    usesSandbox: false,
  };
}

describe('the backup role', () => {
  it('is enough for a consistent backup of tables, views, routines, triggers and events', async () => {
    const backup = await backupFull(asBackupUser(), s);
    expect(backup.manifest.snapshot.method).toBe('backup-stage-block-commit');
    expect(backup.manifest.snapshot.gtid).not.toBeNull();
    await restore(sandboxConfig({ connection: { database: src.name } }), s, backup.id, { targetDb: target });
    await withAdmin(async (admin) => {
      expect(await checksums(admin, target)).toEqual(await checksums(admin, src.name));
      const defs = await objectDefinitions(admin, src.name);
      expect(Object.keys(defs).some((k) => k.startsWith('procedure'))).toBe(true);
      expect(await objectDefinitions(admin, target)).toEqual(defs);
    });
  });

  it('is enough for an incremental backup (binary logs)', async () => {
    const inc = await backupIncremental(asBackupUser(), s);
    expect(inc.manifest.incremental?.binlogs.length).toBeGreaterThan(0);
  });

  it('without SELECT on mysql.proc, stops and names the privilege', async () => {
    await withAdmin((admin) => admin.execute(`REVOKE SELECT ON mysql.proc FROM ${account}`));
    await expect(backupFull(asBackupUser(), s)).rejects.toMatchObject({
      code: 'E_BACKUP',
      hint: expect.stringMatching(/SELECT on mysql\.proc/),
    });
  });
});
