/**
 * `indexReport()`: indexes that cost writes and space for nothing. Unused indexes (no reads since
 * the server started, from performance_schema), duplicate and redundant indexes (the
 * pt-duplicate-key-checker rule: an index whose columns are a left prefix of another's), each with
 * the DROP statement suggested, and tables without a primary key.
 */
import { type DatabaseManager, quoteId } from '../db/index.js';
import { num, performanceSchemaState, readGlobalStatus, schemaCondition, toNumber } from './server-state.js';
import type { IndexRef, IndexReport, RedundantIndex, TableWithoutPrimaryKey, UnusedIndex } from './types.js';

/** One index as read from information_schema.STATISTICS. */
export interface IndexDef extends IndexRef {
  /** BTREE, HASH, FULLTEXT, SPATIAL. */
  type: string;
  /** Columns with their prefix length, `name(10)`, as the comparison key. */
  parts: string[];
  /** True when every column is NOT NULL. */
  notNull: boolean;
}

/** Options of `indexReport`. */
export interface IndexReportOptions {
  /** Only these schemas. Default every schema but the server's own. */
  schemas?: readonly string[];
}

/** Every index of the chosen schemas, grouped by table. */
export async function readIndexes(
  db: DatabaseManager,
  schemas?: readonly string[],
): Promise<Map<string, IndexDef[]>> {
  const where = schemaCondition('TABLE_SCHEMA', schemas);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, INDEX_NAME AS i, NON_UNIQUE AS nu, COLUMN_NAME AS c,
            SUB_PART AS sub, INDEX_TYPE AS type, NULLABLE AS nullable
       FROM information_schema.STATISTICS
      WHERE ${where.sql}
      ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    where.params,
  );
  const byTable = new Map<string, IndexDef[]>();
  let current: IndexDef | undefined;
  for (const r of rows) {
    const schema = String(r.s);
    const table = String(r.t);
    const index = String(r.i);
    const column = String(r.c);
    const sub = toNumber(r.sub);
    if (!current || current.schema !== schema || current.table !== table || current.index !== index) {
      current = {
        schema,
        table,
        index,
        columns: [],
        parts: [],
        unique: Number(r.nu) === 0,
        type: String(r.type),
        notNull: true,
      };
      const key = `${schema}.${table}`;
      const list = byTable.get(key) ?? [];
      list.push(current);
      byTable.set(key, list);
    }
    current.columns.push(column);
    current.parts.push(sub === null ? column : `${column}(${sub})`);
    if (String(r.nullable) === 'YES') current.notNull = false;
  }
  return byTable;
}

/** `ALTER TABLE ... DROP INDEX ...`, or null when a name is not one quoteId accepts. */
export function dropStatement(ix: IndexRef): string | null {
  try {
    return `ALTER TABLE ${quoteId(ix.schema)}.${quoteId(ix.table)} DROP INDEX ${quoteId(ix.index)};`;
  } catch {
    return null;
  }
}

function ref(ix: IndexDef): IndexRef {
  return { schema: ix.schema, table: ix.table, index: ix.index, columns: ix.columns, unique: ix.unique };
}

function startsWith(long: readonly string[], short: readonly string[]): boolean {
  return short.length <= long.length && short.every((p, i) => long[i] === p);
}

/** Which of two identical indexes to keep: PRIMARY, then unique, then the first by name. */
function keeps(a: IndexDef, b: IndexDef): boolean {
  if (a.index === 'PRIMARY' || b.index === 'PRIMARY') return a.index === 'PRIMARY';
  if (a.unique !== b.unique) return a.unique;
  return a.index < b.index;
}

/**
 * Duplicate and redundant indexes of one table (pt-duplicate-key-checker's rule). Duplicate: the
 * same columns in the same order and of the same type; the PRIMARY or unique one is kept. Redundant:
 * a non-unique BTREE index whose columns are a left prefix of another BTREE index's (any lookup it
 * serves, the longer one serves too). A unique index is never redundant by a longer one: it
 * enforces a rule. Each index is reported once.
 */
export function findRedundant(indexes: readonly IndexDef[]): RedundantIndex[] {
  const out: RedundantIndex[] = [];
  const reported = new Set<string>();
  for (const a of indexes) {
    if (a.index === 'PRIMARY') continue;
    for (const b of indexes) {
      if (a === b || reported.has(a.index) || reported.has(b.index)) continue;
      if (a.type !== b.type) continue;
      const same = a.parts.length === b.parts.length && startsWith(b.parts, a.parts);
      if (same && !keeps(a, b)) {
        out.push({ ...ref(a), kind: 'duplicate', coveredBy: ref(b), drop: dropStatement(a) });
        reported.add(a.index);
      } else if (!same && !a.unique && a.type === 'BTREE' && startsWith(b.parts, a.parts)) {
        out.push({ ...ref(a), kind: 'redundant', coveredBy: ref(b), drop: dropStatement(a) });
        reported.add(a.index);
      }
    }
  }
  return out;
}

/**
 * Indexes that no statement has read from or looked up through since the server started: those
 * with no row, or a zero count, in table_io_waits_summary_by_index_usage. A table that was never
 * opened since start-up has no rows there; its indexes are unused for that span too.
 */
async function unusedIndexes(
  db: DatabaseManager,
  byTable: Map<string, IndexDef[]>,
  schemas?: readonly string[],
): Promise<UnusedIndex[]> {
  const where = schemaCondition('OBJECT_SCHEMA', schemas);
  const rows = await db.query<{ s: string; t: string; i: string; n: unknown }>(
    `SELECT OBJECT_SCHEMA AS s, OBJECT_NAME AS t, INDEX_NAME AS i, COUNT_STAR AS n
       FROM performance_schema.table_io_waits_summary_by_index_usage
      WHERE OBJECT_TYPE = 'TABLE' AND INDEX_NAME IS NOT NULL AND ${where.sql}`,
    where.params,
  );
  const used = new Set(rows.filter((r) => (toNumber(r.n) ?? 0) > 0).map((r) => `${r.s}.${r.t}.${r.i}`));
  const out: UnusedIndex[] = [];
  for (const list of byTable.values()) {
    for (const ix of list) {
      if (ix.index === 'PRIMARY' || used.has(`${ix.schema}.${ix.table}.${ix.index}`)) continue;
      out.push({ ...ref(ix), drop: ix.unique ? null : dropStatement(ix) });
    }
  }
  return out;
}

async function tablesWithoutPrimaryKey(
  db: DatabaseManager,
  byTable: Map<string, IndexDef[]>,
  schemas?: readonly string[],
): Promise<TableWithoutPrimaryKey[]> {
  const where = schemaCondition('TABLE_SCHEMA', schemas);
  const tables = await db.query<{ s: string; t: string; engine: string | null; n: unknown }>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, ENGINE AS engine, TABLE_ROWS AS n
       FROM information_schema.TABLES
      WHERE TABLE_TYPE = 'BASE TABLE' AND ${where.sql}
      ORDER BY TABLE_SCHEMA, TABLE_NAME`,
    where.params,
  );
  const out: TableWithoutPrimaryKey[] = [];
  for (const t of tables) {
    const list = byTable.get(`${t.s}.${t.t}`) ?? [];
    if (list.some((ix) => ix.index === 'PRIMARY')) continue;
    const clustered = list.find((ix) => ix.unique && ix.notNull && ix.type === 'BTREE');
    out.push({
      schema: t.s,
      table: t.t,
      engine: t.engine,
      rows: toNumber(t.n) ?? 0,
      uniqueNotNullIndex: clustered?.index ?? null,
    });
  }
  return out;
}

/**
 * The index report for every non-system schema (or the ones named). `unused` is null when
 * performance_schema is off; the rest comes from information_schema and always works.
 */
export async function indexReport(
  db: DatabaseManager,
  options: IndexReportOptions = {},
): Promise<IndexReport> {
  await db.initialize();
  const ps = await performanceSchemaState(db);
  const status = await readGlobalStatus(db);
  const byTable = await readIndexes(db, options.schemas);
  const redundant = [...byTable.values()].flatMap((list) => findRedundant(list));
  const unused = ps.tableIo ? await unusedIndexes(db, byTable, options.schemas) : null;
  const withoutPrimaryKey = await tablesWithoutPrimaryKey(db, byTable, options.schemas);
  const uptimeSeconds = num(status, 'Uptime') ?? 0;
  const notes = [
    !ps.enabled
      ? 'performance_schema is OFF on this server, so unused indexes cannot be known: set performance_schema = ON in the server config and restart'
      : !ps.tableIo
        ? "performance_schema does not count table I/O here, so unused indexes cannot be known: UPDATE performance_schema.setup_instruments SET ENABLED = 'YES', TIMED = 'YES' WHERE NAME = 'wait/io/table/sql/handler' (and enable the global_instrumentation consumer)"
        : `index usage counts cover the ${Math.floor(uptimeSeconds / 3600)} h since the server started: an index used only by a monthly job looks unused until then`,
    'unique indexes are listed when unused but not offered for dropping: they enforce a rule even when never read',
  ];
  return { performanceSchema: ps.enabled, uptimeSeconds, unused, redundant, withoutPrimaryKey, notes };
}
