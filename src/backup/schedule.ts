/**
 * The backup jobs `mysqlops serve` schedules (`backup.schedule`): a full backup that proves itself
 * (every file checked, then a restore test) and then applies the retention, and an incremental
 * backup of the binary logs. A job that fails throws, so the scheduler reports it (and the alert
 * on a failed or stale backup can fire); neither prints.
 */
import type { MysqlopsConfig } from '../config/index.js';
import { BackupError, MysqlopsError } from '../errors.js';
import type { ScheduledJob } from '../etl/index.js';
import { type BackupResult, backupFull } from './backup-full.js';
import { backupIncremental, type IncrementalResult } from './incremental.js';
import { withBackupLock } from './lock.js';
import { type PruneResult, pruneBackups, recordVerification } from './prune.js';
import { restoreTest } from './restore-test.js';
import { backupSettings } from './settings.js';
import { verifyBackup } from './verify.js';

/** What a scheduled full backup did. */
export interface ScheduledFullResult {
  id: string;
  verified: true;
  prune: PruneResult;
}

/** What a scheduled incremental backup did: an incremental one, or a full one when there was nothing to continue. */
export type ScheduledIncrementalResult =
  | { kind: 'incremental'; id: string; binlogs: number }
  | ({ kind: 'full'; reason: string } & ScheduledFullResult);

/**
 * `backup:full` and `backup:incremental` jobs for the schedule in `config.backup.schedule`; a null
 * schedule leaves that job out. Both back up the configured database (DB_NAME) into BACKUP_DIR.
 */
export function backupJobs(config: MysqlopsConfig): ScheduledJob[] {
  const jobs: ScheduledJob[] = [];
  const { full, incremental } = config.backup.schedule;
  if (full) jobs.push({ name: 'backup:full', cron: full, run: () => scheduledFull(config) });
  if (incremental)
    jobs.push({ name: 'backup:incremental', cron: incremental, run: () => scheduledIncremental(config) });
  return jobs;
}

/**
 * Under the backup lock (lock.ts): a full backup, verified (checksums, decryption, row counts, then a restore into a scratch database)
 * and marked so; then `backup prune` with the configured retention. Throws E_BACKUP when the new
 * backup fails verification: it is kept for inspection, and never counted as verified.
 */
export function scheduledFull(config: MysqlopsConfig): Promise<ScheduledFullResult> {
  return withBackupLock(config, () => fullVerifiedPruned(config));
}

async function fullVerifiedPruned(config: MysqlopsConfig): Promise<ScheduledFullResult> {
  const settings = backupSettings(config);
  const backup: BackupResult = await backupFull(config, settings);
  const verified = await verifyBackup(settings, backup.dir);
  if (!verified.ok) {
    throw new BackupError({
      message: `scheduled full backup ${backup.id} failed verification: ${verified.problems
        .slice(0, 3)
        .map((p) => `${p.file}: ${p.message}`)
        .join('; ')}`,
      hint: `mysqlops backup verify ${backup.id} shows every problem`,
    });
  }
  const tested = await restoreTest(config, settings, backup.dir);
  if (!tested.ok) {
    throw new BackupError({
      message: `scheduled full backup ${backup.id} failed its restore test: ${tested.problems
        .slice(0, 3)
        .map((p) => p.message)
        .join('; ')}`,
      hint: `mysqlops backup verify ${backup.id} --restore-test shows every problem`,
    });
  }
  await recordVerification(backup.dir, true);
  const prune = await pruneBackups(settings);
  return { id: backup.id, verified: true, prune };
}

/**
 * Under the backup lock: an incremental backup; when there is no backup to continue, or the chain is broken (the logs it
 * needs were purged), a scheduled full backup instead, so the next hour's incremental has a base.
 */
export function scheduledIncremental(config: MysqlopsConfig): Promise<ScheduledIncrementalResult> {
  return withBackupLock(config, async () => {
    let result: IncrementalResult;
    try {
      result = await backupIncremental(config, backupSettings(config));
    } catch (err) {
      if (!(err instanceof MysqlopsError) || err.code !== 'E_BACKUP_CHAIN') throw err;
      return { kind: 'full', reason: err.message, ...(await fullVerifiedPruned(config)) };
    }
    return { kind: 'incremental', id: result.id, binlogs: result.manifest.incremental?.binlogs.length ?? 0 };
  });
}
