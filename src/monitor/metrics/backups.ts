/**
 * Backup freshness from the backup directory: when the last complete full backup finished, the last
 * incremental, and the last verification that passed. Listing reads every manifest, so the listing
 * is kept and read again only when a backup folder appears, goes, or changes (its mtime moves when
 * the manifest or verified.json is written): a scrape then costs a readdir and a stat per folder.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { type BackupListEntry, listBackups } from '../../backup/index.js';
import { type Exposition, labelSet } from './exposition.js';

export class BackupListing {
  readonly #dir: string;
  #signature: string | undefined;
  #entries: BackupListEntry[] = [];

  constructor(dir: string) {
    this.#dir = dir;
  }

  async read(): Promise<BackupListEntry[]> {
    let dirs: string[];
    try {
      dirs = (await fsp.readdir(this.#dir, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const stamps = await Promise.all(
      dirs.map((d) =>
        fsp.stat(path.join(this.#dir, d)).then(
          (s) => `${d}:${s.mtimeMs}`,
          () => `${d}:gone`,
        ),
      ),
    );
    const signature = stamps.sort().join('\n');
    if (signature !== this.#signature) {
      this.#entries = await listBackups({ dir: this.#dir });
      this.#signature = signature;
    }
    return this.#entries;
  }
}

const seconds = (iso: string | undefined): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t / 1000;
};

function newest(values: Array<number | null>): number | null {
  return values.reduce<number | null>((m, v) => (v !== null && (m === null || v > m) ? v : m), null);
}

/** The backup families; `now` in Unix seconds (this host's clock: the files were written here). */
export function writeBackups(out: Exposition, entries: readonly BackupListEntry[], now: number): void {
  const complete = entries.filter((e) => e.complete);
  const full = complete.filter((e) => e.type === 'full');
  const last = {
    full: newest(full.map((e) => seconds(e.finishedAt))),
    incremental: newest(complete.filter((e) => e.type === 'incremental').map((e) => seconds(e.finishedAt))),
    verified: newest(full.map((e) => seconds(e.verifiedAt))),
  };
  const kinds = Object.entries(last) as Array<[keyof typeof last, number | null]>;
  out.family(
    'mysqlops_backup_last_timestamp_seconds',
    'gauge',
    'When the newest complete backup of the kind finished, or the newest full backup was verified (Unix time; 0: never).',
    kinds.map(([kind, t]) => [labelSet([['kind', kind]]), t ?? 0] as const),
  );
  out.family(
    'mysqlops_backup_age_seconds',
    'gauge',
    'Seconds since the newest complete backup of the kind, or the newest verification (+Inf: never).',
    kinds.map(
      ([kind, t]) => [labelSet([['kind', kind]]), t === null ? Infinity : Math.max(0, now - t)] as const,
    ),
  );
  out.family('mysqlops_backups', 'gauge', 'Backup folders, complete (with a manifest) or not.', [
    [labelSet([['state', 'complete']]), complete.length],
    [labelSet([['state', 'incomplete']]), entries.length - complete.length],
  ]);
  const latestFull = full.find((e) => seconds(e.finishedAt) === last.full);
  if (latestFull?.bytes !== undefined) {
    out.single(
      'mysqlops_backup_last_full_size_bytes',
      'gauge',
      'Size of the newest complete full backup.',
      latestFull.bytes,
    );
  }
}
