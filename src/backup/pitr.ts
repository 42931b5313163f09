/**
 * `pitrRestore()`: point-in-time recovery. The full backup at the root of a chain is restored (with
 * `restore()`), then the binary logs of the chain's incremental backups - and, when asked, the
 * server's own logs past the chain - are replayed from the full backup's snapshot position up to
 * a moment: a time (UTC, one-second resolution like the logs), a GTID, or the end of the chain.
 *
 * Everything that can refuse does so before the target is touched: the chain is followed and
 * checked for gaps, every log file is decrypted and decompressed (checksums verified) into a
 * private temporary folder, and the stop position is found by reading the logs' event headers, on
 * a transaction boundary. The temporary folder is removed whatever happens.
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseManagerConfig } from '../db/index.js';
import { isValidIdentifier } from '../db/index.js';
import { BackupError } from '../errors.js';
import {
  checkContinuity,
  extractChain,
  followChain,
  type Link,
  type Segment,
  serverSegments,
} from './binlog-chain.js';
import { replayBinlogs } from './binlog-replay.js';
import { parseGtidPosition, parseMariadbGtid, readEvents } from './binlog-scan.js';
import { backupFolder, openBackup } from './locate.js';
import { readManifest } from './manifest.js';
import { type RestoreResult, restore } from './restore.js';
import { targetOf } from './session.js';
import type { BackupSettings, BinlogPoint, Manifest, RestoreProgress } from './types.js';

/** Where to stop: a time (changes made before it), a GTID (up to and including it), or the chain's end. */
export type PitrTarget = { time: Date } | { gtid: string } | 'end';

/** Options of `pitrRestore`: `to` is required, the rest default like `restore`'s. */
export interface PitrOptions {
  /** The moment to recover to. */
  to: PitrTarget;
  /** Restore the backup's one database under this name (`--rewrite-db` for the replayed changes). */
  targetDb?: string | undefined;
  /** Loading sessions of the full restore. Default `settings.threads`. */
  threads?: number | undefined;
  /** As restore's `force`: write into databases that hold objects. */
  force?: boolean | undefined;
  /** As restore's `binlog`: log the restore and the replayed changes (default false: neither is). */
  binlog?: boolean | undefined;
  /**
   * When the moment lies past the last incremental backup, also replay the server's binary logs
   * from where the chain ends (read with `mariadb-binlog --read-from-remote-server`). Default false.
   * WARNING: only right when the server is the one the backups were taken from; that is checked
   * (the GTID position at the chain's end must match), but a server whose logs were purged cannot help.
   */
  serverBinlogs?: boolean | undefined;
  /**
   * Where the private folder for the decrypted logs is made. Default the system temporary directory.
   * WARNING: it needs room for every log of the chain, uncompressed.
   */
  tempDir?: string | undefined;
  /** Progress events (never printed by the library). */
  onProgress?: (e: PitrProgress) => void;
}

/**
 * A progress event of `pitrRestore`: `chain` per backup log file decrypted and checked (`done` of
 * `total` files), `restore` wrapping the full restore's own events, `replay` when the logs start
 * replaying into a target database.
 */
export type PitrProgress =
  | { phase: 'chain'; done: number; total: number; file: string }
  | { phase: 'restore'; restore: RestoreProgress }
  | { phase: 'replay'; database: string };

/**
 * What `pitrRestore` resolves with: the full backup restored, the logs read after it, the replayed
 * range in the binary log, and the restore's own result. `ms` is the total wall time.
 */
export interface PitrResult {
  /** The full backup restored. */
  id: string;
  /** The incremental backups whose logs were read, in order. */
  chain: string[];
  /** Binary logs read from the server (`serverBinlogs`), in order. */
  serverBinlogs: string[];
  databases: Array<{ source: string; target: string }>;
  /** Where replay started (the full backup's snapshot) and stopped (exclusive); stop null when nothing was replayed. */
  start: { file: string; position: number };
  stop: { file: string; position: number } | null;
  /** Transactions (event groups, every database) in the replayed range. */
  transactions: number;
  restore: RestoreResult;
  ms: number;
}

/**
 * Parse a recovery time: `YYYY-MM-DD HH:MM:SS` (or with `T`) is UTC; an explicit `Z` or `+HH:MM`
 * offset is honoured. Undefined when the text is not such a time (fractions of a second are refused:
 * the binary log has whole seconds).
 */
export function parseRecoveryTime(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})?$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${zone ?? 'Z'}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject dates the parser rolled over (2026-02-30 is not a day).
  const local = zone && zone !== 'Z' ? undefined : date.toISOString().slice(0, 19).replace('T', ' ');
  if (local !== undefined && local !== `${y}-${mo}-${d} ${h}:${mi}:${s}`) return undefined;
  return date;
}

/** True when backup `nameOrPath` is an incremental one (restoring it means replaying its chain). */
export async function isIncrementalBackup(
  settings: Pick<BackupSettings, 'dir'>,
  nameOrPath: string,
): Promise<boolean> {
  return (await readManifest(backupFolder(settings, nameOrPath))).type === 'incremental';
}

/**
 * Restore backup `nameOrPath` (a full backup: its whole chain is usable; an incremental one: the
 * chain up to it) as it was at `options.to`. Refuses with exit 2 before touching the target:
 * E_PITR_RANGE when the moment is before the full backup's snapshot or past the available logs,
 * E_BACKUP_CHAIN when a link of the chain is missing. Like restore, E_BACKUP_KEY for a wrong key,
 * E_BACKUP_CORRUPT naming a damaged file, E_RESTORE_TARGET for a non-empty target.
 */
export async function pitrRestore(
  config: DatabaseManagerConfig,
  settings: BackupSettings,
  nameOrPath: string,
  options: PitrOptions,
): Promise<PitrResult> {
  const started = performance.now();
  const report = options.onProgress ?? (() => {});
  const to = checkedTarget(options.to);
  const named = await openBackup(settings, nameOrPath);
  const home = path.dirname(named.dir);
  const full: Link =
    named.manifest.type === 'full'
      ? named
      : await openBackup(settings, path.join(home, named.manifest.incremental?.full ?? '?'));
  if (full.manifest.type !== 'full') {
    throw new BackupError({
      code: 'E_BACKUP_CORRUPT',
      message: `backup ${full.manifest.id} is named as the root of a chain but is not a full backup`,
      file: 'manifest.json',
    });
  }
  const start = snapshotPoint(full.manifest);
  const mapping = targetNames(full.manifest, options.targetDb);
  const links = await followChain(
    settings,
    home,
    full.manifest,
    named.manifest.type === 'incremental' ? named.manifest.id : undefined,
  );
  checkContinuity(full.manifest, start, links.links);

  const work = await fsp.mkdtemp(path.join(options.tempDir ?? tmpdir(), 'mysqlops-pitr-'));
  try {
    const segments = await extractChain(links.links, work, (done, total, file) =>
      report({ phase: 'chain', done, total, file }),
    );
    const scan = new Scan(start, to);
    await scan.read(segments);
    const lastLink = links.links[links.links.length - 1]?.manifest;
    let coveredUntilMs = lastLink ? Date.parse(lastLink.startedAt) : Number.NEGATIVE_INFINITY;
    const chainEnd: BinlogPoint = lastLink?.incremental?.end ?? start;
    const fromServer: Segment[] = [];
    if (options.serverBinlogs && (to.kind === 'end' || !scan.settled(coveredUntilMs))) {
      const fetched = await serverSegments(config, work, chainEnd, new Set(segments.map((s) => s.name)));
      coveredUntilMs = fetched.fetchedAtMs;
      fromServer.push(...fetched.segments);
      segments.push(...fetched.segments);
      await scan.read(fetched.segments);
    }
    scan.check(full.manifest, coveredUntilMs, links.gap, lastLink, options.serverBinlogs === true);
    const stop = scan.stopIn(segments);

    const restored = await restore(config, settings, full.dir, {
      targetDb: options.targetDb,
      threads: options.threads,
      force: options.force,
      binlog: options.binlog,
      onProgress: (e) => report({ phase: 'restore', restore: e }),
    });

    const startsInFirst = segments[0]?.name === start.file;
    let stopPoint: { file: string; position: number } | null = null;
    if (stop) {
      const files = segments.slice(0, stop.segment + 1);
      const last = files[files.length - 1] as Segment;
      stopPoint = { file: last.name, position: stop.position ?? (await fsp.stat(last.path)).size };
      const target = targetOf(config);
      for (const [source, targetDb] of mapping) {
        report({ phase: 'replay', database: targetDb });
        await replayBinlogs(target, work, {
          flavor: full.manifest.server.flavor,
          files: files.map((f) => f.path),
          startPosition: startsInFirst ? start.position : undefined,
          stopPosition: stop.position,
          database: source,
          targetDatabase: targetDb,
          binlog: options.binlog,
        });
      }
    }
    return {
      id: full.manifest.id,
      chain: links.links.map((l) => l.manifest.id),
      serverBinlogs: fromServer.map((s) => s.name),
      databases: [...mapping].map(([source, target]) => ({ source, target })),
      start: { file: start.file, position: start.position },
      stop: stopPoint,
      transactions: stop ? scan.transactions : 0,
      restore: restored,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

type CheckedTarget =
  | { kind: 'time'; seconds: number; text: string }
  | { kind: 'gtid'; gtid: string }
  | { kind: 'end' };

function checkedTarget(to: PitrTarget): CheckedTarget {
  if (to === 'end') return { kind: 'end' };
  if ('time' in to) {
    const ms = to.time instanceof Date ? to.time.getTime() : Number.NaN;
    if (Number.isNaN(ms)) throw usage('the recovery time is not a valid date');
    const seconds = Math.floor(ms / 1000);
    return {
      kind: 'time',
      seconds,
      text: `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    };
  }
  const g = parseMariadbGtid(to.gtid);
  if (g) return { kind: 'gtid', gtid: `${g.domain}-${g.server}-${g.seq}` };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+$/i.test(to.gtid.trim()))
    return { kind: 'gtid', gtid: to.gtid.trim().toLowerCase() };
  throw usage(
    `${JSON.stringify(to.gtid)} is not a GTID`,
    'give one transaction: domain-server-sequence on MariaDB (0-1-42), uuid:number on MySQL',
  );
}

function usage(message: string, hint?: string): BackupError {
  return new BackupError({ message, hint, exitCode: 2 });
}

/** Where the full backup's snapshot sits in the binary log; refuses a backup taken without one. */
function snapshotPoint(m: Manifest): BinlogPoint {
  const s = m.snapshot;
  if (!s.binlogFile || s.binlogPosition === null) {
    throw new BackupError({
      code: 'E_PITR_RANGE',
      message: `full backup ${m.id} recorded no binary log position (binary logging was off), so nothing can be replayed after it`,
      hint: 'restore it as it is (without --to-time/--to-gtid); enable log_bin for point-in-time recovery',
      exitCode: 2,
    });
  }
  return { file: s.binlogFile, position: s.binlogPosition, gtid: s.gtid };
}

/** Source database -> target database (as restore maps them). */
function targetNames(manifest: Manifest, targetDb: string | undefined): Map<string, string> {
  if (targetDb === undefined) return new Map(manifest.databases.map((d) => [d, d]));
  if (!isValidIdentifier(targetDb)) throw usage(`invalid --target-db ${JSON.stringify(targetDb)}`);
  if (manifest.databases.length !== 1) {
    throw usage(
      `--target-db needs a backup of one database; ${manifest.id} holds ${manifest.databases.join(', ')}`,
    );
  }
  return new Map([[manifest.databases[0] as string, targetDb]]);
}

/**
 * Walks the events of the chain's logs once, in order, finding the stop (a transaction boundary)
 * and what the range checks need: the newest event the full backup already holds, the transactions
 * in range.
 */
class Scan {
  readonly #start: BinlogPoint;
  readonly #to: CheckedTarget;
  #segments = 0;
  #groupStart: { segment: number; position: number } | undefined;
  #found = false;
  /** Per segment read whole: where its last complete event ends (a log being written may end in half an event). */
  readonly #ends: number[] = [];
  /** Newest event time (seconds) before the snapshot position: the backup holds its change. */
  newestInBackup = 0;
  sawStartFile = false;
  transactions = 0;
  /** Where replay stops (exclusive; position undefined: the file's end), or `nothing` to replay. */
  stop: { segment: number; position: number | undefined } | 'nothing' | undefined;

  constructor(start: BinlogPoint, to: CheckedTarget) {
    this.#start = start;
    this.#to = to;
  }

  async read(segments: readonly Segment[]): Promise<void> {
    for (const seg of segments) {
      const index = this.#segments++;
      if (this.stop) continue;
      const isStart = index === 0 && seg.name === this.#start.file;
      if (isStart) this.sawStartFile = true;
      for await (const e of readEvents(seg.path, seg.name)) {
        this.#ends[index] = e.end;
        if (isStart && e.position < this.#start.position) {
          this.newestInBackup = Math.max(this.newestInBackup, e.timestamp);
          continue;
        }
        if (e.groupStart) {
          if (this.#found) {
            this.stop = { segment: index, position: e.position };
            break;
          }
          this.#groupStart = { segment: index, position: e.position };
          this.transactions++;
          if (this.#to.kind === 'gtid' && e.gtid === this.#to.gtid) this.#found = true;
        }
        if (this.#to.kind === 'time' && !e.bookkeeping && e.timestamp >= this.#to.seconds) {
          // The transaction this event belongs to ran at or after the moment: stop before it.
          this.stop = this.#groupStart ?? { segment: index, position: e.position };
          if (this.#groupStart) this.transactions--;
          break;
        }
      }
      if (this.#found && !this.stop) this.stop = { segment: index, position: undefined };
    }
  }

  /** The stop within `segments`, or undefined when there is nothing to replay. */
  stopIn(segments: readonly Segment[]): { segment: number; position: number | undefined } | undefined {
    const stop =
      this.stop ?? (segments.length > 0 ? { segment: segments.length - 1, position: undefined } : 'nothing');
    if (stop === 'nothing') return undefined;
    const first = segments[0];
    // Stopping where replay starts replays nothing.
    if (
      stop.segment === 0 &&
      first?.name === this.#start.file &&
      stop.position !== undefined &&
      stop.position <= this.#start.position
    )
      return undefined;
    return { segment: stop.segment, position: stop.position ?? this.#ends[stop.segment] };
  }

  /** True when the logs read so far decide the stop (no more logs are needed). */
  settled(coveredUntilMs: number): boolean {
    if (this.stop || this.#to.kind === 'end') return true;
    if (this.#to.kind === 'time') return this.#to.seconds * 1000 <= coveredUntilMs;
    return false;
  }

  /** Refuse a moment before the snapshot or past the logs; E_PITR_RANGE (exit 2). */
  check(
    full: Manifest,
    coveredUntilMs: number,
    gap: string | undefined,
    lastLink: Manifest | undefined,
    usedServer: boolean,
  ): void {
    const to = this.#to;
    const reach = lastLink
      ? `the chain ends with ${lastLink.id} (${lastLink.startedAt}, GTID ${lastLink.incremental?.end.gtid ?? 'none'})`
      : `${full.id} has no incremental backups`;
    const more = gap
      ? 'recover to a moment before the gap, bring the missing backup back, or pass --server-binlogs if the server still has the logs'
      : usedServer
        ? 'take an incremental backup, or wait: the server has not written that far yet'
        : 'take an incremental backup first, or pass --server-binlogs to read the server’s binary logs past the chain';
    if (to.kind === 'time') {
      // Without the snapshot's log file, the backup's own times bound what it may hold.
      const newest = this.sawStartFile ? this.newestInBackup : Math.ceil(Date.parse(full.finishedAt) / 1000);
      const before = () =>
        new BackupError({
          code: 'E_PITR_RANGE',
          message: `${to.text} is before the snapshot of full backup ${full.id} (it already holds changes made at ${isoSeconds(newest)} UTC)`,
          hint: 'restore an older full backup, or choose a later time',
          exitCode: 2,
        });
      if (this.sawStartFile ? to.seconds <= newest : to.seconds * 1000 < Date.parse(full.startedAt))
        throw before();
      if (!this.stop && to.seconds * 1000 > coveredUntilMs) {
        throw new BackupError({
          code: gap ? 'E_BACKUP_CHAIN' : 'E_PITR_RANGE',
          message: gap
            ? `${to.text} is past a gap in the chain of ${full.id}: ${gap}`
            : `${to.text} is after the end of the available binary logs: ${reach}`,
          hint: more,
          exitCode: 2,
        });
      }
      if (to.seconds <= newest) throw before();
      return;
    }
    if (to.kind === 'gtid' && !this.stop) {
      const g = parseMariadbGtid(to.gtid);
      const snap = g ? parseGtidPosition(full.snapshot.gtid).find((s) => s.domain === g.domain) : undefined;
      if (g && snap && g.seq <= snap.seq) {
        if (g.seq === snap.seq && g.server === snap.server) {
          // The last transaction the full backup holds: nothing to replay.
          this.stop = 'nothing';
          return;
        }
        throw new BackupError({
          code: 'E_PITR_RANGE',
          message: `GTID ${to.gtid} is before the snapshot of full backup ${full.id} (taken at GTID ${full.snapshot.gtid})`,
          hint: 'restore an older full backup, or choose a later GTID',
          exitCode: 2,
        });
      }
      throw new BackupError({
        code: gap ? 'E_BACKUP_CHAIN' : 'E_PITR_RANGE',
        message: gap
          ? `GTID ${to.gtid} is not in the chain of ${full.id} before its gap: ${gap}`
          : `GTID ${to.gtid} is not in the binary logs after full backup ${full.id}: ${reach}`,
        hint: more,
        exitCode: 2,
      });
    }
  }
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
