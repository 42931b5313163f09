/**
 * `runEtl()`: run pipelines under their locks. Full builds (`full`, or a report never completed)
 * one after the other: drain the change log, rebuild into a shadow table, swap it in with one
 * RENAME TABLE and carry the report's triggers over. Then one drain for all incremental pipelines,
 * which run side by side, each recomputing its pending keys in bounded set-based batches, one
 * transaction each. Every run is logged in etl_runs; every write carries the session
 * context `{ user: 'etl' }` for the audit trail.
 */
import { randomUUID } from 'node:crypto';
import {
  type ContextualDatabase,
  DatabaseManager,
  type DatabaseManagerConfig,
  primaryOnly,
  quoteId,
} from '../db/index.js';
import { isConnectionLost, MysqlopsError, UsageError } from '../errors.js';
import { dispatchChanges } from './dispatch.js';
import { LockSession } from './lock.js';
import { DEFINITIONS, fill, LIVE_TARGETS, type PipelineDef, SET_AS_OF } from './pipelines/index.js';
import {
  type EtlProgress,
  PIPELINES,
  type PipelineName,
  type PipelineRunResult,
  type RunEtlOptions,
  type RunEtlResult,
} from './types.js';

/** Keys recomputed per transaction in incremental runs when `RunEtlOptions.batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = 5_000;
/** Connections per partitioned pipeline (RunEtlOptions.workers). */
export const DEFAULT_WORKERS = 2;
/**
 * In-memory temporary tables of up to 256 MiB for full builds (session only; the default 16 MiB
 * sends the GROUP BY of a million order lines to disk and doubles the build time).
 */
export const FULL_BUILD_TMP_TABLE_BYTES = 256 * 1024 * 1024;
export const FULL_BUILD_SESSION = 'SET SESSION tmp_table_size = ?, max_heap_table_size = ?';
const DISPATCH_LOCK = 'dispatch';
const DISPATCH_WAIT_SECONDS = 60;

/** The pipelines named (default all), in run order; unknown names are a UsageError (exit 2). */
export function resolvePipelines(names: readonly string[] | undefined): PipelineName[] {
  if (!names || names.length === 0) return [...PIPELINES];
  const unknown = names.filter((n) => !(PIPELINES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown ETL pipeline${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      `choose from ${PIPELINES.join(', ')}`,
    );
  }
  return PIPELINES.filter((p) => names.includes(p));
}

/**
 * Run the pipelines (all by default) on `config.connection.database`. Incremental unless
 * `options.full`; a pipeline whose report was never completed is built in full. Full builds run
 * first, one at a time; incremental pipelines then run concurrently (one connection each).
 * Results come in PIPELINES order. Throws
 * E_ETL_LOCKED when another run holds a requested pipeline (nothing runs then), and E_ETL when a
 * pipeline fails (after the run log records it; committed batches stay, the rest stays pending).
 *
 * ```ts
 * const r = await runEtl(loadConfig(), { pipelines: ['daily_sales_summary'] });
 * ```
 */
export async function runEtl(
  config: DatabaseManagerConfig,
  options: RunEtlOptions = {},
): Promise<RunEtlResult> {
  const started = performance.now();
  const pipelines = resolvePipelines(options.pipelines);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UsageError(`batchSize must be a positive integer (got ${String(options.batchSize)})`);
  }
  const workers = options.workers ?? DEFAULT_WORKERS;
  if (!Number.isInteger(workers) || workers < 1 || workers > 16) {
    throw new UsageError(`workers must be an integer from 1 to 16 (got ${String(options.workers)})`);
  }
  const database = config.connection.database;
  if (!database) {
    throw new MysqlopsError({ code: 'E_CONFIG', message: 'the ETL needs a database (DB_NAME)', exitCode: 2 });
  }
  const report = options.onProgress ?? (() => {});
  // One connection per worker running at once (incremental pipelines run side by side), plus one.
  const connections = pipelines.reduce((n, p) => n + (DEFINITIONS[p].partitioned ? workers : 1), 1);
  const manager = new DatabaseManager({
    ...primaryOnly(config),
    pool: { ...config.pool, size: connections },
  });
  let locks: LockSession | undefined;
  try {
    await manager.initialize();
    locks = await LockSession.open(config, database);
    await locks.takePipelines(pipelines);
    const held = locks;
    report({
      pipeline: null,
      phase: 'lock',
      message: `holding the ETL locks of ${pipelines.join(', ')}`,
      done: 0,
      total: 0,
    });
    const db = manager.withContext({ user: 'etl', requestId: `etl-${randomUUID()}` });
    const built = new Set(
      (await db.query<{ pipeline: string }>('SELECT pipeline FROM etl_state WHERE built = 1')).map(
        (r) => r.pipeline,
      ),
    );
    const full = pipelines.filter((p) => options.full || !built.has(p));
    const incremental = pipelines.filter((p) => !full.includes(p));
    const results = new Map<PipelineName, { result: PipelineRunResult; failure?: unknown }>();
    const one = (name: PipelineName) =>
      runPipeline(db, held, DEFINITIONS[name], { ...options, batchSize, workers }, report);
    // Full builds one after the other: each is CPU-bound and may use 256 MiB of in-memory
    // temporary tables. A failure stops the run, as before any incremental work.
    for (const name of full) {
      const r = await one(name);
      results.set(name, r);
      if (r.result.status === 'failed') throw pipelineFailed(r.result, r.failure);
    }
    // Incremental pipelines side by side, each from when the drain has queued its keys (one drain
    // for all capturing pipelines; changes committed after it wait for the next run). Their
    // batches are short and wait mostly on round trips and page reads, which overlap well; each
    // pipeline has its own keys, report, helper tables and lock.
    if (incremental.length > 0) {
      report({
        pipeline: null,
        phase: 'dispatch',
        message: 'draining the change log',
        done: 0,
        total: 0,
      });
      // Each pipeline starts as soon as its keys are committed (dispatch.ts, FIRST_STAGE).
      const running = new Map<PipelineName, ReturnType<typeof one>>();
      const start = (names: readonly PipelineName[]) => {
        for (const name of names) {
          if (!incremental.includes(name) || running.has(name)) continue;
          const run = one(name);
          // Observed now, settled below: a rejection while the drain goes on is not unhandled.
          run.catch(() => {});
          running.set(name, run);
        }
      };
      try {
        await withDispatchLock(held, () => dispatchChanges(db, start));
      } catch (err) {
        // Pipelines already running finish their keys before the run reports the drain's failure.
        await Promise.allSettled(running.values());
        throw err;
      }
      start(incremental);
      const settled = await Promise.allSettled(
        incremental.map((name) => running.get(name) as ReturnType<typeof one>),
      );
      settled.forEach((s, i) => {
        if (s.status === 'fulfilled') results.set(incremental[i] as PipelineName, s.value);
      });
      const rejected = settled.find((s) => s.status === 'rejected');
      if (rejected) throw (rejected as PromiseRejectedResult).reason;
      for (const name of incremental) {
        const r = results.get(name);
        if (r && r.result.status === 'failed') throw pipelineFailed(r.result, r.failure);
      }
    }
    return {
      database,
      pipelines: pipelines.flatMap((p) => results.get(p)?.result ?? []),
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await locks?.close();
    await manager.close();
  }
}

function pipelineFailed(r: PipelineRunResult, failure: unknown): MysqlopsError {
  return new MysqlopsError({
    code: 'E_ETL',
    message: `ETL pipeline ${r.pipeline} failed: ${r.error}`,
    hint: 'batches already committed stay; the rest stays pending: fix the cause and run `mysqlops etl run` again',
    cause: failure,
  });
}

interface State {
  built: number;
  /** A decimal string: change ids (UUID_SHORT) exceed what a JavaScript number holds exactly. */
  last_change_id: string;
}

async function runPipeline(
  db: ContextualDatabase,
  locks: LockSession,
  def: PipelineDef,
  options: RunEtlOptions & { batchSize: number; workers: number },
  report: (e: EtlProgress) => void,
): Promise<{ result: PipelineRunResult; failure?: unknown }> {
  const started = performance.now();
  const name = def.name;
  const before = await readState(db, name);
  const mode: 'full' | 'incremental' = options.full || before.built !== 1 ? 'full' : 'incremental';
  const { insertId: runId } = await db.execute(
    `INSERT INTO etl_runs (pipeline, mode, status, started_at, watermark_before)
     VALUES (?, ?, 'running', UTC_TIMESTAMP(3), ?)`,
    [name, mode, before.last_change_id],
  );
  const counts = { batches: 0, rowsRead: 0, rowsWritten: 0 };
  let error: string | undefined;
  let failure: unknown;
  try {
    if (mode === 'full') await fullBuild(db, locks, def, counts, report);
    else await incremental(db, def, options, counts, report);
  } catch (err) {
    failure = err;
    error = err instanceof Error ? err.message : String(err);
  }
  const after = await readState(db, name).catch(() => before);
  // One transaction (one commit) for the run log and the state.
  await db
    .transaction(async (tx) => {
      await tx.execute(
        `UPDATE etl_runs SET status = ?, finished_at = UTC_TIMESTAMP(3), batches = ?, rows_read = ?, rows_written = ?,
           watermark_after = ?, error = ? WHERE run_id = ?`,
        [
          error ? 'failed' : 'success',
          counts.batches,
          counts.rowsRead,
          counts.rowsWritten,
          after.last_change_id,
          error?.slice(0, 1000) ?? null,
          runId,
        ],
      );
      if (!error) {
        await tx.execute('UPDATE etl_state SET last_run_at = UTC_TIMESTAMP() WHERE pipeline = ?', [name]);
      }
    })
    .catch((err: unknown) => {
      // A failed run keeps its own error; a successful one must not pass for done without its log.
      if (!error) throw err;
    });
  report({
    pipeline: name,
    phase: 'done',
    message: `${name}: ${mode} run ${error ? 'failed' : 'done'}`,
    done: 1,
    total: 1,
  });
  return {
    result: {
      pipeline: name,
      runId,
      mode,
      status: error ? 'failed' : 'success',
      ...counts,
      watermarkBefore: before.last_change_id,
      watermarkAfter: after.last_change_id,
      ms: Math.round(performance.now() - started),
      ...(error ? { error } : {}),
    },
    failure,
  };
}

async function readState(db: ContextualDatabase, name: PipelineName): Promise<State> {
  const [row] = await db.query<State>(
    'SELECT built, CAST(last_change_id AS CHAR) AS last_change_id FROM etl_state WHERE pipeline = ?',
    [name],
  );
  if (!row) {
    throw new MysqlopsError({
      code: 'E_ETL',
      message: `etl_state has no row for ${name}: the ETL tables are missing or incomplete`,
      hint: 'run `mysqlops migrate up` (migration V0005 creates them)',
    });
  }
  return { built: Number(row.built), last_change_id: String(row.last_change_id) };
}

async function withDispatchLock<T>(locks: LockSession, fn: () => Promise<T>): Promise<T> {
  const holder = await locks.take(DISPATCH_LOCK, DISPATCH_WAIT_SECONDS);
  if (holder !== null) {
    throw new MysqlopsError({
      code: 'E_ETL_LOCKED',
      message: `the ETL change log is being drained by another run (server connection ${holder}) for more than ${DISPATCH_WAIT_SECONDS} s`,
      hint: 'run again later',
    });
  }
  try {
    return await fn();
  } finally {
    await locks.release(DISPATCH_LOCK);
  }
}

type Counts = { batches: number; rowsRead: number; rowsWritten: number };

/**
 * Rebuild into `<report>__etl_new` and swap it in with one RENAME TABLE: readers see the old
 * report until the new one is complete. Changes committed after `capturing` is set are queued
 * for this pipeline, so the next incremental run catches what the build's snapshot missed.
 */
async function fullBuild(
  db: ContextualDatabase,
  locks: LockSession,
  def: PipelineDef,
  counts: Counts,
  report: (e: EtlProgress) => void,
): Promise<void> {
  const name = def.name;
  const shadow = `${name}__etl_new`;
  const old = `${name}__etl_old`;
  const steps = 4;
  report({
    pipeline: name,
    phase: 'dispatch',
    message: `${name}: draining the change log`,
    done: 0,
    total: steps,
  });
  await withDispatchLock(locks, async () => {
    await dispatchChanges(db);
    await db.execute('UPDATE etl_state SET built = 0, capturing = 1 WHERE pipeline = ?', [name]);
    for (;;) {
      const r = await db.execute('DELETE FROM etl_pending WHERE pipeline = ? LIMIT 50000', [name]);
      if (r.affectedRows < 50_000) break;
    }
  });
  if (name === 'customer_order_summary') await db.execute(SET_AS_OF);
  report({ pipeline: name, phase: 'full', message: `${name}: building ${shadow}`, done: 1, total: steps });
  await db.execute(`DROP TABLE IF EXISTS ${quoteId(shadow)}, ${quoteId(old)}`);
  await db.execute(`CREATE TABLE ${quoteId(shadow)} LIKE ${quoteId(name)}`);
  for (const h of def.helpers) {
    await db.execute(`TRUNCATE TABLE ${quoteId(LIVE_TARGETS(name)[h])}`);
  }
  // Rows read: the source tables' sizes from InnoDB statistics (an estimate; counting them exactly
  // would cost a scan per pipeline).
  const [source] = await db.query<{ n: number }>(
    `SELECT SUM(TABLE_ROWS) AS n FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('orders', 'order_items')`,
  );
  counts.rowsRead = Number(source?.n ?? 0);
  // A held connection: the build may use temporary tables (ranks), and its session settings must
  // not go back to the pool with it.
  counts.rowsWritten = await db.session(async (s) => {
    await s.execute(FULL_BUILD_SESSION, [FULL_BUILD_TMP_TABLE_BYTES, FULL_BUILD_TMP_TABLE_BYTES]);
    return s.transaction((tx) => def.build(tx, { ...LIVE_TARGETS(name), report: shadow }), {
      isolationLevel: 'READ COMMITTED',
    });
  });
  counts.batches = 1;
  report({
    pipeline: name,
    phase: 'full',
    message: `${name}: swapping in the new report`,
    done: 3,
    total: steps,
  });
  const triggers = await triggersOf(db, name);
  await db.execute(
    `RENAME TABLE ${quoteId(name)} TO ${quoteId(old)}, ${quoteId(shadow)} TO ${quoteId(name)}`,
  );
  // The old table leaves with its triggers (audit triggers from audit_config, say): recreate them
  // on the new one. Trigger names are unique per schema, so this can only follow the DROP; until
  // then only this run writes the report (it holds the pipeline's lock).
  await db.execute(`DROP TABLE ${quoteId(old)}`);
  await recreateTriggers(db, name, triggers);
  // Idempotent (it writes only what differs), so retried whole after a lost connection; before
  // `built`, so a failure leaves the pipeline to be built in full again by the next run.
  const afterSwap = def.afterSwap;
  if (afterSwap) await retryTransient({}, () => afterSwap(db));
  await db.execute('UPDATE etl_state SET built = 1, last_full_at = UTC_TIMESTAMP() WHERE pipeline = ?', [
    name,
  ]);
}

/** A trigger as SHOW CREATE TRIGGER describes it: the statement and the session it was made in. */
interface TriggerDefinition {
  name: string;
  statement: string;
  sqlMode: string;
  charset: string;
  collation: string;
}

/** The triggers of `table`, in the order they fire (definer, body and sql_mode included). */
async function triggersOf(db: ContextualDatabase, table: string): Promise<TriggerDefinition[]> {
  const names = await db.query<{ name: string }>(
    `SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS
     WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ?
     ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [table],
  );
  const out: TriggerDefinition[] = [];
  for (const { name } of names) {
    const [row] = await db.query<Record<string, string>>(`SHOW CREATE TRIGGER ${quoteId(name)}`);
    const statement = row?.['SQL Original Statement'];
    if (!row || !statement) continue;
    out.push({
      name,
      statement,
      sqlMode: row.sql_mode ?? '',
      charset: row.character_set_client ?? 'utf8mb4',
      collation: row.collation_connection ?? 'utf8mb4_unicode_ci',
    });
  }
  return out;
}

async function recreateTriggers(
  db: ContextualDatabase,
  table: string,
  triggers: readonly TriggerDefinition[],
): Promise<void> {
  if (triggers.length === 0) return;
  // One pinned connection: each trigger is created in the session settings it was defined with.
  await db.transaction(async (tx) => {
    const [saved] = await tx.query<{ mode: string }>('SELECT @@SESSION.sql_mode AS mode');
    try {
      for (const t of triggers) {
        await tx.execute('SET SESSION sql_mode = ?', [t.sqlMode]);
        await tx.execute(`SET NAMES ${quoteCharset(t.charset)} COLLATE ${quoteCharset(t.collation)}`);
        try {
          await tx.execute(t.statement);
        } catch (err) {
          throw new MysqlopsError({
            code: 'E_ETL',
            message: `the full refresh of ${table} could not recreate its trigger ${t.name}: ${(err as Error).message}`,
            hint: 'the report is complete but lacks that trigger: recreate it (for audit triggers: `mysqlops audit apply`); the ETL account needs TRIGGER, and SET USER (MariaDB) / SET_USER_ID (MySQL) for triggers defined by another account',
            cause: err,
          });
        }
      }
    } finally {
      await tx.execute('SET SESSION sql_mode = ?', [saved?.mode ?? '']);
      await tx.execute('SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci');
    }
  });
}

/** A character set or collation name as SHOW CREATE TRIGGER reports it, checked before use. */
function quoteCharset(name: string): string {
  if (!/^\w+$/.test(name)) {
    throw new MysqlopsError({
      code: 'E_ETL',
      message: `unexpected character set name from the server: ${name}`,
    });
  }
  return name;
}

/** Recompute the pipeline's pending keys (the caller drained the change log just before). */
async function incremental(
  db: ContextualDatabase,
  def: PipelineDef,
  options: RunEtlOptions & { batchSize: number; workers: number },
  counts: Counts,
  report: (e: EtlProgress) => void,
): Promise<void> {
  const name = def.name;
  if (def.prepare) {
    const prepare = def.prepare;
    await retryTransient(options, () =>
      db.transaction((tx) => prepare(tx), { isolationLevel: 'READ COMMITTED' }),
    );
  }
  const [p] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM etl_pending WHERE pipeline = ?', [
    name,
  ]);
  const total = Number(p?.n ?? 0);
  const t = LIVE_TARGETS(name);
  let done = 0;
  // Worker w of n takes the keys with k1 % n = w: disjoint rows, so the workers never wait on
  // each other's locks, and a failed worker leaves only its own keys pending.
  const n = def.partitioned ? options.workers : 1;
  const worker = async (w: number) => {
    const part = n > 1 ? ` AND k1 % ${n} = ${w}` : '';
    for (;;) {
      if (options.signal?.aborted) {
        throw new MysqlopsError({
          code: 'E_ETL',
          message: `interrupted after ${counts.batches} batch(es); the remaining keys stay pending`,
        });
      }
      const r = await retryTransient(options, () =>
        db.transaction(
          async (tx) => {
            await tx.execute(fill('DROP TEMPORARY TABLE IF EXISTS {batch}', t));
            await tx.execute(
              fill(
                'CREATE TEMPORARY TABLE {batch} (k1 BIGINT UNSIGNED NOT NULL, k2 INT UNSIGNED NOT NULL, PRIMARY KEY (k1, k2) USING BTREE) ENGINE = MEMORY',
                t,
              ),
            );
            const keys = (
              await tx.execute(
                fill(
                  `INSERT INTO {batch} SELECT k1, k2 FROM etl_pending WHERE pipeline = ?${part} ORDER BY k1, k2 LIMIT ?`,
                  t,
                ),
                [name, options.batchSize],
              )
            ).affectedRows;
            let written = 0;
            if (keys > 0) {
              written = await def.batch(tx, t);
              await tx.execute(
                fill(
                  'DELETE p FROM etl_pending p JOIN {batch} b ON p.pipeline = ? AND p.k1 = b.k1 AND p.k2 = b.k2',
                  t,
                ),
                [name],
              );
            }
            await tx.execute(fill('DROP TEMPORARY TABLE {batch}', t));
            return { keys, written };
          },
          { isolationLevel: 'READ COMMITTED' },
        ),
      );
      if (r.keys === 0) break;
      counts.batches++;
      counts.rowsRead += r.keys;
      counts.rowsWritten += r.written;
      done += r.keys;
      report({
        pipeline: name,
        phase: 'batch',
        message: `${name}: batch ${counts.batches}`,
        done,
        total: Math.max(total, done),
      });
      // A short batch took the last keys: asking again would cost a transaction for nothing (keys
      // queued meanwhile by another run's drain wait for the next run).
      if (r.keys < options.batchSize) break;
    }
  };
  // allSettled: a failing worker must not leave the others' transactions running unobserved.
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, w) => worker(w)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  if (def.finish) {
    const finish = def.finish;
    report({
      pipeline: name,
      phase: 'finish',
      message: `${name}: finishing`,
      done,
      total: Math.max(total, done),
    });
    await retryTransient(options, () =>
      db.transaction((tx) => finish(tx, t), { isolationLevel: 'READ COMMITTED' }),
    );
  }
}

/**
 * Run `fn` again after a transient failure: a lost connection, or a transaction that ran out of
 * its own deadlock retries. Each batch is idempotent (its keys leave the queue only when it commits).
 */
export async function retryTransient<T>(
  options: Pick<RunEtlOptions, 'maxRetries'> & { baseDelayMs?: number },
  fn: () => Promise<T>,
): Promise<T> {
  const max = options.maxRetries ?? 5;
  const base = options.baseDelayMs ?? 100;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const transient =
        isConnectionLost(err) ||
        (err instanceof MysqlopsError &&
          (err.code === 'E_CONNECTION_LOST' || err.code === 'E_TRANSACTION_RETRIES'));
      if (!transient || attempt >= max) throw err;
      await new Promise((r) => setTimeout(r, Math.min(5000, base * 2 ** attempt)));
    }
  }
}
