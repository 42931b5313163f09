/**
 * One consistent snapshot shared by every worker session. Each worker opens
 * `START TRANSACTION WITH CONSISTENT SNAPSHOT`; they see the same data exactly when no commit
 * lands between the first and the last of them. How that is made sure:
 *
 * - MariaDB: `BACKUP STAGE BLOCK_COMMIT` on the coordinator for the few milliseconds the workers
 *   need to open their snapshots (needs RELOAD); the binlog position of the snapshot comes from
 *   each worker's `Binlog_snapshot_file/position` status and must be equal for all. Without the
 *   privilege, the workers open snapshots and compare those positions, and all retry until equal.
 * - MySQL: `FLUSH TABLES WITH READ LOCK` while the workers open their snapshots, with the binlog
 *   position and `gtid_executed` read under the lock. (Not exercised by the test suite, which runs
 *   MariaDB.)
 *
 * The time any global lock or commit block was held is measured and reported.
 */
import { performance } from 'node:perf_hooks';
import { BackupError, driverFields } from '../errors.js';
import type { Session } from './session.js';
import type { SnapshotInfo } from './types.js';

const MAX_ATTEMPTS = 20;

async function beginSnapshot(s: Session): Promise<void> {
  await s.run('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await s.run('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

/** MariaDB: the binlog coordinates of this session's snapshot. */
async function snapshotPosition(s: Session): Promise<{ file: string; position: number }> {
  const rows = await s.rows<{ Variable_name: string; Value: string }>("SHOW STATUS LIKE 'binlog_snapshot_%'");
  const get = (name: string) => rows.find((r) => r.Variable_name.toLowerCase() === name)?.Value ?? '';
  return { file: get('binlog_snapshot_file'), position: Number(get('binlog_snapshot_position') || 0) };
}

/**
 * Open the snapshot on every worker. `coordinator` takes the brief lock; it must not be one of the
 * workers. On return every worker is inside its read-only transaction.
 */
export async function openSharedSnapshot(
  coordinator: Session,
  workers: readonly Session[],
): Promise<SnapshotInfo> {
  if (coordinator.flavor.isMariaDB) return mariadbSnapshot(coordinator, workers);
  return mysqlSnapshot(coordinator, workers);
}

async function mariadbSnapshot(coordinator: Session, workers: readonly Session[]): Promise<SnapshotInfo> {
  let blocked = false;
  let held = 0;
  try {
    await coordinator.run('BACKUP STAGE START');
    // The stages before BLOCK_COMMIT (waiting for running DDL, flushing non-transactional tables)
    // do not hold commits back: taken first, so lockHeldMs is the time commits were blocked.
    await coordinator.run('BACKUP STAGE FLUSH');
    await coordinator.run('BACKUP STAGE BLOCK_DDL');
    const t0 = performance.now();
    try {
      await coordinator.run('BACKUP STAGE BLOCK_COMMIT');
      blocked = true;
      await Promise.all(workers.map(beginSnapshot));
    } finally {
      await coordinator.run('BACKUP STAGE END');
      held = performance.now() - t0;
    }
  } catch (err) {
    // Without RELOAD (ER_SPECIFIC_ACCESS_DENIED_ERROR 1227) fall back to comparing positions.
    if (driverFields(err).errno !== 1227 || blocked) throw err;
  }
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (!blocked || attempt > 1) await Promise.all(workers.map(beginSnapshot));
    const positions = await Promise.all(workers.map(snapshotPosition));
    const first = positions[0] ?? { file: '', position: 0 };
    if (positions.every((p) => p.file === first.file && p.position === first.position)) {
      const gtid = first.file ? await gtidAt(coordinator, first.file, first.position) : null;
      return {
        method: blocked ? 'backup-stage-block-commit' : 'position-compare',
        lockHeldMs: Math.round(held * 100) / 100,
        binlogFile: first.file || null,
        binlogPosition: first.file ? first.position : null,
        gtid,
        attempts: attempt,
      };
    }
    // A commit slipped in between two workers' snapshots: start them all again.
    await Promise.all(workers.map((w) => w.run('ROLLBACK')));
    if (blocked) blocked = false;
  }
  throw new BackupError({
    message: `the ${workers.length} worker sessions could not agree on one snapshot in ${MAX_ATTEMPTS} attempts`,
    hint: 'the server commits too often for the position-compare method: grant RELOAD to the backup user (BACKUP STAGE), or use --threads 1',
  });
}

async function gtidAt(s: Session, file: string, position: number): Promise<string | null> {
  const [row] = await s.rows<{ g: string | null }>('SELECT BINLOG_GTID_POS(?, ?) AS g', [file, position]);
  return row?.g ?? null;
}

async function mysqlSnapshot(coordinator: Session, workers: readonly Session[]): Promise<SnapshotInfo> {
  await coordinator.run('FLUSH TABLES WITH READ LOCK');
  const t0 = performance.now();
  let file: string | null = null;
  let position: number | null = null;
  let gtid: string | null = null;
  try {
    await Promise.all(workers.map(beginSnapshot));
    const statusSql = coordinator.flavor.atLeast(8, 4) ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS';
    const [status] = await coordinator.rows<{ File?: string; Position?: number; Executed_Gtid_Set?: string }>(
      statusSql,
    );
    file = status?.File ?? null;
    position = status?.Position === undefined ? null : Number(status.Position);
    gtid = status?.Executed_Gtid_Set ?? null;
  } finally {
    await coordinator.run('UNLOCK TABLES');
  }
  return {
    method: 'flush-tables-read-lock',
    lockHeldMs: Math.round((performance.now() - t0) * 100) / 100,
    binlogFile: file,
    binlogPosition: position,
    gtid,
    attempts: 1,
  };
}
