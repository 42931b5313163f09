/**
 * `optimize`: rebuild tables whose free space inside their tablespace passes a threshold, to give
 * the space back and re-pack the pages. InnoDB tables are rebuilt online (`ALTER TABLE ... FORCE,
 * ALGORITHM=INPLACE, LOCK=NONE`): reads and writes go on during the copy. Other engines get
 * `OPTIMIZE TABLE`, which blocks writers for its whole run. Big tables need `force`: a rebuild
 * needs as much free disk as the table and keeps the server busy for its duration.
 */
import type { DatabaseManager } from '../db/index.js';
import { qualifiedName, tableLabel, targetSchemas } from './tables.js';
import {
  failureOf,
  type MaintenanceAction,
  type MaintenanceReport,
  type MaintenanceRunOptions,
} from './types.js';

/** Options of `optimizeTables`. */
export interface OptimizeOptions extends MaintenanceRunOptions {
  /** Free bytes / (data + index + free bytes) at which a table is rebuilt. Default 0.2. */
  freeRatio?: number;
  /** Free bytes a table must have, too, so that small tables are left alone. Default 64 MiB. */
  minFreeBytes?: number;
  /** Tables bigger than this (data + index) are skipped unless `force`. Default 10 GiB. */
  maxBytes?: number;
  /** Rebuild tables above `maxBytes` too. Default false. */
  force?: boolean;
}

/** A table's size and the free space inside its tablespace, from information_schema.TABLES. */
export interface TableSpace {
  schema: string;
  table: string;
  engine: string;
  /** DATA_LENGTH + INDEX_LENGTH. */
  usedBytes: number;
  freeBytes: number;
}

const TABLE_SPACE_SQL = `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, ENGINE AS engine,
       DATA_LENGTH + INDEX_LENGTH AS used, DATA_FREE AS free
  FROM information_schema.TABLES
 WHERE TABLE_SCHEMA IN (?) AND TABLE_TYPE = 'BASE TABLE' AND ENGINE IS NOT NULL
 ORDER BY TABLE_SCHEMA, TABLE_NAME`;

/** Size and free space of every base table in `schemas`. */
export async function tableSpace(db: DatabaseManager, schemas: readonly string[]): Promise<TableSpace[]> {
  if (schemas.length === 0) return [];
  const rows = await db.query<{ s: string; t: string; engine: string; used: unknown; free: unknown }>(
    TABLE_SPACE_SQL,
    [schemas],
  );
  return rows.map((r) => ({
    schema: r.s,
    table: r.t,
    engine: r.engine,
    usedBytes: Number(r.used ?? 0),
    freeBytes: Number(r.free ?? 0),
  }));
}

/** ER_ALTER_OPERATION_NOT_SUPPORTED(_REASON): the table cannot be rebuilt with LOCK=NONE. */
const NOT_ONLINE_ERRNOS = new Set([1845, 1846]);

function errnoOf(err: unknown): number | undefined {
  for (let e: unknown = err; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const n = (e as { errno?: unknown }).errno;
    if (typeof n === 'number') return n;
  }
  return undefined;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Rebuild the tables in the target schemas whose free space passes both `freeRatio` and
 * `minFreeBytes`. Tables above `maxBytes` are skipped unless `force`; an InnoDB table that cannot
 * be rebuilt online (e.g. a FULLTEXT index) is skipped with the server's reason rather than locked.
 */
export async function optimizeTables(
  db: DatabaseManager,
  options: OptimizeOptions = {},
): Promise<MaintenanceReport> {
  const freeRatio = options.freeRatio ?? 0.2;
  const minFreeBytes = options.minFreeBytes ?? 64 * 1024 * 1024;
  const maxBytes = options.maxBytes ?? 10 * 1024 ** 3;
  const dryRun = options.dryRun === true;
  await db.initialize();
  const report: MaintenanceReport = { job: 'optimize', dryRun, actions: [], skipped: [], failed: [] };
  for (const t of await tableSpace(db, await targetSchemas(db, options.schemas))) {
    const label = tableLabel(t.schema, t.table);
    const total = t.usedBytes + t.freeBytes;
    const ratio = total > 0 ? t.freeBytes / total : 0;
    if (t.freeBytes < minFreeBytes || ratio < freeRatio) continue;
    const why = `${mib(t.freeBytes)} free of ${mib(total)} (${Math.round(ratio * 100)}%)`;
    if (t.usedBytes > maxBytes && options.force !== true) {
      report.skipped.push({
        table: label,
        reason: `${why}, but ${mib(t.usedBytes)} is above the ${mib(maxBytes)} limit (use --force)`,
      });
      continue;
    }
    const name = qualifiedName(t.schema, t.table);
    if (!name) {
      report.skipped.push({
        table: label,
        reason: `${why}, but its name needs quoting mysqlops does not do`,
      });
      continue;
    }
    const online = t.engine === 'InnoDB';
    const statement = online
      ? `ALTER TABLE ${name} FORCE, ALGORITHM=INPLACE, LOCK=NONE`
      : `OPTIMIZE TABLE ${name}`;
    const action: MaintenanceAction = { statement, table: label, ms: 0, reason: why };
    if (!dryRun) {
      const started = performance.now();
      try {
        if (online) await db.execute(statement);
        else {
          const rows = await db.query<{ Msg_type: string; Msg_text: string }>(statement);
          const problem = rows.find((r) => r.Msg_type === 'error');
          if (problem) throw new Error(problem.Msg_text);
        }
      } catch (err) {
        const errno = errnoOf(err);
        if (errno !== undefined && NOT_ONLINE_ERRNOS.has(errno)) {
          report.skipped.push({
            table: label,
            reason: `${why}, but it cannot be rebuilt online: ${(err as Error).message}`,
          });
          continue;
        }
        report.failed.push(failureOf(statement, label, err));
        continue;
      }
      action.ms = Math.round(performance.now() - started);
      if (!online) action.lockMs = action.ms;
    }
    report.actions.push(action);
  }
  return report;
}
