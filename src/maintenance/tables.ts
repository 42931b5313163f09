/**
 * Which schemas a maintenance job looks at.
 */
import { type DatabaseManager, isValidIdentifier, quoteId } from '../db/index.js';

const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** `schemas` when given, else the selected database, else every user schema. */
export async function targetSchemas(db: DatabaseManager, schemas?: readonly string[]): Promise<string[]> {
  if (schemas && schemas.length > 0) return [...schemas];
  const [row] = await db.query<{ d: string | null }>('SELECT DATABASE() AS d');
  if (row?.d) return [row.d];
  const rows = await db.query<{ s: string }>(
    'SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (?, ?, ?, ?)',
    SYSTEM_SCHEMAS,
  );
  return rows.map((r) => r.s);
}

/** `schema.table`, as reports name tables. */
export function tableLabel(schema: string, table: string): string {
  return `${schema}.${table}`;
}

/**
 * `schema`.`table` quoted, or undefined when either name is one quoteId refuses (jobs skip such
 * tables with a reason instead of failing the whole run).
 */
export function qualifiedName(schema: string, table: string): string | undefined {
  if (!isValidIdentifier(schema) || !isValidIdentifier(table)) return undefined;
  return `${quoteId(schema)}.${quoteId(table)}`;
}
