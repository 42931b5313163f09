/**
 * Compares the files on disk with the history table and decides, without I/O, where every
 * migration stands (status), what `up` would run (plan) and what is wrong (validation problems).
 * plan, status, validate and up all read from this one function, so they cannot disagree.
 */
import { compareVersions } from './discover.js';
import type {
  HistoryRow,
  MigrationFile,
  MigrationState,
  MigrationStatusRow,
  PlannedMigration,
  ValidationProblem,
} from './types.js';

export interface Reconciliation {
  status: MigrationStatusRow[];
  /** What `up` would run, in order, with the files to run. */
  plan: Array<PlannedMigration & { file: MigrationFile }>;
  problems: ValidationProblem[];
  /** Rows of failed runs (they block `up` until `repair`). */
  failed: HistoryRow[];
}

/**
 * `files` must already be narrowed to the server's flavor and `history` be in run order
 * (installed_rank). Versioned migrations are matched by version, repeatables by file name.
 */
export function reconcile(files: readonly MigrationFile[], history: readonly HistoryRow[]): Reconciliation {
  const status: MigrationStatusRow[] = [];
  const plan: Reconciliation['plan'] = [];
  const problems: ValidationProblem[] = [];
  const failed = history.filter((h) => !h.success);

  for (const h of failed) {
    problems.push({
      kind: 'failed',
      script: h.script,
      version: h.version,
      message: `${h.script} failed at statement ${h.statementsApplied + 1} (run at ${h.installedAt.toISOString()}): ${h.errorMessage ?? 'unknown error'}`,
    });
  }

  // Versioned: one slot per version found on disk or in the history.
  const versionedFiles = new Map(
    files.filter((f) => f.type === 'versioned').map((f) => [f.version ?? '', f]),
  );
  const versionedRuns = groupBy(
    history.filter((h) => h.type === 'versioned'),
    (h) => h.version ?? '',
  );
  const versions = [...new Set([...versionedFiles.keys(), ...versionedRuns.keys()])].sort(compareVersions);
  let highestApplied: string | undefined;
  for (const v of versions) {
    const ok = lastOf((versionedRuns.get(v) ?? []).filter((h) => h.success));
    if (ok && (highestApplied === undefined || compareVersions(v, highestApplied) > 0)) highestApplied = v;
  }
  for (const v of versions) {
    const file = versionedFiles.get(v);
    const runs = versionedRuns.get(v) ?? [];
    const failedRun = lastOf(runs.filter((h) => !h.success));
    const ok = lastOf(runs.filter((h) => h.success));
    const last = failedRun ?? ok;
    let state: MigrationState;
    if (failedRun) state = 'failed';
    else if (ok && !file) state = 'missing';
    else if (ok && file && ok.checksum !== file.checksum) state = 'drifted';
    else if (ok) state = 'applied';
    else state = 'pending';
    status.push(statusRow(file, last, state));

    if (state === 'missing' && ok) {
      problems.push({
        kind: 'missing',
        script: ok.script,
        version: v,
        message: `${ok.script} (version ${v}) was applied at ${ok.installedAt.toISOString()} but is no longer on disk`,
      });
    } else if (state === 'drifted' && ok && file) {
      problems.push({
        kind: 'checksum',
        script: file.script,
        version: v,
        message: `${file.script} was edited after it was applied (checksum now ${file.checksum.slice(0, 12)}…, applied ${ok.checksum.slice(0, 12)}…)`,
      });
    } else if (state === 'pending' && file) {
      if (highestApplied !== undefined && compareVersions(v, highestApplied) < 0) {
        problems.push({
          kind: 'out-of-order',
          script: file.script,
          version: v,
          message: `${file.script} (version ${v}) is pending but version ${highestApplied} is already applied: give it a version above ${highestApplied}`,
        });
      }
      plan.push(planned(file, 'pending'));
    }
  }

  // Repeatables: one slot per file name; the latest run counts.
  const repeatableFiles = new Map(files.filter((f) => f.type === 'repeatable').map((f) => [f.script, f]));
  const repeatableRuns = groupBy(
    history.filter((h) => h.type === 'repeatable'),
    (h) => h.script,
  );
  const scripts = [...new Set([...repeatableFiles.keys(), ...repeatableRuns.keys()])].sort();
  for (const script of scripts) {
    const file = repeatableFiles.get(script);
    const runs = repeatableRuns.get(script) ?? [];
    const failedRun = lastOf(runs.filter((h) => !h.success));
    const ok = lastOf(runs.filter((h) => h.success));
    let state: MigrationState;
    if (failedRun) state = 'failed';
    else if (ok && !file) state = 'missing';
    else if (ok && file && ok.checksum !== file.checksum) state = 'changed';
    else if (ok) state = 'applied';
    else state = 'pending';
    status.push(statusRow(file, failedRun ?? ok, state));
    if (file && (state === 'pending' || state === 'changed')) plan.push(planned(file, state));
  }

  return { status, plan, problems, failed };
}

function statusRow(
  file: MigrationFile | undefined,
  last: HistoryRow | undefined,
  state: MigrationState,
): MigrationStatusRow {
  const from = file ?? last;
  return {
    type: from?.type ?? 'versioned',
    version: from?.version ?? null,
    description: from?.description ?? '',
    script: from?.script ?? '',
    state,
    checksum: file?.checksum ?? null,
    appliedChecksum: last?.checksum ?? null,
    installedAt: last ? last.installedAt.toISOString() : null,
    executionMs: last ? last.executionMs : null,
    statements: file ? file.statements.length : null,
    error: last && !last.success ? last.errorMessage : null,
  };
}

function planned(
  file: MigrationFile,
  reason: 'pending' | 'changed',
): PlannedMigration & { file: MigrationFile } {
  return {
    type: file.type,
    version: file.version,
    description: file.description,
    script: file.script,
    statements: file.statements.length,
    reason,
    file,
  };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function lastOf<T>(items: readonly T[]): T | undefined {
  return items[items.length - 1];
}
