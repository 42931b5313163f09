/**
 * Before anything is written: the target database exists, has the schema, and its OLTP tables are
 * empty. The seeder only ever fills an empty database; it never mixes its rows with real ones.
 */
import { type DatabaseManager, quoteId } from '../db/index.js';
import { SeedError } from '../errors.js';
import { SEED_TABLES } from './types.js';

const MIGRATE_HINT = 'run `mysqlops migrate up` first, then seed';

/** Throws a SeedError naming the problem and the fix unless `database` is migrated and empty. */
export async function checkTarget(db: DatabaseManager, database: string | undefined): Promise<string> {
  if (!database) {
    throw new SeedError({
      message: 'no database selected to seed',
      hint: 'set DB_NAME (or connection.database in the config file)',
      exitCode: 2,
    });
  }
  const schemata = await db.query('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
    database,
  ]);
  if (schemata.length === 0) {
    throw new SeedError({
      message: `database "${database}" does not exist`,
      hint: 'run `mysqlops migrate up` (it creates the database and the schema), then seed',
    });
  }
  const rows = await db.query<{ name: string }>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME IN (${SEED_TABLES.map(() => '?').join(', ')})`,
    [database, ...SEED_TABLES],
  );
  const present = new Set(rows.map((r) => r.name.toLowerCase()));
  const missing = SEED_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new SeedError({
      message: `the schema is missing in database "${database}": no table ${missing.join(', ')}`,
      hint: MIGRATE_HINT,
    });
  }
  const filled: string[] = [];
  for (const table of SEED_TABLES) {
    const [row] = await db.query<{ filled: number }>(
      `SELECT EXISTS (SELECT 1 FROM ${quoteId(`${database}.${table}`)}) AS filled`,
    );
    if (Number(row?.filled) === 1) filled.push(table);
  }
  if (filled.length > 0) {
    throw new SeedError({
      message: `database "${database}" already holds data (tables ${filled.join(', ')} are not empty); seed only fills an empty database`,
      hint: 'point DB_NAME at a freshly migrated database, or empty those tables first',
    });
  }
  return database;
}
