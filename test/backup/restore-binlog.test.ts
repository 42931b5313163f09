/**
 * Restore and the binary log: by default a restore is not logged (as myloader without
 * --enable-binlog), `binlog: true` logs it; an account that may not switch logging off is told so.
 * The server's binary log is read back (SHOW BINLOG EVENTS) for the target's name: other test files
 * write to the same log at the same time, so positions alone would prove nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackupResult, backupFull, restore } from '../../src/backup/index.js';
import { quoteId } from '../../src/db/index.js';
import { createTestDatabase, sandboxConfig, sandboxEndpoint, type TestDatabase } from '../support/db.js';
import { backupDir, checksums, dropDatabase, freshName, settings, withAdmin } from './helpers.js';

let src: TestDatabase;
let backup: BackupResult;
const s = settings(backupDir('binlog'));
const unlogged = freshName('bk_nolog');
const logged = freshName('bk_log');
const byUser = freshName('bk_user');
const user = `bk_${randomBytes(3).toString('hex')}`;
const password = `Bk${randomBytes(12).toString('hex')}X`;
const account = `${quoteId(user)}@'localhost'`;
let firstLog = '';
let firstPosition = 0;

beforeAll(async () => {
  src = await createTestDatabase('bk_binlog');
  await src.db.execute('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL, KEY ix_v (v))');
  await src.db.execute("INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_500");
  backup = await backupFull(src.config(), s);
  await withAdmin(async (admin) => {
    const [status] = await admin.query<{ File: string; Position: number }>('SHOW MASTER STATUS');
    firstLog = String(status?.File);
    firstPosition = Number(status?.Position);
    await admin.execute(`CREATE USER ${account} IDENTIFIED BY '${password}'`);
    await admin.execute(`GRANT ALL PRIVILEGES ON ${quoteId(byUser)}.* TO ${account}`);
  });
});

afterAll(async () => {
  await withAdmin((admin) => admin.execute(`DROP USER IF EXISTS ${account}`));
  for (const db of [unlogged, logged, byUser]) await dropDatabase(db);
  await src?.drop();
});

/** True when any event of the binary logs since `firstLog`/`firstPosition` mentions `name`. */
async function logMentions(name: string): Promise<boolean> {
  return withAdmin(async (admin) => {
    const logs = await admin.query<{ Log_name: string }>('SHOW BINARY LOGS');
    for (const { Log_name: file } of logs.filter((l) => l.Log_name >= firstLog)) {
      const from = file === firstLog ? firstPosition : 4;
      const events = await admin.query<{ Info: string }>(`SHOW BINLOG EVENTS IN ? FROM ${from}`, [file]);
      if (events.some((e) => String(e.Info).includes(name))) return true;
    }
    return false;
  });
}

describe('restore and the binary log', () => {
  it('writes nothing to the binary log by default, and logs the restore with binlog: true', async () => {
    await restore(sandboxConfig(), s, backup.id, { targetDb: unlogged });
    await restore(sandboxConfig(), s, backup.id, { targetDb: logged, binlog: true });
    await withAdmin(async (admin) => {
      const source = await checksums(admin, src.name);
      expect(await checksums(admin, unlogged)).toEqual(source);
      expect(await checksums(admin, logged)).toEqual(source);
    });
    expect(await logMentions(unlogged)).toBe(false);
    expect(await logMentions(logged)).toBe(true);
  });

  it('tells an account without BINLOG ADMIN to grant it or pass --binlog, and restores with binlog: true', async () => {
    const sb = sandboxEndpoint();
    const asUser = { connection: { socket: sb.socket, user, password }, usesSandbox: false };
    await expect(restore(asUser, s, backup.id, { targetDb: byUser })).rejects.toMatchObject({
      code: 'E_BACKUP',
      hint: expect.stringMatching(/BINLOG ADMIN.*--binlog/),
    });
    await restore(asUser, s, backup.id, { targetDb: byUser, binlog: true });
    await withAdmin(async (admin) => {
      expect(await checksums(admin, byUser)).toEqual(await checksums(admin, src.name));
    });
  });
});
