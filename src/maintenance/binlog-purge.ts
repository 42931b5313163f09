/**
 * `binlog-purge`: PURGE BINARY LOGS TO the first log that must stay. A log goes only when
 *  - it is older than the retention: a later log is known to have existed before the cut-off (the
 *    server does not say when a log was written, but every backup manifest records the log that was
 *    current when it finished, which proves every earlier log closed by then);
 *  - no kept backup chain needs it (binlog-needs.ts);
 *  - no replica is connected: MariaDB and MySQL do not report which log a binlog dump thread reads,
 *    so while any replica is connected nothing is purged and the report says why.
 * Without any backup, the retention is left to the server's own clock: PURGE BINARY LOGS BEFORE.
 */
import { escape as sqlLiteral } from 'mysql2';
import type { DatabaseManager } from '../db/index.js';
import { type BinlogNeed, backupBinlogInfo, binlogIndex } from './binlog-needs.js';
import { failureOf, type MaintenanceAction, type MaintenanceReport } from './types.js';

/** Options of `purgeBinlogs`. */
export interface BinlogPurgeOptions {
  /** Keep logs written during the last N days. Default 7; 0 purges everything allowed. */
  retentionDays?: number;
  /** The backup directory whose chains must stay restorable. */
  backupDir: string;
  dryRun?: boolean;
  /** The clock, for the retention cut-off. Default now. */
  now?: Date;
}

/** The server's side of a purge decision. */
export interface ServerBinlogs {
  /** Every log the server has, oldest first. */
  files: string[];
  /** Sessions replaying the logs to replicas (binlog dump threads). */
  replicas: number;
}

/** The server's binary logs and how many replicas are reading them; files is empty with binlog off. */
export async function serverBinlogs(db: DatabaseManager): Promise<ServerBinlogs> {
  const [on] = await db.query<{ b: unknown }>('SELECT @@log_bin AS b');
  if (Number(on?.b) !== 1) return { files: [], replicas: 0 };
  const logs = await db.query<{ Log_name: string }>('SHOW BINARY LOGS');
  // Both flavors name the thread's command `Binlog Dump` (`Binlog Dump GTID` on MySQL with GTIDs).
  const [dumps] = await db.query<{ n: unknown }>(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'",
  );
  return { files: logs.map((l) => l.Log_name), replicas: Number(dumps?.n ?? 0) };
}

function sqlDatetime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Purge the binary logs that the retention, the kept backups and connected replicas allow. The
 * active log is never purged (the server refuses anyway).
 */
export async function purgeBinlogs(
  db: DatabaseManager,
  options: BinlogPurgeOptions,
): Promise<MaintenanceReport> {
  const dryRun = options.dryRun === true;
  const retentionDays = options.retentionDays ?? 7;
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  await db.initialize();
  const report: MaintenanceReport = { job: 'binlog-purge', dryRun, actions: [], skipped: [], failed: [] };
  const server = await serverBinlogs(db);
  if (server.files.length === 0) {
    report.skipped.push({ reason: 'binary logging is off' });
    return report;
  }
  if (server.replicas > 0) {
    report.skipped.push({
      reason: `${server.replicas} replica(s) connected: the server does not report which log each still reads, so every log is kept`,
    });
    return report;
  }
  const info = await backupBinlogInfo(options.backupDir);
  if (info.incomplete.length > 0) {
    report.skipped.push({ reason: `incomplete backups not counted: ${info.incomplete.join(', ')}` });
  }

  if (info.needs.length === 0 && retentionDays > 0) {
    report.skipped.push({
      reason: `no backup in ${options.backupDir}: the server's file times decide the age`,
    });
    await run(
      db,
      report,
      'PURGE BINARY LOGS BEFORE ?',
      sqlDatetime(cutoff),
      `written before ${cutoff.toISOString()}`,
      dryRun,
    );
    return report;
  }

  // Index into server.files of the first log that must stay, under each rule.
  const bounds: Array<{ at: number; why: string }> = [
    { at: server.files.length - 1, why: `${server.files.at(-1)} is the active log` },
  ];
  const position = (file: string) => {
    const n = binlogIndex(file);
    const i = server.files.findIndex((f) => {
      const m = binlogIndex(f);
      return f === file || (n !== undefined && m !== undefined && m >= n);
    });
    // A needed log newer than every server log (another server's backup?) keeps everything.
    return i === -1 ? 0 : i;
  };
  const oldest = info.needs.reduce<BinlogNeed | undefined>(
    (a, b) => (a && position(a.file) <= position(b.file) ? a : b),
    undefined,
  );
  if (oldest) {
    bounds.push({
      at: position(oldest.file),
      why: `${oldest.file} onwards is needed by the chain of backup ${oldest.full} (recorded by ${oldest.recordedBy})`,
    });
  }
  if (retentionDays > 0) {
    // Log i may go when a later log was seen before the cut-off; the first log without such proof stays.
    let proven = -1;
    for (const s of info.sightings) {
      if (s.at.getTime() <= cutoff.getTime()) proven = Math.max(proven, position(s.file));
    }
    bounds.push({ at: Math.max(proven, 0), why: `logs after ${cutoff.toISOString()} are kept (retention)` });
  }
  const bound = bounds.reduce((a, b) => (b.at < a.at ? b : a));
  const target = server.files[bound.at];
  if (bound.at === 0 || !target) {
    report.skipped.push({ reason: `nothing to purge: ${bound.why}` });
    return report;
  }
  report.skipped.push({ reason: `kept from ${target}: ${bound.why}` });
  await run(db, report, 'PURGE BINARY LOGS TO ?', target, `${bound.at} log(s) before ${target}`, dryRun);
  return report;
}

/** Run `sql` with its one parameter; the report shows it with the value inlined. */
async function run(
  db: DatabaseManager,
  report: MaintenanceReport,
  sql: string,
  value: string,
  reason: string,
  dryRun: boolean,
): Promise<void> {
  const statement = sql.replace('?', sqlLiteral(value));
  const action: MaintenanceAction = { statement, ms: 0, reason };
  if (!dryRun) {
    const started = performance.now();
    try {
      await db.execute(sql, [value]);
    } catch (err) {
      report.failed.push(failureOf(statement, undefined, err));
      return;
    }
    action.ms = Math.round(performance.now() - started);
  }
  report.actions.push(action);
}
