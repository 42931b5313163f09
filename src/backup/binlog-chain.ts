/**
 * The binary logs of a backup chain as local files: the incremental backups that continue a full
 * one, followed through their parent links and checked for gaps; their log copies decrypted and
 * decompressed (checksums verified) into a private folder; and, on request, the server's own logs
 * from where the chain ends. Point-in-time recovery (pitr.ts) reads and replays them.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DatabaseManagerConfig } from '../db/index.js';
import { BackupError } from '../errors.js';
import { binlogNumber, isNextBinlog, parseGtidPosition } from './binlog-scan.js';
import type { BackupKey } from './crypto.js';
import { openSource } from './file-io.js';
import { fetchBinlog } from './incremental.js';
import { listBackups } from './list.js';
import { openBackup } from './locate.js';
import { readManifest } from './manifest.js';
import { Session, targetOf } from './session.js';
import type { BackupSettings, BinlogPoint, Manifest } from './types.js';

/** One local binary log file, in chain order. */
export interface Segment {
  name: string;
  path: string;
  /** The backup it came from, or `server`. */
  source: string;
}

/** An opened backup of the chain. */
export interface Link {
  dir: string;
  manifest: Manifest;
  key: BackupKey | undefined;
}

/**
 * The incremental backups that continue `full`, in order (up to `upTo` when given), each opened
 * with its key. `gap` describes the first link found missing past the end, if any.
 */
export async function followChain(
  settings: BackupSettings,
  home: string,
  full: Manifest,
  upTo: string | undefined,
): Promise<{ links: Link[]; gap: string | undefined }> {
  const manifests = new Map<string, { dir: string; manifest: Manifest }>();
  for (const e of await listBackups({ dir: home })) {
    if (!e.complete || e.type !== 'incremental') continue;
    const manifest = await readManifest(e.dir);
    // Keyed by the manifest's id: that is what parent links name, whatever the folder is called.
    if (manifest.incremental?.full === full.id) manifests.set(manifest.id, { dir: e.dir, manifest });
  }
  const chain: Array<{ dir: string; manifest: Manifest }> = [];
  let current = full.id;
  while (current !== upTo) {
    const next = [...manifests.values()].filter((m) => m.manifest.incremental?.parent === current);
    if (next.length > 1) {
      throw new BackupError({
        code: 'E_BACKUP_CHAIN',
        message: `incremental backups ${next.map((n) => n.manifest.id).join(' and ')} both continue ${current}`,
        hint: 'name the incremental backup to recover up to (restore INCREMENTAL --to-time ...), or move one away',
        exitCode: 2,
      });
    }
    const link = next[0];
    if (!link) break;
    chain.push(link);
    current = link.manifest.id;
  }
  const orphans = [...manifests.values()].filter((m) => !chain.includes(m));
  const missing = (m: Manifest) => {
    let parent = m.incremental?.parent;
    while (parent && manifests.has(parent)) parent = manifests.get(parent)?.manifest.incremental?.parent;
    return parent ?? '?';
  };
  if (upTo !== undefined && current !== upTo) {
    const target = manifests.get(upTo);
    throw new BackupError({
      code: 'E_BACKUP_CHAIN',
      message: `the chain from ${full.id} to ${upTo} has a gap: ${target ? missing(target.manifest) : upTo} is missing or incomplete`,
      hint: 'restore up to an earlier point, or bring the missing backup back into the backup directory',
      exitCode: 2,
    });
  }
  const firstOrphan = upTo === undefined ? orphans[0] : undefined;
  const gap = firstOrphan
    ? `${missing(firstOrphan.manifest)} (which ${firstOrphan.manifest.id} continues) is missing or incomplete`
    : undefined;
  const links: Link[] = [];
  for (const l of chain) links.push(await openBackup(settings, l.dir));
  return { links, gap };
}

/** Each link must start where the previous one ended, and the log files must follow one another. */
export function checkContinuity(full: Manifest, start: BinlogPoint, links: readonly Link[]): void {
  let previous: { id: string; end: BinlogPoint } = { id: full.id, end: start };
  let lastFile: string | undefined;
  for (const { manifest } of links) {
    const inc = manifest.incremental;
    const broken = (why: string) =>
      new BackupError({
        code: 'E_BACKUP_CHAIN',
        message: `the chain has a gap between ${previous.id} and ${manifest.id}: ${why}`,
        hint: 'take a new full backup; recover with the part of the chain before the gap',
        exitCode: 2,
      });
    if (!inc) throw broken('the incremental backup has no chain information');
    if (inc.start.file !== previous.end.file || inc.start.position !== previous.end.position)
      throw broken(
        `it starts at ${inc.start.file}:${inc.start.position}, the previous one ends at ${previous.end.file}:${previous.end.position}`,
      );
    for (const b of inc.binlogs) {
      // The name becomes a file name in the private folder: a plain log name, nothing else.
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(b.name))
        throw broken(`unexpected binary log name ${JSON.stringify(b.name)}`);
      const expected =
        lastFile === undefined
          ? b.name === start.file || isNextBinlog(start.file, b.name)
          : isNextBinlog(lastFile, b.name);
      if (!expected || !binlogNumber(b.name))
        throw broken(`binary log ${b.name} does not follow ${lastFile ?? start.file}`);
      lastFile = b.name;
    }
    previous = { id: manifest.id, end: inc.end };
  }
}

/** Decrypt and decompress every log of the chain into `work` (0600 files), checksums verified. */
export async function extractChain(
  links: readonly Link[],
  work: string,
  onFile: (done: number, total: number, file: string) => void,
): Promise<Segment[]> {
  const all = links.flatMap((l) => (l.manifest.incremental?.binlogs ?? []).map((b) => ({ l, b })));
  const out: Segment[] = [];
  for (const [i, { l, b }] of all.entries()) {
    onFile(i, all.length, `${l.manifest.id}/${b.file}`);
    const entry = l.manifest.files.find((f) => f.path === b.file);
    if (!entry) {
      throw new BackupError({
        code: 'E_BACKUP_CORRUPT',
        message: `backup ${l.manifest.id} lists binary log ${b.name} but not its file ${b.file}`,
        file: b.file,
      });
    }
    const local = path.join(work, b.name);
    await pipeline(
      openSource(l.dir, entry, { compression: l.manifest.compression, key: l.key }),
      createWriteStream(local, { mode: 0o600, flags: 'wx' }),
    );
    const size = (await fsp.stat(local)).size;
    if (size !== b.size) {
      throw new BackupError({
        code: 'E_BACKUP_CORRUPT',
        message: `binary log ${b.file} of ${l.manifest.id} holds ${size} bytes, the manifest says ${b.size}`,
        file: b.file,
      });
    }
    out.push({ name: b.name, path: local, source: l.manifest.id });
  }
  return out;
}

/**
 * The server's binary logs from where the chain ends, copied into `work`. Refuses a server whose
 * logs no longer hold that point, or whose GTID position there differs from the chain's (another
 * server, or a reset one).
 */
export async function serverSegments(
  config: DatabaseManagerConfig,
  work: string,
  end: BinlogPoint,
  have: ReadonlySet<string>,
): Promise<{ segments: Segment[]; fetchedAtMs: number }> {
  const target = targetOf(config);
  const session = await Session.open(target.options, target);
  let wanted: string[];
  let fetchedAtMs: number;
  try {
    const logs = await session.rows<{ Log_name: string; File_size: number | string }>('SHOW BINARY LOGS');
    const from = logs.findIndex((l) => l.Log_name === end.file);
    if (from === -1) {
      throw new BackupError({
        code: 'E_BACKUP_CHAIN',
        message: `the server no longer has binary log ${end.file}, where the backup chain ends, so its logs cannot continue the chain`,
        hint: 'recover to a moment the backups hold; take incremental backups more often than the logs are purged',
        exitCode: 2,
      });
    }
    if (end.gtid) {
      const [row] = await session.rows<{ g: string | null }>('SELECT BINLOG_GTID_POS(?, ?) AS g', [
        end.file,
        end.position,
      ]);
      if (!sameGtidPosition(row?.g ?? null, end.gtid)) {
        throw new BackupError({
          code: 'E_BACKUP_CHAIN',
          message: `the server's binary logs do not continue this backup chain (at ${end.file}:${end.position} the server says GTID ${row?.g ?? 'none'}, the chain says ${end.gtid})`,
          hint: 'use --server-binlogs only against the server the backups were taken from',
          exitCode: 2,
        });
      }
    }
    // Everything committed before this moment is in what the copies below read.
    fetchedAtMs = Date.now();
    wanted = logs
      .slice(from)
      .filter((l) => !have.has(l.Log_name) && (l.Log_name !== end.file || Number(l.File_size) > end.position))
      .map((l) => l.Log_name);
  } finally {
    await session.close();
  }
  const segments: Segment[] = [];
  for (const name of wanted)
    segments.push({
      name,
      path: await fetchBinlog(target, work, name, session.flavor.kind),
      source: 'server',
    });
  return { segments, fetchedAtMs };
}

function sameGtidPosition(a: string | null, b: string | null): boolean {
  const norm = (p: string | null) =>
    parseGtidPosition(p)
      .map((g) => `${g.domain}-${g.server}-${g.seq}`)
      .sort()
      .join(',');
  return norm(a) === norm(b);
}
