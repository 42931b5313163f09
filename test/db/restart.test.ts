/**
 * Recovery after a crash: the server is killed (-9) under a steady insert load and restarted.
 * Acknowledged inserts must all survive, nothing may be written twice, and the pool must serve
 * statements again soon after the server accepts connections, without anyone restarting it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import type { MysqlopsError } from '../../src/errors.js';
import { destroySandbox, killSandbox, sandboxStatus, startSandbox } from '../../src/sandbox/index.js';

const home = mkdtempSync(path.join(tmpdir(), 'mysqlops-restart-'));
const name = 'restart';
const config = (database?: string) => ({
  connection: { database },
  usesSandbox: true,
  sandbox: { home, name },
  pool: { size: 4, acquireTimeoutMs: 2000, idleCheckMs: 1000 },
});

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  await startSandbox({ home, name });
  const admin = new DatabaseManager(config());
  await admin.execute('CREATE DATABASE restart_t');
  await admin.execute(
    'CREATE TABLE restart_t.events (id BIGINT AUTO_INCREMENT PRIMARY KEY, seq INT NOT NULL, KEY (seq)) ENGINE=InnoDB',
  );
  await admin.close();
});

afterAll(async () => {
  await destroySandbox({ home, name });
  rmSync(home, { recursive: true, force: true });
});

it('loses no acknowledged insert, duplicates none, and recovers within 5 s of the server accepting connections', async () => {
  const db = new DatabaseManager(config('restart_t'));
  await db.initialize();
  const acked: number[] = [];
  const failed: number[] = [];
  let seq = 0;
  let stop = false;
  let lastSuccessAt = 0;
  const worker = async () => {
    while (!stop) {
      const mine = ++seq;
      try {
        await db.execute('INSERT INTO events (seq) VALUES (?)', [mine]);
        acked.push(mine);
        lastSuccessAt = Date.now();
      } catch {
        // Outcome unknown (the server may have died after committing): never re-send it.
        failed.push(mine);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);

  await until('steady load', () => acked.length >= 300, 30_000);
  await killSandbox({ home, name });
  await until('the crash to be noticed', () => failed.length > 0, 10_000);
  expect((await sandboxStatus({ home, name })).state).toBe('crashed');
  // A newcomer connecting now is told how to bring the sandbox back.
  const late = new DatabaseManager(config('restart_t'));
  const down = (await late.initialize().catch((e: unknown) => e)) as MysqlopsError;
  expect(down.code).toBe('E_CONNECT');
  expect(down.hint).toContain('mysqlops sandbox start --name restart');
  await late.close();

  await startSandbox({ home, name });
  const acceptingAt = Date.now();
  const ackedAtRestart = acked.length;
  await until('inserts to succeed again', () => acked.length > ackedAtRestart, 15_000);
  const recoveryMs = lastSuccessAt - acceptingAt;
  await until('more load after recovery', () => acked.length >= ackedAtRestart + 300, 30_000);
  stop = true;
  await Promise.all(workers);

  const rows = await db.query<{ seq: number; n: number }>(
    'SELECT seq, COUNT(*) AS n FROM events GROUP BY seq',
  );
  const stored = new Map(rows.map((r) => [r.seq, r.n]));
  const missing = acked.filter((s) => !stored.has(s));
  const duplicated = rows.filter((r) => r.n > 1);
  console.log(
    `restart: ${acked.length} acknowledged, ${failed.length} failed during the outage, ` +
      `${missing.length} missing, ${duplicated.length} duplicated, recovered ${recoveryMs} ms after the server accepted connections`,
  );
  expect(missing).toEqual([]);
  expect(duplicated).toEqual([]);
  expect(recoveryMs).toBeLessThan(5000);
  await db.close();
});
