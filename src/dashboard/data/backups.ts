/**
 * Backup state for the dashboard, from the backup directory's manifests (`listBackups`): the newest
 * backup, the newest verified full backup, and the last few. Paths are left out: the page needs
 * names and ages, not where the files live.
 */
import { type BackupListEntry, backupSettings, listBackups } from '../../backup/index.js';
import type { MysqlopsConfig } from '../../config/index.js';
import type { BackupState, BackupSummary } from '../types.js';

const RECENT = 8;

export async function backupState(config: Pick<MysqlopsConfig, 'backup' | 'sandbox'>): Promise<BackupState> {
  const all = await listBackups(backupSettings(config));
  const verifiedFull = all.find((b) => b.complete && b.type === 'full' && b.verifiedAt !== undefined);
  return {
    count: all.length,
    latest: all[0] ? summary(all[0]) : null,
    lastVerifiedFull: verifiedFull ? summary(verifiedFull) : null,
    recent: all.slice(0, RECENT).map(summary),
  };
}

function summary(b: BackupListEntry): BackupSummary {
  return {
    id: b.id,
    type: b.type ?? null,
    complete: b.complete,
    finishedAt: b.finishedAt ?? null,
    verifiedAt: b.verifiedAt ?? null,
    bytes: b.bytes ?? null,
    rows: b.rows ?? null,
    encrypted: b.encrypted ?? null,
    problem: b.problem ?? null,
  };
}
