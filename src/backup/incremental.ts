/**
 * `backupIncremental()`: the binary logs written since the newest complete backup (full or
 * incremental) of the same databases, copied whole, compressed and (optionally) encrypted like any
 * backup file, with a manifest chained to that parent. The server's current log is closed first
 * (FLUSH BINARY LOGS), so every copied file is complete and the end position is the end of a file.
 *
 * The files are fetched with `mariadb-binlog --read-from-remote-server --raw` (works against a
 * remote server; needs REPLICATION SLAVE), which reads its credentials from a 0600 option file in a
 * private temporary folder, never from its command line; the folder is removed afterwards.
 * Replaying them (point-in-time recovery) is pitr.ts.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DatabaseManagerConfig, ResolvedTarget } from '../db/index.js';
import { BackupError } from '../errors.js';
import { binlogNumber } from './binlog-scan.js';
import { type ToolFlavor, toolEnvironment, writeClientOptions } from './client-options.js';
import { checkCompression, SUFFIX } from './codec.js';
import { encryptionForNewBackup } from './crypto.js';
import { type FileCodec, openSink } from './file-io.js';
import { listBackups } from './list.js';
import { readManifest, TOOL_VERSION, writeManifest } from './manifest.js';
import { backupFailure, Session, targetOf } from './session.js';
import type { BackupSettings, BinlogPoint, Manifest, ManifestFile } from './types.js';

/**
 * What `backupIncremental` resolves with: the new backup's id (`incr-<UTC time>-<hex>`, its folder's
 * name), its folder, and its manifest, whose `incremental` names the parent and the logs copied.
 */
export interface IncrementalResult {
  id: string;
  dir: string;
  manifest: Manifest;
}

/**
 * Copy the binary logs since the newest complete backup in `settings.dir` into a new incremental
 * backup. Throws E_BACKUP_CHAIN when there is no backup to continue (exit 2), or when the logs it
 * would need were purged from the server (the chain is broken: take a full backup).
 */
export async function backupIncremental(
  config: DatabaseManagerConfig,
  settings: BackupSettings,
): Promise<IncrementalResult> {
  const startedAt = new Date();
  checkCompression(settings.compression);
  const complete = (await listBackups(settings)).filter((e) => e.complete);
  if (complete.length === 0) {
    throw new BackupError({
      code: 'E_BACKUP_CHAIN',
      message: `no complete backup in ${settings.dir} to continue`,
      hint: 'take a full backup first (mysqlops backup full)',
      exitCode: 2,
    });
  }
  const parent = chooseParent(await Promise.all(complete.map((e) => readManifest(e.dir))));
  const start = endOf(parent);
  if (!start) {
    throw new BackupError({
      message: `backup ${parent.id} recorded no binary log position (binary logging was off)`,
      hint: 'incremental backups need log_bin on the server',
    });
  }
  const { key, encryption } = encryptionForNewBackup(settings);
  const codec: FileCodec = { compression: settings.compression, key };
  const target = targetOf(config);
  const session = await Session.open(target.options, target);
  const id = `incr-${startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
  const dir = path.join(settings.dir, id);
  const work = await fsp.mkdtemp(path.join(tmpdir(), 'mysqlops-binlog-'));
  let created = false;
  try {
    await session.run('FLUSH BINARY LOGS');
    const logs = await session.rows<{ Log_name: string; File_size: number | string }>('SHOW BINARY LOGS');
    const names = logs.map((l) => l.Log_name);
    const from = names.indexOf(start.file);
    if (from === -1) {
      throw new BackupError({
        code: 'E_BACKUP_CHAIN',
        message: `the binary log ${start.file} that backup ${parent.id} ends in is no longer on the server`,
        hint: 'the chain is broken (the log was purged): take a full backup',
      });
    }
    // Every closed log from the parent's; the last one listed is the fresh, empty current log.
    const wanted = logs.slice(from, -1).filter((l, i) => i > 0 || Number(l.File_size) > start.position);
    const closed = logs.slice(from, -1);
    const last = closed[closed.length - 1];
    const end: BinlogPoint = last
      ? { file: last.Log_name, position: Number(last.File_size), gtid: null }
      : { ...start };
    if (last) {
      const [g] = await session.rows<{ g: string | null }>('SELECT BINLOG_GTID_POS(?, ?) AS g', [
        end.file,
        end.position,
      ]);
      end.gtid = g?.g ?? null;
    }

    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    created = true;
    const files: ManifestFile[] = [];
    const binlogs: Array<{ name: string; file: string; size: number }> = [];
    for (const log of wanted) {
      const local = await fetchBinlog(target, work, log.Log_name, session.flavor.kind);
      const rel = `binlog/${log.Log_name}${SUFFIX[settings.compression]}${key ? '.enc' : ''}`;
      const sink = openSink(dir, rel, codec);
      await pipeline(createReadStream(local), sink.input);
      const file = await sink.done;
      await fsp.rm(local, { force: true });
      files.push(file);
      binlogs.push({ name: log.Log_name, file: rel, size: Number(log.File_size) });
    }
    const manifest: Manifest = {
      format: 1,
      tool: { name: 'mysqlops', version: TOOL_VERSION },
      id,
      type: 'incremental',
      server: { flavor: session.flavor.kind, version: session.flavor.versionString },
      databases: parent.databases,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      snapshot: {
        method: 'binlog-copy',
        lockHeldMs: 0,
        binlogFile: end.file,
        binlogPosition: end.position,
        gtid: end.gtid,
        attempts: 1,
      },
      compression: settings.compression,
      encryption,
      schemaFile: '',
      tables: [],
      files,
      totals: { rows: 0, bytes: files.reduce((n, f) => n + f.size, 0), files: files.length },
      incremental: { parent: parent.id, full: parent.incremental?.full ?? parent.id, start, end, binlogs },
    };
    await writeManifest(dir, manifest, key);
    return { id, dir, manifest };
  } catch (err) {
    if (created) await fsp.rm(dir, { recursive: true, force: true });
    throw backupFailure('incremental backup', err);
  } finally {
    await session.close();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/**
 * The backup to continue, from the complete ones newest first: the one that reaches furthest into
 * the binary log. Ids carry whole seconds, so a full backup taken in the same second as an
 * incremental one may list after it; the log position tells which came last. When the newest has
 * no position it is returned, and the caller refuses it.
 */
export function chooseParent(newestFirst: readonly Manifest[]): Manifest {
  const newest = newestFirst[0] as Manifest;
  let best = newest;
  let bestEnd = endOf(newest);
  if (!bestEnd) return newest;
  for (const m of newestFirst.slice(1)) {
    const end = endOf(m);
    const a = end && binlogNumber(end.file);
    const b = binlogNumber(bestEnd.file);
    if (!end || !a || !b || a.base !== b.base) continue;
    if (a.n > b.n || (a.n === b.n && end.position > bestEnd.position)) {
      best = m;
      bestEnd = end;
    }
  }
  return best;
}

/** Where a backup leaves the binary log: a full one at its snapshot, an incremental one at its end. */
function endOf(m: Manifest): BinlogPoint | undefined {
  if (m.incremental) return m.incremental.end;
  const s = m.snapshot;
  return s.binlogFile && s.binlogPosition !== null
    ? { file: s.binlogFile, position: s.binlogPosition, gtid: s.gtid }
    : undefined;
}

/**
 * Copy one binary log from the server into `work` (a private folder) with mariadb-binlog; its local
 * path. The server's current log is copied as far as it is written.
 */
export async function fetchBinlog(
  target: ResolvedTarget,
  work: string,
  name: string,
  flavor: ToolFlavor = 'mariadb',
): Promise<string> {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name))
    throw new BackupError({ message: `unexpected binary log name ${JSON.stringify(name)}` });
  const cnf = await writeClientOptions(target, work, flavor);
  const tool = flavor === 'mysql' ? 'mysqlbinlog' : 'mariadb-binlog';
  const out = path.join(work, name);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      tool,
      [`--defaults-extra-file=${cnf}`, '--read-from-remote-server', '--raw', `--result-file=${work}/`, name],
      { stdio: ['ignore', 'ignore', 'pipe'], env: toolEnvironment() },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString('utf8');
    });
    child.on('error', (err) =>
      reject(
        new BackupError({
          message: `cannot run ${tool}: ${err.message}`,
          hint: 'install the MariaDB client tools (mariadb-client), or the MySQL ones for a MySQL server',
          cause: err,
        }),
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new BackupError({
              message: `copying binary log ${name} failed: ${stderr.trim().split('\n').pop() ?? code}`,
            }),
          ),
    );
  });
  return out;
}
