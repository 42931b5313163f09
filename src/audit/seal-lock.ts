/**
 * The seal lock: a server-side named lock (GET_LOCK) per database, so that two sealers (a cron
 * job and a `mysqlops serve` scheduler, say) never build the chain at the same time. The lock
 * belongs to a session, so it is taken on one pinned connection that stays checked out of the pool
 * for the whole run (the pool must have room for a second connection, which does the work); a
 * sealer that dies frees it when its connection closes.
 */
import { createHash } from 'node:crypto';
import type { DatabaseManager } from '../db/index.js';
import { MysqlopsError } from '../errors.js';

/** Default wait for another sealer to finish. */
export const DEFAULT_SEAL_LOCK_TIMEOUT_MS = 30_000;

/** `mysqlops_audit_seal:<database>`; a name past 64 characters (the server's limit) is hashed. */
export function sealLockName(database: string): string {
  const prefix = 'mysqlops_audit_seal:';
  const name = `${prefix}${database}`;
  if (name.length <= 64) return name;
  return `${prefix}${createHash('sha256')
    .update(database, 'utf8')
    .digest('hex')
    .slice(0, 64 - prefix.length)}`;
}

/**
 * Run `fn` while holding the seal lock of the current database. E_AUDIT_SEAL_LOCK when another
 * sealer holds it for longer than `timeoutMs`.
 */
export async function withSealLock<T>(
  db: DatabaseManager,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  await db.initialize();
  if (db.poolStats().limit < 2) {
    throw new MysqlopsError({
      code: 'E_AUDIT',
      message: 'audit seal needs a connection pool of at least 2 connections (one holds the seal lock)',
      hint: 'raise pool.size (DB_POOL_SIZE) to 2 or more',
      exitCode: 2,
    });
  }
  const [{ database } = { database: null }] = await db.query<{ database: string | null }>(
    'SELECT DATABASE() AS `database`',
  );
  if (!database) {
    throw new MysqlopsError({
      code: 'E_AUDIT',
      message: 'audit seal needs a database (DB_NAME)',
      exitCode: 2,
    });
  }
  const name = sealLockName(database);
  let failed = false;
  let failure: unknown;
  let result: T | undefined;
  // A transaction is the manager's way to pin a connection; it writes nothing and always commits.
  // fn's errors are carried out of it so they are never mistaken for the holder's own.
  await db.transaction(
    async (holder) => {
      const [got] = await holder.query<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [
        name,
        timeoutMs / 1000,
      ]);
      if (Number(got?.got) !== 1) {
        const [who] = await holder.query<{ id: number | null }>('SELECT IS_USED_LOCK(?) AS id', [name]);
        failed = true;
        failure = new MysqlopsError({
          code: 'E_AUDIT_SEAL_LOCK',
          message: `could not take the seal lock ${name} within ${timeoutMs / 1000} s: another audit seal is running on ${database}${who?.id == null ? '' : ` (server connection ${who.id})`}`,
          hint: 'wait for the other seal to finish and run again (a sealer that died frees the lock when its connection closes)',
        });
        return;
      }
      try {
        result = await fn();
      } catch (err) {
        failed = true;
        failure = err;
      } finally {
        await holder.query('SELECT RELEASE_LOCK(?)', [name]);
      }
    },
    { maxRetries: 0 },
  );
  if (failed) throw failure;
  return result as T;
}
