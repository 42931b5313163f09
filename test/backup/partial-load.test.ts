/**
 * A chunk file damaged near its end, after megabytes of it have already streamed into LOAD DATA:
 * the rows loaded before the damage was found must not stay. Each chunk loads in a transaction
 * that commits only once the whole file checked out.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFull, restore } from '../../src/backup/index.js';
import { quoteId } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, dropDatabase, freshName, settings } from './helpers.js';

let src: TestDatabase;
const dir = backupDir('partial');
const keyFile = path.join(dir, 'key');
const target = freshName('bk_partial_copy');

beforeAll(async () => {
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  src = await createTestDatabase('bk_partial');
  await src.db.execute('CREATE TABLE wide (id INT PRIMARY KEY, pad VARCHAR(2100) NOT NULL)');
  await src.db.execute("INSERT INTO wide SELECT seq, REPEAT(CONCAT('x', seq), 300) FROM seq_1_to_4000");
});

afterAll(async () => {
  await dropDatabase(target);
  await src?.drop();
});

describe('a chunk damaged after megabytes were loaded', () => {
  it('leaves none of its rows behind', async () => {
    const s = settings(path.join(dir, 'backups'), { compression: 'none', encrypt: true, keyFile });
    const backup = await backupFull(src.config(), s, { chunkRows: 1_000_000 });
    const [chunk] = backup.manifest.tables[0]?.chunks ?? [];
    expect(chunk?.rows).toBe(4000);
    const file = path.join(backup.dir, chunk?.file as string);
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(5 * 1024 * 1024);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] as number) ^ 1;
    writeFileSync(file, bytes);
    await expect(restore(src.config(), s, backup.id, { targetDb: target })).rejects.toMatchObject({
      code: 'E_BACKUP_CORRUPT',
      file: chunk?.file,
    });
    const [row] = await src.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quoteId(target)}.wide`);
    expect(Number(row?.n)).toBe(0);
    expect(readdirSync(backup.dir)).toContain('manifest.json');
  });
});
