/**
 * The report every maintenance job returns: what it ran (or, dry, would run) and what it left alone.
 */

/** The jobs `mysqlops maintain` knows. */
export type MaintenanceJobName = 'retention' | 'partitions' | 'analyze' | 'optimize' | 'binlog-purge';

/**
 * The jobs in the order `runMaintenance` runs them: deletions first, so that analyze and optimize
 * see the rows they removed.
 */
export const MAINTENANCE_JOBS: readonly MaintenanceJobName[] = [
  'retention',
  'partitions',
  'analyze',
  'optimize',
  'binlog-purge',
];

/** One statement a job ran, or in a dry run would run. */
export interface MaintenanceAction {
  statement: string;
  /** `schema.table` the statement works on. */
  table?: string;
  /** Wall time of the statement; 0 in a dry run. */
  ms: number;
  /**
   * Time writers to the table were blocked. Only set for offline rebuilds (the whole statement);
   * online rebuilds (LOCK=NONE) block only for their brief metadata-lock upgrades, which the server
   * does not report, so it stays unset there.
   */
  lockMs?: number;
  /** Why the job picked this table, e.g. `12000 of 50000 rows changed (24%)`. */
  reason?: string;
}

/** Something a job looked at and left alone, with why. */
export interface MaintenanceSkip {
  table?: string;
  reason: string;
}

/** A statement the server refused. */
export interface MaintenanceFailure {
  table?: string;
  statement: string;
  message: string;
  /** The MysqlopsError code (E_QUERY, E_QUERY_TIMEOUT...) when there is one. */
  code?: string;
}

/** What one job did: the same shape for every job, dry or not. */
export interface MaintenanceReport {
  job: MaintenanceJobName;
  dryRun: boolean;
  actions: MaintenanceAction[];
  skipped: MaintenanceSkip[];
  /** Statements the server refused; the job goes on with the next table. */
  failed: MaintenanceFailure[];
}

/** Settings shared by every job. */
export interface MaintenanceRunOptions {
  /** Print the statements, run nothing. Default false. */
  dryRun?: boolean;
  /** Schemas to look at. Default: the connection's database, or every user schema when none is selected. */
  schemas?: readonly string[];
}

/** A failure record for `statement` on `table` from whatever it threw. */
export function failureOf(statement: string, table: string | undefined, err: unknown): MaintenanceFailure {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    ...(table ? { table } : {}),
    statement,
    message: err instanceof Error ? err.message : String(err),
    ...(typeof code === 'string' ? { code } : {}),
  };
}
