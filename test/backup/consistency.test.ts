/**
 * Consistency under load: a backup taken while transactions move money between accounts and log
 * each move restores to a state where the books balance. Every transaction touches both tables, and
 * the tables are dumped by different workers, so only one snapshot shared by all workers passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFull, restore } from '../../src/backup/index.js';
import { quoteId } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { backupDir, dropDatabase, freshName, settings } from './helpers.js';

let src: TestDatabase;
const target = freshName('bk_load_copy');
const s = settings(backupDir('load'), { threads: 3, compression: 'gzip' });
const ACCOUNTS = 2000;
const OPENING = 1000;

beforeAll(async () => {
  src = await createTestDatabase('bk_load');
  await src.db.execute('CREATE TABLE accounts (id INT PRIMARY KEY, balance BIGINT NOT NULL)');
  await src.db.execute(
    'CREATE TABLE moves (id BIGINT AUTO_INCREMENT PRIMARY KEY, account INT NOT NULL, amount INT NOT NULL)',
  );
  await src.db.execute(`INSERT INTO accounts SELECT seq, ${OPENING} FROM seq_1_to_${ACCOUNTS}`);
  await src.db.execute(
    `INSERT INTO moves (account, amount) SELECT seq, ${OPENING} FROM seq_1_to_${ACCOUNTS}`,
  );
  await src.db.execute('ANALYZE TABLE accounts, moves');
});

afterAll(async () => {
  await dropDatabase(target);
  await src?.drop();
});

describe('a backup under concurrent writes', () => {
  it('restores to a state where every balance equals the sum of its moves', async () => {
    let stop = false;
    let committed = 0;
    const writer = async (seed: number) => {
      for (let i = 0; !stop; i++) {
        const from = 1 + ((seed * 7919 + i * 104_729) % ACCOUNTS);
        const to = 1 + ((seed * 31 + i * 7) % ACCOUNTS);
        await src.db.transaction(async (tx) => {
          await tx.execute('UPDATE accounts SET balance = balance - 5 WHERE id = ?', [from]);
          await tx.execute('INSERT INTO moves (account, amount) VALUES (?, -5)', [from]);
          await tx.execute('UPDATE accounts SET balance = balance + 5 WHERE id = ?', [to]);
          await tx.execute('INSERT INTO moves (account, amount) VALUES (?, 5)', [to]);
        });
        committed++;
      }
    };
    const writers = [writer(1), writer(2)];
    // Let the load start before the backup does.
    const deadline = Date.now() + 10_000;
    while (committed < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const before = committed;
    const backup = await backupFull(src.config(), s, { chunkRows: 500 });
    const during = committed - before;
    stop = true;
    await Promise.all(writers);
    expect(during).toBeGreaterThan(0);
    expect(backup.manifest.tables.find((t) => t.table === 'moves')?.chunks.length).toBeGreaterThan(1);

    await restore(src.config(), s, backup.id, { targetDb: target });
    const q = quoteId(target);
    const [totals] = await src.db.query<{ balances: string; moves: string }>(
      `SELECT (SELECT SUM(balance) FROM ${q}.accounts) AS balances, (SELECT SUM(amount) FROM ${q}.moves) AS moves`,
    );
    expect(String(totals?.balances)).toBe(String(ACCOUNTS * OPENING));
    expect(String(totals?.moves)).toBe(String(ACCOUNTS * OPENING));
    const [unbalanced] = await src.db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${q}.accounts a
         LEFT JOIN (SELECT account, SUM(amount) AS total FROM ${q}.moves GROUP BY account) m ON m.account = a.id
        WHERE a.balance <> COALESCE(m.total, 0)`,
    );
    expect(Number(unbalanced?.n)).toBe(0);
  });
});
