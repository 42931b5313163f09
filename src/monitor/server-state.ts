/**
 * Reading the server's own counters and settings for the checks and reports: global status and
 * variables as numbers, whether performance_schema is on, and which schemas are the server's own.
 */
import type { DatabaseManager } from '../db/index.js';
import { MysqlopsError } from '../errors.js';

/** Schemas the server owns; analysis skips them unless asked for by name. */
export const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'] as const;

/** Global status or variables, by lower-cased name. Values stay text; `num()` reads numbers. */
export type ServerValues = Map<string, string>;

/** `SHOW GLOBAL STATUS` (no performance_schema needed on MariaDB; MySQL 8 serves it from there). */
export async function readGlobalStatus(db: DatabaseManager): Promise<ServerValues> {
  const rows = await db.query<{ Variable_name: string; Value: string | null }>('SHOW GLOBAL STATUS');
  return new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value ?? '']));
}

/** The named global variables (lower-case names). */
export async function readGlobalVariables(
  db: DatabaseManager,
  names: readonly string[],
): Promise<ServerValues> {
  const rows = await db.query<{ Variable_name: string; Value: string | null }>(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => '?').join(', ')})`,
    [...names],
  );
  return new Map(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value ?? '']));
}

/** A value as a number, or undefined when absent or not numeric. */
export function num(values: ServerValues, name: string): number | undefined {
  const v = values.get(name.toLowerCase());
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A driver value (number, bigint, decimal string or null) as a number; null stays null. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** True when performance_schema is enabled on the server. */
export async function performanceSchemaOn(db: DatabaseManager): Promise<boolean> {
  const [row] = await db.query<{ on: number | string | null }>('SELECT @@performance_schema AS `on`');
  return Number(row?.on) === 1;
}

/** What performance_schema collects on this server, as far as the analyses depend on it. */
export interface PerformanceSchemaState {
  /** `@@performance_schema`: fixed at server start. */
  enabled: boolean;
  /** Statement digests are being collected (consumers global_instrumentation and statements_digest). */
  statementDigests: boolean;
  /** Table and index I/O is being counted (the wait/io/table/sql/handler instrument). */
  tableIo: boolean;
}

/**
 * Whether performance_schema is on, and whether the parts the analyses read are collecting: a
 * server can run it with consumers or instruments switched off, and then a digest table stays empty
 * and every index looks unused. Those can be switched back on at run time (see the hints).
 */
export async function performanceSchemaState(db: DatabaseManager): Promise<PerformanceSchemaState> {
  if (!(await performanceSchemaOn(db))) return { enabled: false, statementDigests: false, tableIo: false };
  const consumers = await db.query<{ NAME: string; ENABLED: string }>(
    `SELECT NAME, ENABLED FROM performance_schema.setup_consumers
      WHERE NAME IN ('global_instrumentation', 'statements_digest')`,
  );
  const on = (name: string) => consumers.some((c) => c.NAME === name && c.ENABLED === 'YES');
  const [io] = await db.query<{ ENABLED: string }>(
    "SELECT ENABLED FROM performance_schema.setup_instruments WHERE NAME = 'wait/io/table/sql/handler'",
  );
  return {
    enabled: true,
    statementDigests: on('global_instrumentation') && on('statements_digest'),
    tableIo: on('global_instrumentation') && io?.ENABLED === 'YES',
  };
}

/** The error analyses throw when they need performance_schema and it is off. */
export function performanceSchemaOffError(what: string): MysqlopsError {
  return new MysqlopsError({
    code: 'E_PERFORMANCE_SCHEMA_OFF',
    message: `${what} needs performance_schema, which is OFF on this server`,
    hint: 'set performance_schema = ON in the server config ([mysqld] section) and restart the server; it cannot be turned on at run time',
  });
}

/** The error of the query report when performance_schema runs but does not collect digests. */
export function digestsOffError(): MysqlopsError {
  return new MysqlopsError({
    code: 'E_PERFORMANCE_SCHEMA_OFF',
    message:
      'the query report needs statement digests, which performance_schema is not collecting on this server',
    hint: "run UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME IN ('global_instrumentation', 'statements_digest') (until restart; set performance_schema_consumer_statements_digest = ON in the server config to keep it)",
  });
}

/** `col IN (?, ...)` for the chosen schemas, else `col NOT IN (<system schemas>)`. */
export function schemaCondition(
  column: string,
  schemas: readonly string[] | undefined,
): { sql: string; params: string[] } {
  const list = schemas && schemas.length > 0 ? [...schemas] : [...SYSTEM_SCHEMAS];
  const marks = list.map(() => '?').join(', ');
  return schemas && schemas.length > 0
    ? { sql: `${column} IN (${marks})`, params: list }
    : { sql: `${column} NOT IN (${marks})`, params: list };
}

/** Picoseconds (performance_schema timers) to milliseconds, rounded to 0.001. */
export function psToMs(v: unknown): number {
  return Math.round((toNumber(v) ?? 0) / 1e6) / 1000;
}
