/**
 * A test database with the real schema (schemas/ of this repository) applied by the migration
 * engine, for tests of the schema, the procedures and the views.
 */
import { migrate } from '../../src/migrate/index.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export async function createMigratedDatabase(label: string): Promise<TestDatabase> {
  const t = await createTestDatabase(label);
  await migrate(t.config());
  return t;
}
