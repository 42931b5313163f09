/**
 * What there is to back up: the tables of the chosen databases with their dumpable columns
 * (generated columns are left out: the server computes them again on load), the key that orders
 * them for chunking, and a row estimate. Read from information_schema on the coordinator.
 */
import { isValidIdentifier } from '../db/index.js';
import { BackupError } from '../errors.js';
import type { Session } from './session.js';

export interface ColumnInfo {
  name: string;
  dataType: string;
  columnType: string;
  charset: string | null;
  collation: string | null;
  numericPrecision: number | null;
  numericScale: number | null;
  datetimePrecision: number | null;
  /** Maximum bytes of a string or binary value (CHARACTER_OCTET_LENGTH); null for other types. */
  octetLength: number | null;
}

export interface TableInfo {
  database: string;
  name: string;
  columns: ColumnInfo[];
  /** The primary key, else the first unique key over NOT NULL columns; empty when none. */
  key: ColumnInfo[];
  estimatedRows: number;
}

/** The databases to dump: the ones named, each checked to exist. */
export async function resolveDatabases(s: Session, names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    if (!isValidIdentifier(name)) {
      throw new BackupError({ message: `invalid database name ${JSON.stringify(name)}`, exitCode: 2 });
    }
    const rows = await s.rows('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]);
    if (rows.length === 0) {
      throw new BackupError({
        message: `database ${name} does not exist`,
        hint: 'name existing databases with --databases (default: DB_NAME)',
        exitCode: 2,
      });
    }
    out.push(name);
  }
  return out;
}

/**
 * The base tables of `database`, optionally only those in `only` (plain names). Names that the
 * identifier rule refuses are reported, not skipped: a backup that silently leaves a table out is
 * worse than none.
 */
export async function listTables(
  s: Session,
  database: string,
  only?: ReadonlySet<string>,
): Promise<TableInfo[]> {
  const tables = await s.rows<{ name: string; rows: number | null }>(
    `SELECT TABLE_NAME AS name, TABLE_ROWS AS \`rows\` FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [database],
  );
  const columns = await s.rows<Record<string, unknown>>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType,
            CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation, NUMERIC_PRECISION AS p,
            CHARACTER_OCTET_LENGTH AS octets,
            NUMERIC_SCALE AS s, DATETIME_PRECISION AS dp, EXTRA AS extra
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [database],
  );
  const keys = await s.rows<{ t: string; idx: string; col: string; nullable: string; sub: number | null }>(
    `SELECT s.TABLE_NAME AS t, s.INDEX_NAME AS idx, s.COLUMN_NAME AS col, c.IS_NULLABLE AS nullable,
            s.SUB_PART AS sub
       FROM information_schema.STATISTICS s
       JOIN information_schema.COLUMNS c
         ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME AND c.COLUMN_NAME = s.COLUMN_NAME
      WHERE s.TABLE_SCHEMA = ? AND s.NON_UNIQUE = 0
      ORDER BY s.TABLE_NAME, s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`,
    [database],
  );
  const out: TableInfo[] = [];
  for (const t of tables) {
    if (only && !only.has(t.name)) continue;
    const bad = [t.name, ...columns.filter((c) => c.t === t.name).map((c) => String(c.name))].find(
      (n) => !isValidIdentifier(n),
    );
    if (bad !== undefined) {
      throw new BackupError({
        message: `cannot back up ${database}.${t.name}: the name ${JSON.stringify(bad)} is not one mysqlops quotes`,
        hint: 'names of 1-64 letters, digits, _ or $ are supported',
      });
    }
    const cols: ColumnInfo[] = columns
      .filter((c) => c.t === t.name && !/GENERATED/i.test(String(c.extra ?? '')))
      .map((c) => ({
        name: String(c.name),
        dataType: String(c.dataType).toLowerCase(),
        columnType: String(c.columnType).toLowerCase(),
        charset: c.charset == null ? null : String(c.charset),
        collation: c.collation == null ? null : String(c.collation),
        numericPrecision: c.p == null ? null : Number(c.p),
        numericScale: c.s == null ? null : Number(c.s),
        datetimePrecision: c.dp == null ? null : Number(c.dp),
        octetLength: c.octets == null ? null : Number(c.octets),
      }));
    out.push({
      database,
      name: t.name,
      columns: cols,
      key: chooseKey(t.name, keys, cols),
      estimatedRows: Number(t.rows ?? 0),
    });
  }
  if (only) {
    const missing = [...only].filter((n) => !out.some((t) => t.name === n));
    if (missing.length > 0) {
      throw new BackupError({
        message: `no table ${missing.map((m) => `${database}.${m}`).join(', ')}`,
        hint: 'name base tables of the dumped databases with --tables',
        exitCode: 2,
      });
    }
  }
  return out;
}

/** The first unique index (PRIMARY first) whose columns are all NOT NULL, whole and dumpable. */
function chooseKey(
  table: string,
  keys: ReadonlyArray<{ t: string; idx: string; col: string; nullable: string; sub: number | null }>,
  cols: readonly ColumnInfo[],
): ColumnInfo[] {
  const byIndex = new Map<string, typeof keys>();
  for (const k of keys) {
    if (k.t !== table) continue;
    byIndex.set(k.idx, [...(byIndex.get(k.idx) ?? []), k]);
  }
  for (const parts of byIndex.values()) {
    if (parts.some((p) => p.nullable !== 'NO' || p.sub != null)) continue;
    const found = parts.map((p) => cols.find((c) => c.name === p.col));
    if (found.every((c): c is ColumnInfo => c !== undefined)) return found;
  }
  return [];
}
