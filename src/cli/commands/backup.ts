/**
 * `mysqlops backup full|verify|list` and `mysqlops restore BACKUP`: parse flags, call the backup
 * library (src/backup) with the configured settings, draw progress, render a table or one JSON
 * document. A backup that fails verification exits 1.
 */
import type { Command } from 'commander';
import {
  type BackupListEntry,
  type BackupResult,
  backupFolder,
  backupFull,
  backupIncremental,
  backupSettings,
  type Compression,
  isIncrementalBackup,
  listBackups,
  type PitrResult,
  type PitrTarget,
  type PruneResult,
  parseRecoveryTime,
  pitrRestore,
  pruneBackups,
  type RestoreResult,
  type RestoreTestResult,
  type RestoreUsersResult,
  recordVerification,
  restore,
  restoreTest,
  restoreUsers,
  type VerifyResult,
  verifyBackup,
  withBackupLock,
} from '../../backup/index.js';
import { UsageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { keyValueTable, table } from '../output.js';
import { progressBar } from '../progress.js';

interface FullFlags {
  databases?: string;
  tables?: string;
  threads?: string;
  compression?: string;
  chunkRows?: string;
  verify?: boolean;
  users?: boolean;
}

interface RestoreFlags {
  targetDb?: string;
  threads?: string;
  force?: boolean;
  toTime?: string;
  toGtid?: string;
  serverBinlogs?: boolean;
  users?: boolean;
  tempDir?: string;
  binlog?: boolean;
}

const COMPRESSIONS = ['zstd', 'gzip', 'none'] as const;

export function registerBackup(program: Command, context: () => CliContext): void {
  const backup = program
    .command('backup')
    .description(
      'full logical backups: consistent, parallel, compressed, optionally encrypted; verify and list',
    )
    .addHelpText(
      'after',
      `
Backups go to BACKUP_DIR (default <MYSQLOPS_HOME>/backups), one folder per backup, files 0600.
ENCRYPT_BACKUPS=true encrypts every file with the key (or passphrase) in BACKUP_KEY_FILE.
A backup is complete only once its manifest.json is written; backup list marks the others.
See docs/operations/backup-and-restore.md.`,
    );

  backup
    .command('full')
    .description('back up whole databases from one consistent snapshot')
    .option('--databases <list>', 'comma-separated databases (default: DB_NAME)')
    .option(
      '--tables <list>',
      'only these tables (comma-separated, `table` or `db.table`); leaves out views and routines',
    )
    .option('--threads <n>', 'worker connections (default 4, or the configured backup.threads)')
    .option('--compression <kind>', 'zstd (default), gzip or none')
    .option('--chunk-rows <n>', 'target rows per data file (default 200000)')
    .option(
      '--verify',
      'then verify every file and restore it into a scratch database (as verify --restore-test)',
    )
    .option(
      '--users',
      'also keep every non-system account and role with its grants (restore --users puts them back)',
    )
    .action(async (flags: FullFlags) => {
      const ctx = context();
      const threads = intFlag('--threads', flags.threads, 1, 64);
      const chunkRows = intFlag('--chunk-rows', flags.chunkRows, 1000, 100_000_000);
      const compression = compressionFlag(flags.compression);
      const settings = backupSettings(ctx.config, { compression, threads });
      const bar = progressBar(ctx.out, 'backing up');
      // One backup at a time per server (serve's scheduled ones included): wait for the others.
      const result = await withBackupLock(ctx.config, () =>
        backupFull(ctx.config, settings, {
          databases: listFlag(flags.databases),
          tables: listFlag(flags.tables),
          chunkRows,
          users: flags.users === true,
          onProgress: (e) => {
            if (e.phase === 'dump') bar.update(e.rows, e.totalRows, e.table ?? '');
          },
        }),
      );
      bar.finish();
      if (!flags.verify) {
        ctx.out.result(fullReport(result), () => renderFull(result));
        return;
      }
      const verified = await verifyBackup(settings, result.dir);
      const restored = verified.ok ? await restoreTest(ctx.config, settings, result.dir) : undefined;
      const ok = verified.ok && restored?.ok === true;
      if (ok) await recordVerification(result.dir, true);
      ctx.out.result({ ...fullReport(result), ok, verify: verified, restoreTest: restored ?? null }, () =>
        [renderFull(result), renderVerify(verified), restored ? renderRestoreTest(restored) : '']
          .filter(Boolean)
          .join('\n'),
      );
      if (!ok) process.exitCode = 1;
    });

  backup
    .command('incremental')
    .description('copy the binary logs written since the newest backup, chained to it')
    .action(async () => {
      const ctx = context();
      const settings = backupSettings(ctx.config);
      const r = await withBackupLock(ctx.config, () => backupIncremental(ctx.config, settings));
      const inc = r.manifest.incremental;
      ctx.out.result({ ok: true, id: r.id, dir: r.dir, incremental: inc, totals: r.manifest.totals }, () =>
        keyValueTable([
          ['backup', r.id],
          ['continues', inc?.parent],
          ['from', inc ? `${inc.start.file}:${inc.start.position} (gtid ${inc.start.gtid})` : null],
          ['to', inc ? `${inc.end.file}:${inc.end.position} (gtid ${inc.end.gtid})` : null],
          ['binary logs', inc?.binlogs.map((b) => b.name).join(', ') || 'none (no writes since)'],
        ]),
      );
    });

  backup
    .command('verify')
    .description('check every file of a backup: size, sha256, decryption, decompression, row counts')
    .argument('<backup>', 'backup id (see backup list) or folder')
    .option('--restore-test', 'also restore it into a scratch database and compare row counts (then drop it)')
    .action(async (name: string, flags: { restoreTest?: boolean }) => {
      const ctx = context();
      const settings = backupSettings(ctx.config);
      const bar = progressBar(ctx.out, 'verifying');
      const result = await verifyBackup(settings, name, {
        onFile: (done, total, file) => bar.update(done, total, file),
      });
      bar.finish();
      const restored =
        flags.restoreTest && result.ok ? await restoreTest(ctx.config, settings, name) : undefined;
      const ok = result.ok && (restored === undefined || restored.ok);
      if (ok) await recordVerification(backupFolder(settings, name), restored !== undefined);
      ctx.out.result({ ...result, ok, restoreTest: restored ?? null }, () =>
        [renderVerify(result), restored ? renderRestoreTest(restored) : ''].filter(Boolean).join('\n'),
      );
      if (!ok) process.exitCode = 1;
    });

  backup
    .command('list')
    .description('the backups in BACKUP_DIR, newest first; incomplete ones marked')
    .action(async () => {
      const ctx = context();
      const settings = backupSettings(ctx.config);
      const entries = await listBackups(settings);
      ctx.out.result({ ok: true, dir: settings.dir, backups: entries }, () =>
        renderList(settings.dir, entries),
      );
    });

  backup
    .command('prune')
    .description('delete backups past the retention period; never the newest verified one')
    .option('--keep-days <n>', 'keep backups younger than this (default BACKUP_RETENTION_DAYS, 7)')
    .option('--keep <n>', 'keep at least this many newest backups (default 1)')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .action(async (flags: { keepDays?: string; keep?: string; dryRun?: boolean }) => {
      const ctx = context();
      const settings = backupSettings(ctx.config);
      const result = await pruneBackups(settings, {
        keepDays: intFlag('--keep-days', flags.keepDays, 0, 36_500),
        keepCount: intFlag('--keep', flags.keep, 1, 100_000),
        dryRun: flags.dryRun === true,
      });
      ctx.out.result({ ok: true, ...result }, () => renderPrune(result));
    });

  program
    .command('restore')
    .description(
      'restore a full backup into empty databases (parallel LOAD DATA, indexes after the data); with --to-time/--to-gtid, then replay its binary logs to that moment',
    )
    .argument(
      '<backup>',
      'backup id (see backup list) or folder; an incremental one restores its chain up to it',
    )
    .option('--target-db <name>', "restore the backup's database under another name")
    .option('--threads <n>', 'loading connections (default 4, or the configured backup.threads)')
    .option('--force', 'restore into a database that holds objects: drops and recreates those in the backup')
    .option(
      '--binlog',
      'write the restored data to the binary log, so replicas receive it (slower; by default the restore is not logged, which needs BINLOG ADMIN)',
    )
    .option(
      '--to-time <time>',
      'point-in-time recovery: changes made before this time, "YYYY-MM-DD HH:MM:SS" in UTC (or with Z/+HH:MM)',
    )
    .option(
      '--to-gtid <gtid>',
      'point-in-time recovery: up to and including this transaction (MariaDB 0-1-42)',
    )
    .option(
      '--server-binlogs',
      "also replay the server's binary logs past the last incremental backup (alone: up to now)",
    )
    .option(
      '--users',
      'also create the accounts and roles the backup holds (taken with backup full --users) and apply their grants',
    )
    .option(
      '--temp-dir <dir>',
      'where the decrypted binary logs are kept during point-in-time recovery (default: the system temporary directory)',
    )
    .addHelpText(
      'after',
      `
Point-in-time recovery restores the full backup at the root of the chain, then replays the binary
logs of its incremental backups (decrypted into a private temporary folder) from the snapshot
position to the moment, with mariadb-binlog piped into mariadb. See docs/operations/backup-and-restore.md.`,
    )
    .action(async (name: string, flags: RestoreFlags) => {
      const ctx = context();
      const threads = intFlag('--threads', flags.threads, 1, 64);
      const settings = backupSettings(ctx.config, { threads });
      const to = recoveryTarget(flags);
      const bar = progressBar(ctx.out, 'restoring');
      if (to || (await isIncrementalBackup(settings, name))) {
        const result = await pitrRestore(ctx.config, settings, name, {
          to: to ?? 'end',
          targetDb: flags.targetDb,
          force: flags.force === true,
          binlog: flags.binlog === true,
          serverBinlogs: flags.serverBinlogs === true,
          tempDir: flags.tempDir,
          onProgress: (e) => {
            if (e.phase === 'restore' && e.restore.phase === 'load')
              bar.update(e.restore.rows, e.restore.totalRows, e.restore.table ?? '');
          },
        });
        bar.finish();
        const users = flags.users ? await restoreUsers(ctx.config, settings, name) : null;
        ctx.out.result({ ok: true, ...result, users }, () => withUsers(renderPitr(result), users));
        return;
      }
      const result = await restore(ctx.config, settings, name, {
        targetDb: flags.targetDb,
        force: flags.force === true,
        binlog: flags.binlog === true,
        onProgress: (e) => {
          if (e.phase === 'load') bar.update(e.rows, e.totalRows, e.table ?? '');
        },
      });
      bar.finish();
      const users = flags.users ? await restoreUsers(ctx.config, settings, name) : null;
      ctx.out.result({ ok: true, ...result, users }, () => withUsers(renderRestore(result), users));
    });
}

/** --to-time / --to-gtid / --server-binlogs as a recovery target; undefined for a plain restore. */
function recoveryTarget(flags: RestoreFlags): PitrTarget | undefined {
  if (flags.toTime !== undefined && flags.toGtid !== undefined)
    throw new UsageError('give --to-time or --to-gtid, not both');
  if (flags.toTime !== undefined) {
    const time = parseRecoveryTime(flags.toTime);
    if (!time) {
      throw new UsageError(
        `--to-time must be a time like "2026-11-25 10:00:00" (got ${JSON.stringify(flags.toTime)})`,
        'times are UTC unless they end in Z or an offset such as +01:00; whole seconds only',
      );
    }
    return { time };
  }
  if (flags.toGtid !== undefined) return { gtid: flags.toGtid };
  return flags.serverBinlogs ? 'end' : undefined;
}

function intFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new UsageError(
      `${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

function compressionFlag(value: string | undefined): Compression | undefined {
  if (value === undefined) return undefined;
  if ((COMPRESSIONS as readonly string[]).includes(value)) return value as Compression;
  throw new UsageError(`--compression must be zstd, gzip or none (got ${JSON.stringify(value)})`);
}

function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new UsageError('a list flag needs at least one name');
  return items;
}

const n = (x: number) => x.toLocaleString('en-US');

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fullReport(r: BackupResult) {
  const m = r.manifest;
  return {
    ok: true,
    id: r.id,
    dir: r.dir,
    databases: m.databases,
    snapshot: m.snapshot,
    compression: m.compression,
    encrypted: m.encryption !== null,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    seconds: (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000,
    tables: m.tables.map((t) => ({
      table: `${t.database}.${t.table}`,
      rows: t.rows,
      chunks: t.chunks.length,
      chunking: t.chunking,
    })),
    totals: m.totals,
  };
}

function renderFull(r: BackupResult): string {
  const m = r.manifest;
  const s = m.snapshot;
  const seconds = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
  return [
    table(
      ['table', 'rows', 'chunks'],
      m.tables.map((t) => [`${t.database}.${t.table}`, n(t.rows), t.chunks.length]),
    ),
    '',
    keyValueTable([
      ['backup', r.id],
      ['folder', r.dir],
      ['snapshot', `${s.method}, global block held ${s.lockHeldMs} ms`],
      ['binlog', s.binlogFile ? `${s.binlogFile}:${s.binlogPosition}` : 'off'],
      ['gtid', s.gtid],
      ['compression', `${m.compression}${m.encryption ? ' + aes-256-gcm' : ''}`],
      [
        'total',
        `${n(m.totals.rows)} rows, ${m.totals.files} files, ${mb(m.totals.bytes)} in ${seconds.toFixed(1)} s`,
      ],
    ]),
  ].join('\n');
}

function renderVerify(r: VerifyResult): string {
  const head = `${r.ok ? 'ok' : 'FAILED'}: backup ${r.id}, ${r.files} files, ${n(r.rows)} rows, ${mb(r.bytes)} checked in ${(r.ms / 1000).toFixed(1)} s`;
  if (r.ok) return head;
  return [head, ...r.problems.map((p) => `  ${p.file}: ${p.message}`)].join('\n');
}

function renderRestoreTest(r: RestoreTestResult): string {
  const head = `${r.ok ? 'ok' : 'FAILED'}: restore test into ${r.database} (dropped): ${r.tables} tables, ${n(r.rows)} rows in ${(r.ms / 1000).toFixed(1)} s`;
  return [head, ...r.problems.map((p) => `  ${p.message}`)].join('\n');
}

function renderPrune(r: PruneResult): string {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  const lines = [
    ...r.deleted.map((id) => `${verb} ${id}`),
    ...r.kept.map((k) => `kept ${k.id}: ${k.reason}`),
    ...r.incomplete.map((id) => `left ${id}: incomplete (running, or died; remove it by hand once sure)`),
  ];
  return lines.length > 0 ? lines.join('\n') : 'no backups';
}

function renderList(dir: string, entries: readonly BackupListEntry[]): string {
  if (entries.length === 0) return `no backups in ${dir}`;
  return table(
    ['id', 'state', 'started', 'databases', 'rows', 'size', 'encrypted', 'verified'],
    entries.map((e) =>
      e.complete
        ? [
            e.id,
            'complete',
            e.startedAt,
            e.databases?.join(','),
            n(e.rows ?? 0),
            mb(e.bytes ?? 0),
            e.encrypted ? 'yes' : 'no',
            e.verifiedAt ? `${e.verifiedAt}${e.restoreTested ? ' (restored)' : ''}` : 'no',
          ]
        : [e.id, 'INCOMPLETE', null, null, null, null, null, null],
    ),
  );
}

function renderRestore(r: RestoreResult): string {
  const dbs = r.databases
    .map((d) => (d.source === d.target ? d.target : `${d.source} -> ${d.target}`))
    .join(', ');
  return `restored ${r.id} into ${dbs}: ${r.tables} tables, ${n(r.rows)} rows in ${(r.ms / 1000).toFixed(1)} s (load ${(r.loadMs / 1000).toFixed(1)} s, indexes ${(r.indexMs / 1000).toFixed(1)} s)`;
}

function renderPitr(r: PitrResult): string {
  const replayed = r.stop
    ? `then replayed ${n(r.transactions)} transactions from ${r.start.file}:${r.start.position} up to ${r.stop.file}:${r.stop.position}`
    : 'nothing to replay after its snapshot';
  const from = [
    r.chain.length > 0 ? `incremental backups ${r.chain.join(', ')}` : '',
    r.serverBinlogs.length > 0 ? `the server's ${r.serverBinlogs.join(', ')}` : '',
  ].filter(Boolean);
  return [
    renderRestore(r.restore),
    `${replayed}${from.length > 0 ? ` (logs of ${from.join(' and ')})` : ''}; ${(r.ms / 1000).toFixed(1)} s in all`,
  ].join('\n');
}

function withUsers(text: string, users: RestoreUsersResult | null): string {
  if (!users) return text;
  const created = users.created.length > 0 ? users.created.join(', ') : 'none';
  const existing =
    users.existing.length > 0 ? `; already there (password kept): ${users.existing.join(', ')}` : '';
  const locked =
    users.locked.length > 0
      ? `\ncreated LOCKED without a password (the server refuses password hashes): ${users.locked.join(', ')}; set a password, then ALTER USER ... ACCOUNT UNLOCK`
      : '';
  return `${text}\naccounts created: ${created}${existing}; ${n(users.grants)} grants applied${locked}`;
}
