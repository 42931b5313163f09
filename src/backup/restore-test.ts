/**
 * `restoreTest()`: the proof that a backup restores. It is restored into a scratch database on the
 * same server (`mysqlops_verify_<random>`), every table's row count is compared with the manifest,
 * and the scratch database is dropped again, also when something failed.
 */
import { randomBytes } from 'node:crypto';
import type { DatabaseManagerConfig } from '../db/index.js';
import { quoteId } from '../db/index.js';
import { openBackup } from './locate.js';
import { restore } from './restore.js';
import { Session, targetOf } from './session.js';
import type { BackupSettings } from './types.js';
import type { VerifyProblem } from './verify.js';

/**
 * What `restoreTest` resolves with: `ok` when every table restored with the manifest's row count.
 * `database` is the scratch database used, already dropped; `problems` name the tables that differ.
 */
export interface RestoreTestResult {
  ok: boolean;
  database: string;
  tables: number;
  rows: number;
  problems: VerifyProblem[];
  ms: number;
}

/** Restore backup `nameOrPath` (of one database) into a scratch database and check the row counts. */
export async function restoreTest(
  config: DatabaseManagerConfig,
  settings: BackupSettings,
  nameOrPath: string,
): Promise<RestoreTestResult> {
  const started = performance.now();
  const scratch = `mysqlops_verify_${randomBytes(4).toString('hex')}`;
  const target = targetOf(config);
  const admin = await Session.open(target.options, target);
  try {
    const restored = await restore(config, settings, nameOrPath, { targetDb: scratch });
    const { manifest } = await openBackup(settings, nameOrPath);
    const problems: VerifyProblem[] = [];
    let rows = 0;
    for (const t of manifest.tables) {
      const [row] = await admin.rows<{ n: number | string }>(
        `SELECT COUNT(*) AS n FROM ${quoteId(scratch)}.${quoteId(t.table)}`,
      );
      const n = Number(row?.n ?? -1);
      rows += n;
      if (n !== t.rows) {
        problems.push({
          file: t.chunks[0]?.file ?? manifest.schemaFile,
          code: 'E_BACKUP_CORRUPT',
          message: `${t.database}.${t.table} restored ${n} rows, the manifest says ${t.rows}`,
        });
      }
    }
    return {
      ok: problems.length === 0 && restored.rows === manifest.totals.rows,
      database: scratch,
      tables: manifest.tables.length,
      rows,
      problems,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await admin.run(`DROP DATABASE IF EXISTS ${quoteId(scratch)}`).catch(() => {});
    await admin.close();
  }
}
