/**
 * `topQueries()`: a pt-query-digest style report from performance_schema's statement digests,
 * costliest first by total latency. Counters cover the time since the server started or since the
 * digest table was last truncated; a full digest table (performance_schema_digests_size) lumps new
 * statements into one row with a NULL digest.
 */
import type { DatabaseManager } from '../db/index.js';
import {
  digestsOffError,
  performanceSchemaOffError,
  performanceSchemaState,
  psToMs,
  schemaCondition,
  toNumber,
} from './server-state.js';
import type { QueryDigest, QueryReportOptions } from './types.js';

const MAX_LIMIT = 1000;

/**
 * The top statements by total latency. p95 comes from QUANTILE_95 on MySQL 8; MariaDB's digest
 * table has no quantiles, so `p95Ms` is null there.
 * @throws MysqlopsError E_PERFORMANCE_SCHEMA_OFF when performance_schema is off.
 */
export async function topQueries(
  db: DatabaseManager,
  options: QueryReportOptions = {},
): Promise<QueryDigest[]> {
  await db.initialize();
  const ps = await performanceSchemaState(db);
  if (!ps.enabled) throw performanceSchemaOffError('the query report');
  if (!ps.statementDigests) throw digestsOffError();
  const limit = Math.max(1, Math.min(Math.trunc(options.limit ?? 10), MAX_LIMIT));
  const quantiles = !db.flavor.isMariaDB && db.flavor.atLeast(8, 0, 3);
  const where = schemaCondition('SCHEMA_NAME', options.schemas);
  // Statements run without a default schema have SCHEMA_NAME NULL; keep them in the unfiltered view.
  const filter = options.schemas?.length ? where.sql : `(SCHEMA_NAME IS NULL OR ${where.sql})`;
  const [total] = await db.query<{ t: unknown }>(
    `SELECT SUM(SUM_TIMER_WAIT) AS t FROM performance_schema.events_statements_summary_by_digest WHERE ${filter}`,
    where.params,
  );
  const totalPs = toNumber(total?.t) ?? 0;
  const rows = await db.query<Record<string, unknown>>(
    `SELECT SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, AVG_TIMER_WAIT, MAX_TIMER_WAIT,
            ${quantiles ? 'QUANTILE_95' : 'NULL AS QUANTILE_95'}, SUM_LOCK_TIME, SUM_ERRORS, SUM_WARNINGS,
            SUM_ROWS_AFFECTED, SUM_ROWS_SENT, SUM_ROWS_EXAMINED, SUM_CREATED_TMP_TABLES,
            SUM_CREATED_TMP_DISK_TABLES, SUM_NO_INDEX_USED, SUM_NO_GOOD_INDEX_USED,
            DATE_FORMAT(FIRST_SEEN, '%Y-%m-%dT%H:%i:%s') AS FIRST_SEEN, DATE_FORMAT(LAST_SEEN, '%Y-%m-%dT%H:%i:%s') AS LAST_SEEN
       FROM performance_schema.events_statements_summary_by_digest
      WHERE ${filter}
      ORDER BY SUM_TIMER_WAIT DESC
      LIMIT ${limit}`,
    where.params,
  );
  return rows.map((r, i) => {
    const n = (k: string) => toNumber(r[k]) ?? 0;
    const sent = n('SUM_ROWS_SENT');
    const examined = n('SUM_ROWS_EXAMINED');
    return {
      rank: i + 1,
      schema: r.SCHEMA_NAME == null ? null : String(r.SCHEMA_NAME),
      digest: r.DIGEST == null ? null : String(r.DIGEST),
      query: r.DIGEST_TEXT == null ? '(other statements: the digest table is full)' : String(r.DIGEST_TEXT),
      calls: n('COUNT_STAR'),
      totalMs: psToMs(r.SUM_TIMER_WAIT),
      totalPct: totalPs > 0 ? Math.round((10_000 * n('SUM_TIMER_WAIT')) / totalPs) / 100 : 0,
      avgMs: psToMs(r.AVG_TIMER_WAIT),
      maxMs: psToMs(r.MAX_TIMER_WAIT),
      p95Ms: r.QUANTILE_95 == null ? null : psToMs(r.QUANTILE_95),
      lockMs: psToMs(r.SUM_LOCK_TIME),
      rowsExamined: examined,
      rowsSent: sent,
      rowsAffected: n('SUM_ROWS_AFFECTED'),
      examinedPerSent: sent > 0 ? Math.round((100 * examined) / sent) / 100 : null,
      fullScans: n('SUM_NO_INDEX_USED'),
      noGoodIndex: n('SUM_NO_GOOD_INDEX_USED'),
      tmpTables: n('SUM_CREATED_TMP_TABLES'),
      tmpDiskTables: n('SUM_CREATED_TMP_DISK_TABLES'),
      errors: n('SUM_ERRORS'),
      warnings: n('SUM_WARNINGS'),
      firstSeen: r.FIRST_SEEN == null ? null : String(r.FIRST_SEEN),
      lastSeen: r.LAST_SEEN == null ? null : String(r.LAST_SEEN),
    };
  });
}
