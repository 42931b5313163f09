/**
 * The history table `mysqlops_schema_history` in the target database: one row per run of a file
 * (a repeatable gets a new row each time it is re-applied; its latest row counts). Always
 * addressed with the database name, so a migration that runs `USE other` cannot misdirect it.
 */
import { quoteId } from '../db/index.js';
import type { MigrationSession } from './session.js';
import type { HistoryRow, MigrationFile, MigrationType } from './types.js';

/**
 * The table in the target database recording every migration run (version, checksum, success, time),
 * Flyway-style.
 */
export const HISTORY_TABLE = 'mysqlops_schema_history';

const CREATE_HISTORY_TABLE = (table: string) => `CREATE TABLE IF NOT EXISTS ${table} (
  installed_rank     INT          NOT NULL AUTO_INCREMENT,
  version            VARCHAR(50)  NULL COMMENT 'NULL for repeatable migrations',
  description        VARCHAR(255) NOT NULL,
  type               ENUM('versioned', 'repeatable') NOT NULL,
  script             VARCHAR(255) NOT NULL,
  checksum           CHAR(64)     NOT NULL COMMENT 'sha256 of the file, CRLF normalised to LF',
  installed_by       VARCHAR(400) NOT NULL,
  installed_at       DATETIME(6)  NOT NULL COMMENT 'UTC',
  execution_ms       INT          NOT NULL,
  success            TINYINT(1)   NOT NULL,
  statements_applied INT          NOT NULL,
  error_message      TEXT         NULL,
  PRIMARY KEY (installed_rank),
  KEY ix_mysqlops_schema_history_script (script),
  KEY ix_mysqlops_schema_history_success (success)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'mysqlops migrate: one row per run of a migration file'`;

const SELECT_HISTORY = (table: string) => `SELECT installed_rank, version, description, type, script,
  checksum, installed_by, installed_at, execution_ms, success, statements_applied, error_message
  FROM ${table} ORDER BY installed_rank`;

const INSERT_HISTORY = (table: string) => `INSERT INTO ${table}
  (version, description, type, script, checksum, installed_by, installed_at, execution_ms, success,
   statements_applied, error_message)
  VALUES (?, ?, ?, ?, ?, CURRENT_USER(), UTC_TIMESTAMP(6), ?, ?, ?, ?)`;

const DELETE_FAILED = (table: string) => `DELETE FROM ${table} WHERE success = 0`;

function qualified(database: string): string {
  return `${quoteId(database)}.${quoteId(HISTORY_TABLE)}`;
}

/** True when the history table exists in `database` (false also when the database does not). */
export async function historyTableExists(session: MigrationSession, database: string): Promise<boolean> {
  const rows = await session.rows(
    'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
    [database, HISTORY_TABLE],
  );
  return rows.length > 0;
}

export async function createHistoryTable(session: MigrationSession, database: string): Promise<void> {
  await session.run(CREATE_HISTORY_TABLE(qualified(database)));
}

/** Every history row in run order; empty when the table (or the database) does not exist. */
export async function readHistory(session: MigrationSession, database: string): Promise<HistoryRow[]> {
  if (!(await historyTableExists(session, database))) return [];
  const rows = await session.rows<Record<string, unknown>>(SELECT_HISTORY(qualified(database)));
  return rows.map((r) => ({
    installedRank: Number(r.installed_rank),
    version: r.version === null ? null : String(r.version),
    description: String(r.description),
    type: String(r.type) as MigrationType,
    script: String(r.script),
    checksum: String(r.checksum),
    installedBy: String(r.installed_by),
    installedAt: r.installed_at instanceof Date ? r.installed_at : new Date(String(r.installed_at)),
    executionMs: Number(r.execution_ms),
    success: Number(r.success) === 1,
    statementsApplied: Number(r.statements_applied),
    errorMessage: r.error_message === null ? null : String(r.error_message),
  }));
}

/** Record one run of `file`. */
export async function recordRun(
  session: MigrationSession,
  database: string,
  file: MigrationFile,
  run: { executionMs: number; success: boolean; statementsApplied: number; errorMessage: string | null },
): Promise<void> {
  await session.rows(INSERT_HISTORY(qualified(database)), [
    file.version,
    file.description,
    file.type,
    file.script,
    file.checksum,
    run.executionMs,
    run.success ? 1 : 0,
    run.statementsApplied,
    run.errorMessage,
  ]);
}

/** Delete the rows of failed runs (the caller reads them first to report what went). */
export async function deleteFailedRuns(session: MigrationSession, database: string): Promise<void> {
  await session.run(DELETE_FAILED(qualified(database)));
}
