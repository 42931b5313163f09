/**
 * Small database chores the benchmarks share (never timed): comparing contents by CHECKSUM TABLE.
 */
import { DatabaseManager, SEED_TABLES } from '../dist/index.js';

/** How a benchmark reaches its throwaway sandbox. */
export type BenchBase = { connection: object; usesSandbox: boolean; sandbox: { home: string; name: string } };

/** CHECKSUM TABLE of the seeded tables of `database`, by table name. */
export async function checksums(base: BenchBase, database: string): Promise<Record<string, string>> {
  const db = new DatabaseManager({ ...base, connection: { database } });
  try {
    const rows = await db.query<{ Table: string; Checksum: string }>(
      `CHECKSUM TABLE ${SEED_TABLES.join(', ')}`,
    );
    return Object.fromEntries(rows.map((r) => [r.Table.split('.').pop() as string, String(r.Checksum)]));
  } finally {
    await db.close();
  }
}
