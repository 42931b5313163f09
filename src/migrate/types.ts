/**
 * The shapes the migration engine works with and returns: files found on disk, rows of the
 * history table, and what plan/status/validate/up report. No behaviour lives here.
 */
import type { FlavorKind } from '../db/index.js';

/**
 * Versioned migrations run once, in version order; repeatable ones run again whenever their checksum changes.
 */
export type MigrationType = 'versioned' | 'repeatable';

/** One statement of a migration file, as the splitter cut it. */
export interface SqlStatement {
  /** The statement text without its delimiter and with plain comments removed. */
  sql: string;
  /** 1-based line in the file where the statement starts. */
  line: number;
}

/** A migration file found on disk, already read, checksummed and split. */
export interface MigrationFile {
  type: MigrationType;
  /** Versioned: the version without leading zeros (`V0005__x.sql` → `"5"`). Repeatable: null. */
  version: string | null;
  /** From the file name, underscores as spaces (`V0001__core_normalized.sql` → `core normalized`). */
  description: string;
  /** The file name (`V0001__core_normalized.sql`); the key of repeatables in the history table. */
  script: string;
  /** Absolute path. */
  path: string;
  /** Set when the file name carries `.mariadb` or `.mysql`: the file applies only on that flavor. */
  flavor: FlavorKind | null;
  /** sha256 (hex) of the file text with CRLF normalised to LF. */
  checksum: string;
  statements: SqlStatement[];
}

/** One row of `mysqlops_schema_history`. */
export interface HistoryRow {
  installedRank: number;
  version: string | null;
  description: string;
  type: MigrationType;
  script: string;
  checksum: string;
  installedBy: string;
  /** When the run finished (stored as UTC). */
  installedAt: Date;
  executionMs: number;
  success: boolean;
  statementsApplied: number;
  errorMessage: string | null;
}

/**
 * Where a migration stands:
 * - `applied`: in the history, file unchanged.
 * - `pending`: on disk, never applied (`up` will run it).
 * - `failed`: its last run failed; blocks `up` until `migrate repair`.
 * - `changed`: a repeatable whose file changed since it was applied (`up` re-applies it).
 * - `drifted`: a versioned file edited after it was applied (a validation problem).
 * - `missing`: in the history, but no longer on disk (a validation problem for versioned files).
 */
export type MigrationState = 'applied' | 'pending' | 'failed' | 'changed' | 'drifted' | 'missing';

/** One migration as `migrationStatus` reports it: the file on disk and its last run, side by side. */
export interface MigrationStatusRow {
  type: MigrationType;
  version: string | null;
  description: string;
  script: string;
  state: MigrationState;
  /** Checksum of the file on disk (null when missing). */
  checksum: string | null;
  /** Checksum recorded at the last run (null when never run). */
  appliedChecksum: string | null;
  /** ISO 8601 (UTC) of the last run, null when never run. */
  installedAt: string | null;
  executionMs: number | null;
  /** Statements in the file on disk (null when missing). */
  statements: number | null;
  /** The server error of a failed run. */
  error: string | null;
}

/** One step `up` would take, in order. */
export interface PlannedMigration {
  type: MigrationType;
  version: string | null;
  description: string;
  script: string;
  statements: number;
  /** `pending`: never applied; `changed`: a repeatable whose checksum changed. */
  reason: 'pending' | 'changed';
}

/**
 * What is wrong: an applied file changed (checksum), was deleted (missing), its last run failed, or a pending
 * version is lower than an applied one (out-of-order).
 */
export type ValidationProblemKind = 'checksum' | 'missing' | 'failed' | 'out-of-order';

/** One mismatch `validateMigrations` found between the files and the history table. */
export interface ValidationProblem {
  kind: ValidationProblemKind;
  script: string;
  version: string | null;
  /** One line naming the file and what is wrong. */
  message: string;
}

/** One migration `up` applied. */
export interface AppliedMigration {
  type: MigrationType;
  version: string | null;
  description: string;
  script: string;
  statements: number;
  ms: number;
}

/** What `migrate` did: the migrations it applied, in order. */
export interface MigrateResult {
  database: string;
  /** True when `up` created the database. */
  created: boolean;
  flavor: FlavorKind;
  /** In the order applied; empty when nothing was pending. */
  applied: AppliedMigration[];
}

/** A failed history row that `repair` deleted. */
export interface RemovedEntry {
  type: MigrationType;
  version: string | null;
  script: string;
  installedAt: string;
  statementsApplied: number;
  error: string | null;
}

/** The failed-run entries `repairMigrations` removed from the history table. */
export interface RepairResult {
  database: string;
  removed: RemovedEntry[];
}

/** Everything the read-only commands report, from one look at the files and the history. */
export interface MigrationReport {
  database: string;
  databaseExists: boolean;
  flavor: FlavorKind;
  plan: PlannedMigration[];
  status: MigrationStatusRow[];
  problems: ValidationProblem[];
}

/** Progress of a run; `message` is one human-readable line. */
export type MigrateProgress =
  | { step: 'connected'; message: string; target: string; flavor: FlavorKind }
  | { step: 'lock-wait'; message: string; holder: number | null }
  | { step: 'lock-acquired'; message: string }
  | { step: 'database-created'; message: string; database: string }
  | { step: 'migration-start'; message: string; script: string; statements: number }
  | {
      step: 'statement';
      message: string;
      script: string;
      statement: number;
      statements: number;
      line: number;
    }
  | { step: 'migration-done'; message: string; script: string; ms: number };

/** Options shared by `migrate` and the other migration functions. */
export interface MigrateOptions {
  /**
   * The folder holding `migrations/` and `repeatable/`. Default: the package's `schemas/` folder
   * (next to `dist/`), i.e. the mysqlops schema itself.
   */
  dir?: string;
  /**
   * How long `up` and `repair` wait for another runner's lock before failing with
   * `E_MIGRATION_LOCK`. Default 60 000 ms. 0 means: fail at once when the lock is taken.
   */
  lockTimeoutMs?: number;
  /** Receives progress; the library never prints. */
  onProgress?: (e: MigrateProgress) => void;
}
