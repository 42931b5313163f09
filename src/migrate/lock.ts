/**
 * The migration lock: a server-side named lock (GET_LOCK) per target database, held by the run's
 * dedicated session. Two runners against one database take turns; a crashed runner's lock goes
 * away with its connection, so there is nothing to clean up by hand.
 */
import { createHash } from 'node:crypto';
import { MigrationError } from '../errors.js';
import type { MigrationSession } from './session.js';
import type { MigrateProgress } from './types.js';

/** How long `migrate` and `repairMigrations` wait for another runner's lock by default (ms). */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/** MySQL 5.7+ refuses lock names longer than 64 characters. */
const MAX_LOCK_NAME = 64;

/**
 * The lock name for a database: `mysqlops_migrate:<database>`; when that would exceed 64
 * characters, the database part is replaced by a hash of it.
 */
export function migrationLockName(database: string): string {
  const name = `mysqlops_migrate:${database}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  const hash = createHash('sha256').update(database, 'utf8').digest('hex');
  return `mysqlops_migrate:${hash.slice(0, MAX_LOCK_NAME - 'mysqlops_migrate:'.length)}`;
}

/**
 * Take the lock for `database`, waiting up to `timeoutMs`. Tries once without waiting first so the
 * caller hears about the wait (and who holds the lock) before it starts. Throws E_MIGRATION_LOCK
 * when the time runs out.
 */
export async function acquireMigrationLock(
  session: MigrationSession,
  database: string,
  timeoutMs: number,
  onProgress: (e: MigrateProgress) => void,
): Promise<void> {
  const name = migrationLockName(database);
  if ((await getLock(session, name, 0)) === 1) {
    onProgress({ step: 'lock-acquired', message: `holding the migration lock ${name}` });
    return;
  }
  const holder = await lockHolder(session, name);
  onProgress({
    step: 'lock-wait',
    message: `another migration runs on ${database}${holder === null ? '' : ` (connection ${holder})`}; waiting up to ${formatSeconds(timeoutMs)} for it`,
    holder,
  });
  const got = timeoutMs > 0 ? await getLock(session, name, timeoutMs / 1000) : 0;
  if (got !== 1) {
    const now = await lockHolder(session, name);
    throw new MigrationError({
      code: 'E_MIGRATION_LOCK',
      message: `could not take the migration lock ${name} within ${formatSeconds(timeoutMs)}: another migration is running on ${database}${now === null ? '' : ` (server connection ${now})`}`,
      hint: 'wait for the other `mysqlops migrate` to finish and run again, or allow a longer wait with --lock-timeout <seconds>; a runner that died frees the lock when its connection closes (SHOW PROCESSLIST shows who holds it)',
    });
  }
  onProgress({ step: 'lock-acquired', message: `holding the migration lock ${name}` });
}

/** Release the lock; never throws (the lock also dies with the connection, which is ended next). */
export async function releaseMigrationLock(session: MigrationSession, database: string): Promise<void> {
  try {
    await session.rows('SELECT RELEASE_LOCK(?) AS released', [migrationLockName(database)]);
  } catch {
    // The connection is gone, and with it the lock.
  }
}

async function getLock(session: MigrationSession, name: string, seconds: number): Promise<number | null> {
  const [row] = await session.rows<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [name, seconds]);
  return row?.got ?? null;
}

async function lockHolder(session: MigrationSession, name: string): Promise<number | null> {
  const [row] = await session.rows<{ holder: number | null }>('SELECT IS_USED_LOCK(?) AS holder', [name]);
  return row?.holder ?? null;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
