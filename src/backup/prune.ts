/**
 * Retention. `pruneBackups()` deletes complete full backups older than the retention period (or
 * beyond a count), but never the newest verified one (nor, while none is verified, the newest
 * complete one): a prune must never leave the database without a restorable backup. Folders
 * without a manifest are left alone (one may be a backup running now) and reported.
 *
 * `recordVerification()` marks a backup as verified (`verified.json`, 0600): `backup verify` and
 * `backup full --verify` call it when every check passed.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { BackupError } from '../errors.js';
import { listBackups } from './list.js';
import type { BackupSettings } from './types.js';

export const VERIFIED_FILE = 'verified.json';

/**
 * Options of `pruneBackups`. Whatever they say, the newest verified backup (or, while none is
 * verified, the newest complete one) and the chain of every kept incremental backup stay.
 */
export interface PruneOptions {
  /** Keep backups younger than this many days. Default `settings.retentionDays`. */
  keepDays?: number;
  /** Also keep at least this many newest complete backups. Default 1. */
  keepCount?: number;
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** The clock, for tests. */
  now?: Date;
}

/**
 * What `pruneBackups` did (or, with `dryRun`, would do): backup ids deleted, those kept with the
 * rule that kept each, and incomplete folders it left alone.
 */
export interface PruneResult {
  deleted: string[];
  kept: Array<{ id: string; reason: string }>;
  incomplete: string[];
  dryRun: boolean;
}

/** Mark backup folder `dir` as verified now (`restoreTested` when a restore test passed too). */
export async function recordVerification(dir: string, restoreTested: boolean): Promise<void> {
  const target = path.join(dir, VERIFIED_FILE);
  const temp = `${target}.partial`;
  await fsp.writeFile(temp, `${JSON.stringify({ verifiedAt: new Date().toISOString(), restoreTested })}\n`, {
    mode: 0o600,
  });
  await fsp.rename(temp, target);
}

/** Delete the backups the retention rules no longer keep. */
export async function pruneBackups(
  settings: Pick<BackupSettings, 'dir' | 'retentionDays'>,
  options: PruneOptions = {},
): Promise<PruneResult> {
  const keepDays = options.keepDays ?? settings.retentionDays;
  const keepCount = options.keepCount ?? 1;
  if (!Number.isInteger(keepDays) || keepDays < 0 || !Number.isInteger(keepCount) || keepCount < 1) {
    throw new BackupError({ message: 'keep days must be 0 or more and keep count 1 or more', exitCode: 2 });
  }
  const now = (options.now ?? new Date()).getTime();
  const entries = await listBackups(settings);
  const complete = entries.filter((e) => e.complete);
  const lastVerified = complete.find((e) => e.verifiedAt);
  const result: PruneResult = { deleted: [], kept: [], incomplete: [], dryRun: options.dryRun === true };
  complete.forEach((e, i) => {
    const ageDays = (now - Date.parse(e.startedAt ?? '')) / 86_400_000;
    let reason: string | undefined;
    if (i < keepCount) reason = `one of the ${keepCount} newest`;
    else if (ageDays < keepDays) reason = `younger than ${keepDays} days`;
    else if (e === lastVerified) reason = 'the newest verified backup';
    else if (!lastVerified && e === complete[0]) reason = 'the newest complete backup (none is verified)';
    if (reason) result.kept.push({ id: e.id, reason });
    else result.deleted.push(e.id);
  });
  // A kept incremental needs its whole chain back to its full backup.
  const byId = new Map(complete.map((e) => [e.id, e]));
  for (const k of [...result.kept]) {
    for (let p = byId.get(k.id)?.parent; p !== undefined; p = byId.get(p)?.parent) {
      if (!result.deleted.includes(p)) continue;
      result.deleted = result.deleted.filter((d) => d !== p);
      result.kept.push({ id: p, reason: `kept incremental ${k.id} depends on it` });
    }
  }
  result.incomplete = entries.filter((e) => !e.complete).map((e) => e.id);
  if (!result.dryRun) {
    for (const id of result.deleted)
      await fsp.rm(path.join(settings.dir, id), { recursive: true, force: true });
  }
  return result;
}
