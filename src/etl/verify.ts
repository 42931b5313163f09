/**
 * `verifyEtl()`: rebuild every report from scratch into temporary tables, with the very statements
 * `--full` uses, and compare them row by row with the live reports (every column but
 * created_at/updated_at), and customers.segment with the rebuilt customer report. Changes nothing;
 * the temporary tables vanish with the connection.
 */
import {
  DatabaseManager,
  type DatabaseManagerConfig,
  primaryOnly,
  quoteId,
  type Transaction,
} from '../db/index.js';
import { MysqlopsError } from '../errors.js';
import { DEFINITIONS, type Targets } from './pipelines/index.js';
import { FULL_BUILD_SESSION, FULL_BUILD_TMP_TABLE_BYTES, resolvePipelines } from './run.js';
import type { PipelineName } from './types.js';

/**
 * One disagreement `verifyEtl` found between a live report and its fresh rebuild: a row the report
 * lacks (`missing`), a row it should not have (`extra`), or a row whose values differ (`different`).
 */
export interface VerifyDifference {
  kind: 'missing' | 'extra' | 'different';
  /** The report row's key, e.g. `{ customer_id: 42 }`. */
  key: Record<string, unknown>;
  /** For `different`: each differing column with the recomputed (`expected`) and stored (`actual`) value. */
  columns?: Array<{ column: string; expected: unknown; actual: unknown }>;
}

/**
 * `verifyEtl`'s verdict on one report: row counts of the live report (`rows`) and of the rebuild
 * (`expectedRows`), the number of missing, extra and different rows, and a sample of them.
 */
export interface VerifyPipelineResult {
  pipeline: PipelineName;
  rows: number;
  expectedRows: number;
  ok: boolean;
  missing: number;
  extra: number;
  /** Rows with differing values; for customer_order_summary also customers whose segment disagrees. */
  different: number;
  /** The first differences (at most `limit` per kind). */
  differences: VerifyDifference[];
}

/**
 * What `verifyEtl` resolves with: `ok` when every report checked matches its rebuild. Check
 * `pendingChanges` before reading a failure as a bug: unprocessed changes make differences expected.
 */
export interface VerifyEtlResult {
  ok: boolean;
  /** Changes captured but not yet processed: differences are expected until `etl run` runs. */
  pendingChanges: number;
  pipelines: VerifyPipelineResult[];
}

const SKIP = new Set(['created_at', 'updated_at']);

/**
 * Compare the reports with a fresh recomputation. `ok` is false when any row is missing, extra or
 * different; `differences` lists the first `limit` (default 20) of each kind per report.
 */
export async function verifyEtl(
  config: DatabaseManagerConfig,
  options: { pipelines?: readonly string[]; limit?: number } = {},
): Promise<VerifyEtlResult> {
  const pipelines = resolvePipelines(options.pipelines);
  const limit = options.limit ?? 20;
  const db = new DatabaseManager({ ...primaryOnly(config), pool: { ...config.pool, size: 1 } });
  try {
    const [log] = await db.query<{ n: number }>(
      'SELECT (SELECT COUNT(*) FROM etl_change_log) + (SELECT COUNT(*) FROM etl_pending) AS n',
    );
    const results: VerifyPipelineResult[] = [];
    for (const name of pipelines) {
      results.push(
        await db.transaction((tx) => verifyOne(tx, name, limit), { isolationLevel: 'READ COMMITTED' }),
      );
    }
    return { ok: results.every((r) => r.ok), pendingChanges: Number(log?.n ?? 0), pipelines: results };
  } catch (err) {
    if (err instanceof MysqlopsError) throw err;
    throw new MysqlopsError({
      code: 'E_ETL',
      message: `etl verify failed: ${(err as Error).message}`,
      cause: err,
    });
  } finally {
    await db.close();
  }
}

async function verifyOne(tx: Transaction, name: PipelineName, limit: number): Promise<VerifyPipelineResult> {
  const def = DEFINITIONS[name];
  const t: Targets = {
    report: 'etl_verify_report',
    monthly: 'etl_verify_monthly',
    customerMonthly: 'etl_verify_customer_monthly',
    cohort: 'etl_verify_cohort',
    batch: 'etl_verify_batch',
  };
  const temps = [t.report, t.monthly, t.customerMonthly, t.cohort];
  await tx.execute(`DROP TEMPORARY TABLE IF EXISTS ${temps.map(quoteId).join(', ')}`);
  await tx.execute(`CREATE TEMPORARY TABLE ${quoteId(t.report)} LIKE ${quoteId(name)}`);
  await tx.execute(`CREATE TEMPORARY TABLE ${quoteId(t.monthly)} LIKE etl_product_monthly`);
  await tx.execute(`CREATE TEMPORARY TABLE ${quoteId(t.cohort)} LIKE etl_customer_cohort`);
  await tx.execute(`CREATE TEMPORARY TABLE ${quoteId(t.customerMonthly)} LIKE etl_customer_monthly`);
  try {
    await tx.execute(FULL_BUILD_SESSION, [FULL_BUILD_TMP_TABLE_BYTES, FULL_BUILD_TMP_TABLE_BYTES]);
    await def.build(tx, t);
    const columns = (
      await tx.query<{ c: string }>(
        `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
        [name],
      )
    )
      .map((r) => r.c)
      .filter((c) => !SKIP.has(c));
    const keys = def.keyColumns;
    const values = columns.filter((c) => !keys.includes(c));
    const on = keys.map((k) => `e.${quoteId(k)} = a.${quoteId(k)}`).join(' AND ');
    const keyList = (alias: string) => keys.map((k) => `${alias}.${quoteId(k)} AS ${quoteId(k)}`).join(', ');
    const live = quoteId(name);
    const fresh = quoteId(t.report);
    const differences: VerifyDifference[] = [];
    const count = async (sql: string) => Number((await tx.query<{ n: number }>(sql))[0]?.n ?? 0);

    const missingWhere = `FROM ${fresh} e LEFT JOIN ${live} a ON ${on} WHERE a.${quoteId(keys[0] as string)} IS NULL`;
    const extraWhere = `FROM ${live} a LEFT JOIN ${fresh} e ON ${on} WHERE e.${quoteId(keys[0] as string)} IS NULL`;
    const same = values.map((c) => `e.${quoteId(c)} <=> a.${quoteId(c)}`).join(' AND ');
    const diffWhere = `FROM ${fresh} e JOIN ${live} a ON ${on} WHERE NOT (${same})`;

    const missing = await count(`SELECT COUNT(*) AS n ${missingWhere}`);
    const extra = await count(`SELECT COUNT(*) AS n ${extraWhere}`);
    const different = await count(`SELECT COUNT(*) AS n ${diffWhere}`);
    const keyOf = (row: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, row[k]]));
    for (const row of await tx.query(`SELECT ${keyList('e')} ${missingWhere} LIMIT ${limit}`)) {
      differences.push({ kind: 'missing', key: keyOf(row) });
    }
    for (const row of await tx.query(`SELECT ${keyList('a')} ${extraWhere} LIMIT ${limit}`)) {
      differences.push({ kind: 'extra', key: keyOf(row) });
    }
    const pairs = values.map(
      (c) => `e.${quoteId(c)} AS ${quoteId(`e__${c}`)}, a.${quoteId(c)} AS ${quoteId(`a__${c}`)}`,
    );
    for (const row of await tx.query(
      `SELECT ${keyList('e')}, ${pairs.join(', ')} ${diffWhere} LIMIT ${limit}`,
    )) {
      const cols = values
        .filter((c) => !sameValue(row[`e__${c}`], row[`a__${c}`]))
        .map((c) => ({ column: c, expected: row[`e__${c}`], actual: row[`a__${c}`] }));
      differences.push({ kind: 'different', key: keyOf(row), columns: cols });
    }
    let segments = 0;
    if (name === 'customer_order_summary') {
      // customers.segment follows the report (docs/etl.md, "Segments"); 'new' without orders.
      const segmentWhere = `FROM customers c LEFT JOIN ${fresh} e ON e.customer_id = c.customer_id
        WHERE c.segment <> COALESCE(e.customer_segment, 'new')`;
      segments = await count(`SELECT COUNT(*) AS n ${segmentWhere}`);
      for (const row of await tx.query<{ customer_id: number; expected: string; actual: string }>(
        `SELECT c.customer_id, COALESCE(e.customer_segment, 'new') AS expected, c.segment AS actual
         ${segmentWhere} ORDER BY c.customer_id LIMIT ${limit}`,
      )) {
        differences.push({
          kind: 'different',
          key: { customer_id: row.customer_id },
          columns: [{ column: 'customers.segment', expected: row.expected, actual: row.actual }],
        });
      }
    }
    const rows = await count(`SELECT COUNT(*) AS n FROM ${live}`);
    const expectedRows = await count(`SELECT COUNT(*) AS n FROM ${fresh}`);
    return {
      pipeline: name,
      rows,
      expectedRows,
      ok: missing + extra + different + segments === 0,
      missing,
      extra,
      different: different + segments,
      differences,
    };
  } finally {
    await tx.execute(`DROP TEMPORARY TABLE IF EXISTS ${temps.map(quoteId).join(', ')}`);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b || String(a) === String(b);
}
