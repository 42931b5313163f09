/**
 * The migration engine's public face: `migrate` (up), `migrationPlan`, `migrationStatus`,
 * `validateMigrations`, `repairMigrations` and `inspectMigrations`. Each opens one dedicated
 * connection, does its job and closes it; `up` and `repair` hold the per-database migration lock
 * for their whole run. Nothing here prints: progress goes to `onProgress`, failures are
 * MigrationError (or ConnectError/ConfigError) with a stable code.
 *
 * ```ts
 * const result = await migrate(loadConfig(), { onProgress: (e) => log(e.message) });
 * for (const step of result.applied) console.log(step.script, step.ms);
 * ```
 */
import { type DatabaseManagerConfig, quoteId } from '../db/index.js';
import { driverFields, MigrationError, MysqlopsError } from '../errors.js';
import { applyMigration } from './apply.js';
import { DEFAULT_MIGRATIONS_DIR, discoverMigrations, filesForFlavor } from './discover.js';
import { createHistoryTable, deleteFailedRuns, historyTableExists, readHistory } from './history.js';
import { acquireMigrationLock, DEFAULT_LOCK_TIMEOUT_MS, releaseMigrationLock } from './lock.js';
import { type Reconciliation, reconcile } from './reconcile.js';
import { MigrationSession } from './session.js';
import type {
  AppliedMigration,
  HistoryRow,
  MigrateOptions,
  MigrateProgress,
  MigrateResult,
  MigrationReport,
  MigrationStatusRow,
  PlannedMigration,
  RepairResult,
  ValidationProblem,
} from './types.js';

export {
  canonicalVersion,
  checksumOf,
  compareVersions,
  DEFAULT_MIGRATIONS_DIR,
  discoverMigrations,
  filesForFlavor,
  parseMigrationName,
} from './discover.js';
export { HISTORY_TABLE } from './history.js';
export { DEFAULT_LOCK_TIMEOUT_MS, migrationLockName } from './lock.js';
export { splitStatements, statementExcerpt } from './splitter.js';
export type * from './types.js';

/**
 * Apply every pending migration to `config.connection.database` ("up"): versioned files in
 * version order, then new or changed repeatables by file name. Creates the database
 * (utf8mb4 / utf8mb4_unicode_ci) and the history table when missing. Refuses, before running
 * anything, with E_MIGRATION_BLOCKED when a failed run is in the history and with
 * E_MIGRATION_INVALID when validation finds problems. With nothing pending it writes nothing
 * and returns an empty `applied` list.
 * WARNING: DDL is not transactional; a failing statement leaves the file's earlier statements
 * applied (E_MIGRATION says which statement failed; fix, `repairMigrations`, run again).
 */
export async function migrate(
  config: DatabaseManagerConfig,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const database = targetDatabase(config);
  const lockTimeoutMs = lockTimeout(options.lockTimeoutMs);
  const onProgress = options.onProgress ?? (() => {});
  const files = await discoverMigrations(options.dir ?? DEFAULT_MIGRATIONS_DIR);
  return withSession(config, 'migrate up on', database, onProgress, async (session) => {
    await acquireMigrationLock(session, database, lockTimeoutMs, onProgress);
    try {
      let created = false;
      if (!(await session.databaseExists(database))) {
        await session.run(
          `CREATE DATABASE IF NOT EXISTS ${quoteId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
        );
        created = true;
        onProgress({ step: 'database-created', message: `created database ${database}`, database });
      }
      await session.use(database);
      // Checked first, so a run with nothing to do sends no DDL at all.
      if (!(await historyTableExists(session, database))) await createHistoryTable(session, database);
      // Read only now, under the lock: another runner may have applied migrations meanwhile.
      const history = await readHistory(session, database);
      const state = reconcile(filesForFlavor(files, session.flavor.kind), history);
      refuseWhenUnsafe(database, state);
      const applied: AppliedMigration[] = [];
      for (const step of state.plan) {
        applied.push(await applyMigration(session, database, step.file, onProgress));
      }
      return { database, created, flavor: session.flavor.kind, applied };
    } finally {
      await releaseMigrationLock(session, database);
    }
  });
}

/**
 * Everything the read-only commands show, from one connection: plan, status and problems. Changes
 * nothing: a missing database or history table means "everything pending".
 */
export async function inspectMigrations(
  config: DatabaseManagerConfig,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const database = targetDatabase(config);
  const onProgress = options.onProgress ?? (() => {});
  const files = await discoverMigrations(options.dir ?? DEFAULT_MIGRATIONS_DIR);
  return withSession(config, 'reading the migration state of', database, onProgress, async (session) => {
    const exists = await session.databaseExists(database);
    const history = exists ? await readHistory(session, database) : [];
    const state = reconcile(filesForFlavor(files, session.flavor.kind), history);
    return {
      database,
      databaseExists: exists,
      flavor: session.flavor.kind,
      plan: state.plan.map(({ file: _file, ...step }) => step),
      status: state.status,
      problems: state.problems,
    };
  });
}

/** What `migrate()` would run, in order, with statement counts. Changes nothing. */
export async function migrationPlan(
  config: DatabaseManagerConfig,
  options: MigrateOptions = {},
): Promise<PlannedMigration[]> {
  return (await inspectMigrations(config, options)).plan;
}

/** Every known migration (files for this server's flavor plus history) and its state. Changes nothing. */
export async function migrationStatus(
  config: DatabaseManagerConfig,
  options: MigrateOptions = {},
): Promise<MigrationStatusRow[]> {
  return (await inspectMigrations(config, options)).status;
}

/**
 * Problems that make `migrate()` refuse: applied versioned files edited or missing on disk, failed
 * runs, pending versioned files older than the newest applied one. Empty when all is well.
 */
export async function validateMigrations(
  config: DatabaseManagerConfig,
  options: MigrateOptions = {},
): Promise<ValidationProblem[]> {
  return (await inspectMigrations(config, options)).problems;
}

/**
 * Remove the history rows of failed runs (under the migration lock), so `migrate()` runs those
 * files again. Nothing else changes: fix the file and undo its partial effects first. Reads no
 * files (`options.dir` is ignored), so it works while a file is still broken.
 */
export async function repairMigrations(
  config: DatabaseManagerConfig,
  options: MigrateOptions = {},
): Promise<RepairResult> {
  const database = targetDatabase(config);
  const lockTimeoutMs = lockTimeout(options.lockTimeoutMs);
  const onProgress = options.onProgress ?? (() => {});
  return withSession(config, 'migrate repair on', database, onProgress, async (session) => {
    await acquireMigrationLock(session, database, lockTimeoutMs, onProgress);
    try {
      const failed = (await readHistory(session, database)).filter((h) => !h.success);
      if (failed.length > 0) await deleteFailedRuns(session, database);
      return { database, removed: failed.map(removedEntry) };
    } finally {
      await releaseMigrationLock(session, database);
    }
  });
}

async function withSession<T>(
  config: DatabaseManagerConfig,
  activity: string,
  database: string,
  onProgress: (e: MigrateProgress) => void,
  fn: (session: MigrationSession) => Promise<T>,
): Promise<T> {
  const session = await MigrationSession.open(config);
  try {
    onProgress({
      step: 'connected',
      message: `connected to ${session.target} (${session.flavor.label})`,
      target: session.target,
      flavor: session.flavor.kind,
    });
    return await fn(session);
  } catch (err) {
    throw asMysqlopsError(err, activity, database);
  } finally {
    await session.close();
  }
}

/**
 * A server error outside a migration file (creating the database or the history table, reading
 * the history, the lock queries) becomes E_MIGRATION with the server's words; typically missing
 * privileges. Errors of a file's statements are already MigrationErrors (apply.ts). Anything else that is not ours is a bug and passes through unchanged.
 */
function asMysqlopsError(err: unknown, activity: string, database: string): unknown {
  if (err instanceof MysqlopsError) return err;
  const d = driverFields(err);
  if (d.errno === undefined && d.code === undefined) return err;
  const detail = d.errno === undefined ? (d.code ?? '') : `${d.sqlMessage ?? d.code} (errno ${d.errno})`;
  return new MigrationError({
    code: 'E_MIGRATION',
    message: `${activity} ${database} failed: ${detail}`,
    hint: 'the user needs CREATE on the database (to create it), and CREATE, INSERT, SELECT, DELETE on mysqlops_schema_history; check the privileges and that the server is up',
    cause: err,
  });
}

function targetDatabase(config: DatabaseManagerConfig): string {
  const database = config?.connection?.database;
  if (!database) {
    throw new MysqlopsError({
      code: 'E_CONFIG',
      message: 'migrations need a target database, and none is configured',
      hint: 'set DB_NAME (connection.database)',
      exitCode: 2,
    });
  }
  quoteId(database);
  return database;
}

function lockTimeout(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_LOCK_TIMEOUT_MS;
  if (!Number.isFinite(ms) || ms < 0) {
    throw new MysqlopsError({
      code: 'E_CONFIG',
      message: `lockTimeoutMs must be a number of milliseconds >= 0, got ${String(ms)}`,
      exitCode: 2,
    });
  }
  return ms;
}

function refuseWhenUnsafe(database: string, state: Reconciliation): void {
  const [first] = state.failed;
  if (first) {
    const list = state.problems.filter((p) => p.kind === 'failed').map((p) => p.message);
    throw new MigrationError({
      code: 'E_MIGRATION_BLOCKED',
      message: `migrations on ${database} are blocked by a failed run: ${list.join('; ')}`,
      hint: 'fix the file and undo its partial effects in the database, then run `mysqlops migrate repair` (removes the failed entry) and `mysqlops migrate up`',
      script: first.script,
      statementIndex: first.statementsApplied + 1,
    });
  }
  if (state.problems.length > 0) {
    throw new MigrationError({
      code: 'E_MIGRATION_INVALID',
      message: `refusing to migrate ${database}: ${state.problems.length} problem${state.problems.length === 1 ? '' : 's'}: ${state.problems.map((p) => p.message).join('; ')}`,
      hint: 'an applied versioned file must never change or disappear: restore it (e.g. from git) and put the change in a new versioned file; a pending file older than the newest applied version needs a higher version. `mysqlops migrate validate` lists the problems',
      script: state.problems[0]?.script,
    });
  }
}

function removedEntry(h: HistoryRow) {
  return {
    type: h.type,
    version: h.version,
    script: h.script,
    installedAt: h.installedAt.toISOString(),
    statementsApplied: h.statementsApplied,
    error: h.errorMessage,
  };
}
