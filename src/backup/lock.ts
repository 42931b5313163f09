/**
 * One backup at a time per server: `withBackupLock` holds GET_LOCK('mysqlops:backup') on a session
 * of its own while a backup runs, so the nightly full and the hourly incremental (both due at
 * 02:00), or `serve` and a cron-driven `mysqlops backup`, queue instead of interleaving their
 * snapshots and FLUSH BINARY LOGS (which would chain an incremental to the wrong parent). A process
 * that dies loses its session, and the server frees the lock.
 */
import type { DatabaseManagerConfig } from '../db/index.js';
import { BackupError } from '../errors.js';
import { backupFailure, Session, targetOf } from './session.js';

/**
 * The GET_LOCK name `withBackupLock` holds while a backup runs, one per server: other tools can
 * check it (IS_USED_LOCK) to see whether a mysqlops backup is in progress.
 */
export const BACKUP_LOCK = 'mysqlops:backup';

/** Default wait for the lock: an hour (a nightly full backup of a large database can take that). */
export const BACKUP_LOCK_WAIT_SECONDS = 3600;

/**
 * Run `fn` holding the backup lock of `config`'s server, waiting up to `waitSeconds` for it. Throws
 * E_BACKUP (exit 1) when another backup still holds it after that.
 */
export async function withBackupLock<T>(
  config: DatabaseManagerConfig,
  fn: () => Promise<T>,
  waitSeconds = BACKUP_LOCK_WAIT_SECONDS,
): Promise<T> {
  const target = targetOf(config);
  const session = await Session.open(target.options, target);
  try {
    let got: number | null;
    try {
      const [row] = await session.rows<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [
        BACKUP_LOCK,
        waitSeconds,
      ]);
      got = row?.got === null || row?.got === undefined ? null : Number(row.got);
    } catch (err) {
      throw backupFailure('taking the backup lock', err);
    }
    if (got !== 1) {
      throw new BackupError({
        message: `another backup has held the backup lock (${BACKUP_LOCK}) for ${waitSeconds} s; not starting a second one`,
        hint: `SELECT IS_USED_LOCK('${BACKUP_LOCK}') names the connection holding it`,
      });
    }
    return await fn();
  } finally {
    // Ending the session releases the lock.
    await session.close();
  }
}
