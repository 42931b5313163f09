/**
 * What the kept backups still need from the server's binary logs, read from their manifests.
 *
 * A full backup records the log file of its snapshot; an incremental records where it ends. Point-in-
 * time recovery from a full backup replays its incrementals' copies and then the server's own logs
 * from where the last incremental of its chain ends (or from the snapshot when it has none). So each
 * kept full backup needs every server log from that file on, and the earliest such file over all
 * kept full backups bounds any purge.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { listBackups, MANIFEST_FILE, type Manifest } from '../backup/index.js';

/** The first server log one full backup's chain still needs. */
export interface BinlogNeed {
  /** The first server log the chain still needs. */
  file: string;
  /** The full backup whose chain needs it, and the backup that recorded the file. */
  full: string;
  recordedBy: string;
}

/** A moment a binary log file was known to exist (a backup saw it as current). */
export interface BinlogSighting {
  file: string;
  at: Date;
}

/** What the backups in a directory say about the server's binary logs. */
export interface BackupBinlogInfo {
  /** One per kept full backup with binary log coordinates. */
  needs: BinlogNeed[];
  sightings: BinlogSighting[];
  /** Backup folders without a usable manifest (running, or dead): they are not counted. */
  incomplete: string[];
}

/** `mysql-bin.000012` -> 12; undefined for a name without a numeric extension. */
export function binlogIndex(name: string): number | undefined {
  const m = /\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Read every manifest under `dir` and work out each full backup chain's first needed log. */
export async function backupBinlogInfo(dir: string): Promise<BackupBinlogInfo> {
  const manifests: Manifest[] = [];
  const incomplete: string[] = [];
  for (const e of await listBackups({ dir })) {
    if (!e.complete) {
      incomplete.push(e.id);
      continue;
    }
    manifests.push(JSON.parse(await fsp.readFile(path.join(e.dir, MANIFEST_FILE), 'utf8')) as Manifest);
  }
  const sightings: BinlogSighting[] = [];
  for (const m of manifests) {
    const file = m.incremental ? m.incremental.end.file : m.snapshot.binlogFile;
    if (file) sightings.push({ file, at: new Date(m.finishedAt) });
  }
  const needs: BinlogNeed[] = [];
  for (const full of manifests.filter((m) => m.type === 'full')) {
    if (!full.snapshot.binlogFile) continue;
    let need: BinlogNeed = { file: full.snapshot.binlogFile, full: full.id, recordedBy: full.id };
    // Follow the parent links: a fork or a missing link ends the walk where coverage is certain.
    let current = full.id;
    for (;;) {
      const next = manifests.filter(
        (m) => m.incremental?.full === full.id && m.incremental.parent === current,
      );
      const only = next[0];
      if (next.length !== 1 || !only?.incremental) break;
      need = { file: only.incremental.end.file, full: full.id, recordedBy: only.id };
      current = only.id;
    }
    needs.push(need);
  }
  return { needs, sightings, incomplete };
}
