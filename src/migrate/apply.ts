/**
 * Runs one migration file on the run's session, statement by statement, and records the outcome
 * in the history. A failing statement stops the file: the run is recorded as failed with how many
 * statements went through, and the error names the file, statement, line and server message.
 */
import { performance } from 'node:perf_hooks';
import { driverFields, MigrationError } from '../errors.js';
import { recordRun } from './history.js';
import type { MigrationSession } from './session.js';
import { statementExcerpt } from './splitter.js';
import type { AppliedMigration, MigrateProgress, MigrationFile } from './types.js';

/** Apply `file` to `database` (already selected on `session`, lock held). */
export async function applyMigration(
  session: MigrationSession,
  database: string,
  file: MigrationFile,
  onProgress: (e: MigrateProgress) => void,
): Promise<AppliedMigration> {
  await session.restore(database);
  const total = file.statements.length;
  onProgress({
    step: 'migration-start',
    message: `applying ${file.script} (${total} statement${total === 1 ? '' : 's'})`,
    script: file.script,
    statements: total,
  });
  const started = performance.now();
  for (const [index, statement] of file.statements.entries()) {
    onProgress({
      step: 'statement',
      message: `${file.script}: statement ${index + 1}/${total} (line ${statement.line})`,
      script: file.script,
      statement: index + 1,
      statements: total,
      line: statement.line,
    });
    try {
      await session.run(statement.sql);
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      throw await failure(session, database, file, index, ms, err);
    }
  }
  const ms = Math.round(performance.now() - started);
  // A file may leave a transaction open (START TRANSACTION without COMMIT, or autocommit=0):
  // commit what it did, and write the history row in autocommit mode, so neither is lost when
  // the connection closes.
  await session.run('COMMIT');
  await session.run('SET autocommit = 1');
  await recordRun(session, database, file, {
    executionMs: ms,
    success: true,
    statementsApplied: total,
    errorMessage: null,
  });
  onProgress({
    step: 'migration-done',
    message: `applied ${file.script} in ${ms} ms`,
    script: file.script,
    ms,
  });
  return {
    type: file.type,
    version: file.version,
    description: file.description,
    script: file.script,
    statements: total,
    ms,
  };
}

/** Record the failed run (when the session still works) and build the error to throw. */
async function failure(
  session: MigrationSession,
  database: string,
  file: MigrationFile,
  index: number,
  ms: number,
  err: unknown,
): Promise<MigrationError> {
  const statement = file.statements[index];
  const d = driverFields(err);
  const serverMessage = d.sqlMessage ?? (err instanceof Error ? err.message : String(err));
  const detail =
    d.errno === undefined
      ? serverMessage
      : `${serverMessage} (errno ${d.errno}${d.sqlState ? `, SQLSTATE ${d.sqlState}` : ''})`;
  let recorded = true;
  try {
    // Undo what an open transaction of the file holds (DDL already committed itself), and record
    // the failure in autocommit mode so the row survives.
    await session.run('ROLLBACK');
    await session.run('SET autocommit = 1');
    await recordRun(session, database, file, {
      executionMs: ms,
      success: false,
      statementsApplied: index,
      errorMessage: detail,
    });
  } catch {
    recorded = false;
  }
  const line = statement?.line ?? 0;
  const before =
    index === 0
      ? 'no statement of the file ran before it'
      : `the ${index} statement${index === 1 ? '' : 's'} before it stay${index === 1 ? 's' : ''} applied`;
  return new MigrationError({
    code: 'E_MIGRATION',
    message: `${file.script} failed at statement ${index + 1} (line ${line}): ${JSON.stringify(
      statementExcerpt(statement?.sql ?? ''),
    )}: ${detail}${recorded ? '' : ' — the failure could not be recorded in the history (connection lost?)'}`,
    hint: `MySQL/MariaDB DDL is not transactional (each DDL statement commits at once), so ${before} (except data changes inside a transaction the file opened: those were rolled back). Fix the file and the database, then run ${
      recorded
        ? '`mysqlops migrate repair` and `mysqlops migrate up`'
        : '`mysqlops migrate up` (nothing was recorded, so the file runs again from its first statement)'
    }`,
    script: file.script,
    statementIndex: index + 1,
    line,
    cause: err,
  });
}
