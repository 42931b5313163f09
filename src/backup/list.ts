/**
 * `listBackups()`: the backups in the backup directory, newest first. A folder without a manifest
 * is listed as incomplete (a backup running now, or one that died): it is never offered as usable.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readManifest } from './manifest.js';
import type { BackupSettings } from './types.js';

/**
 * One folder of the backup directory, as `listBackups` sees it. Only `id`, `dir` and `complete` are
 * always set: the rest comes from the manifest, so an incomplete or unreadable backup has `problem`
 * instead. Times are ISO 8601 UTC, `bytes` are on disk.
 */
export interface BackupListEntry {
  id: string;
  dir: string;
  complete: boolean;
  type?: 'full' | 'incremental';
  /** Incremental backups: the backup they continue. */
  parent?: string;
  startedAt?: string;
  finishedAt?: string;
  databases?: string[];
  rows?: number;
  bytes?: number;
  encrypted?: boolean;
  compression?: string;
  gtid?: string | null;
  /** When `backup verify` (or `backup full --verify`) last passed, if ever. */
  verifiedAt?: string;
  /** True when that verification included a restore test. */
  restoreTested?: boolean;
  /** Why it is not usable, for incomplete or unreadable backups. */
  problem?: string;
}

/** Every backup folder of `settings.dir`, newest first (an absent directory lists nothing). */
export async function listBackups(settings: Pick<BackupSettings, 'dir'>): Promise<BackupListEntry[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(settings.dir, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: BackupListEntry[] = [];
  // Newest first by the time in the id (`full-<time>-x`, `incr-<time>-x`), whatever the type.
  const stamp = (id: string) => id.split('-')[1] ?? id;
  for (const id of names.sort((a, b) => stamp(b).localeCompare(stamp(a)) || b.localeCompare(a))) {
    const dir = path.join(settings.dir, id);
    try {
      const m = await readManifest(dir);
      out.push({
        id,
        dir,
        complete: true,
        type: m.type,
        ...(m.incremental ? { parent: m.incremental.parent } : {}),
        startedAt: m.startedAt,
        finishedAt: m.finishedAt,
        databases: m.databases,
        rows: m.totals.rows,
        bytes: m.totals.bytes,
        encrypted: m.encryption !== null,
        compression: m.compression,
        gtid: m.snapshot.gtid,
        ...(await verification(dir)),
      });
    } catch (err) {
      out.push({ id, dir, complete: false, problem: (err as Error).message });
    }
  }
  return out;
}

/** What verified.json (written by recordVerification in prune.ts) says, if present and readable. */
async function verification(dir: string): Promise<{ verifiedAt?: string; restoreTested?: boolean }> {
  try {
    const v = JSON.parse(await fsp.readFile(path.join(dir, 'verified.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    return typeof v.verifiedAt === 'string'
      ? { verifiedAt: v.verifiedAt, restoreTested: v.restoreTested === true }
      : {};
  } catch {
    return {};
  }
}
