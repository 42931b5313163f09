import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import { MysqlopsError, QueryError } from '../../src/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase('dbm');
  await t.db.execute(
    `CREATE TABLE accounts (
       id INT PRIMARY KEY AUTO_INCREMENT,
       owner VARCHAR(50) NOT NULL,
       balance DECIMAL(12,2) NOT NULL DEFAULT 0
     ) ENGINE=InnoDB`,
  );
});

afterAll(async () => {
  await t?.drop();
});

describe('DatabaseManager basics', () => {
  it('detects the server flavor at initialize()', () => {
    expect(t.db.flavor.kind).toBe('mariadb');
    expect(t.db.flavor.version.major).toBeGreaterThanOrEqual(10);
  });

  it('execute() returns insert id and affected rows; query() returns rows with bound parameters', async () => {
    const a = await t.db.execute('INSERT INTO accounts (owner, balance) VALUES (?, ?)', ['alice', '100.10']);
    const b = await t.db.execute('INSERT INTO accounts (owner, balance) VALUES (?, ?)', [
      "bob'; DROP TABLE accounts; --",
      '5',
    ]);
    expect(a.affectedRows).toBe(1);
    expect(b.insertId).toBe(a.insertId + 1);
    const rows = await t.db.query<{ owner: string; balance: string }>(
      'SELECT owner, balance FROM accounts WHERE id = ?',
      [b.insertId],
    );
    expect(rows).toEqual([{ owner: "bob'; DROP TABLE accounts; --", balance: '5.00' }]);
    const upd = await t.db.execute('UPDATE accounts SET balance = balance + 1 WHERE owner IN (?, ?)', [
      'alice',
      'nobody',
    ]);
    expect(upd).toMatchObject({ affectedRows: 1, changedRows: 1 });
    expect(await t.db.query('DO 1')).toEqual([]);
  });

  it('runs server-side prepared statements and keeps their number per connection bounded', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1, maxPreparedStatements: 4 } }));
    const [me] = await db.query<{ id: number }>('SELECT CONNECTION_ID() AS id');
    // The statements prepared on this manager's one connection (not the server-wide count, which
    // other test files running at the same time move).
    const count = async () =>
      Number(
        (
          await t.db.query<{ n: number }>(
            `SELECT COUNT(*) AS n FROM performance_schema.prepared_statements_instances p
             JOIN performance_schema.threads th ON th.THREAD_ID = p.OWNER_THREAD_ID
             WHERE th.PROCESSLIST_ID = ?`,
            [me?.id],
          )
        )[0]?.n,
      );
    expect(await count()).toBe(0);
    for (let i = 0; i < 20; i++) {
      const [row] = await db.query<{ v: number }>(`SELECT ? + ${i} AS v`, [1], { prepare: true });
      expect(row?.v).toBe(1 + i);
    }
    const during = await count();
    await db.close();
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThanOrEqual(4);
  });

  it('maps server errors to QueryError with errno, sqlState and the SQL shape, not the values', async () => {
    const err = await t.db
      .query('SELECT * FROM no_such_table WHERE owner = ?', ['secret-value'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryError);
    const q = err as QueryError;
    expect(q.code).toBe('E_QUERY');
    expect(q.errno).toBe(1146);
    expect(q.sqlState).toBe('42S02');
    expect(q.shape).toBe('SELECT * FROM no_such_table WHERE owner = ?');
    expect(q.message).not.toContain('secret-value');
  });

  it('enforces a per-call statement timeout on the server', async () => {
    const err = await t.db
      .query('SELECT SLEEP(5) AS s', undefined, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MysqlopsError);
    expect((err as MysqlopsError).code).toBe('E_QUERY_TIMEOUT');
    // The connection stays usable afterwards.
    expect(await t.db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});

describe('streaming', () => {
  it('streams a large result with constant memory', async () => {
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let n = 0;
    let sum = 0;
    for await (const row of t.db.stream<{ seq: number; pad: string }>(
      "SELECT seq, REPEAT('x', 200) AS pad FROM seq_1_to_300000",
    )) {
      n++;
      sum += row.seq;
      if (n % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
    }
    expect(n).toBe(300_000);
    expect(sum).toBe((300_000 * 300_001) / 2);
    // Buffered, 300k rows of ~250 bytes would be > 75 MB of heap; streamed it stays small.
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });

  it('stopping early stops the query on the server, discards the connection and leaves the pool working', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    let n = 0;
    for await (const _ of db.stream('SELECT /* early-break-1 */ seq FROM seq_1_to_50000000')) {
      if (++n === 10) break;
    }
    expect(db.poolStats()).toMatchObject({ inUse: 0, size: 0 });
    // The server must not go on producing (and holding) the 50 million rows nobody reads.
    const deadline = Date.now() + 3000;
    let left: unknown[] = [];
    do {
      left = await t.db.query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%early-break-1%' AND ID <> CONNECTION_ID()",
      );
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    } while (Date.now() < deadline);
    expect(left).toEqual([]);
    expect(await db.query('SELECT 2 AS two')).toEqual([{ two: 2 }]);
    expect(db.poolStats()).toMatchObject({ inUse: 0, size: 1 });
    await db.close();
  });
});

describe('transactions', () => {
  it('commits when the callback resolves; the callback is also callable as query()', async () => {
    const result = await t.db.transaction(async (tx) => {
      await tx.execute('INSERT INTO accounts (owner, balance) VALUES (?, ?)', ['carol', '1']);
      return tx<{ id: number }>('SELECT LAST_INSERT_ID() AS id');
    });
    const id = result[0]?.id;
    expect(await t.db.query('SELECT owner FROM accounts WHERE id = ?', [id])).toEqual([{ owner: 'carol' }]);
  });

  it('rolls back everything when the callback throws, and rethrows the error', async () => {
    const boom = new Error('boom');
    await expect(
      t.db.transaction(async (tx) => {
        await tx.execute('INSERT INTO accounts (owner) VALUES (?)', ['dave']);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await t.db.query('SELECT * FROM accounts WHERE owner = ?', ['dave'])).toEqual([]);
  });

  it('refuses statements on a finished transaction handle', async () => {
    let leaked: ((sql: string) => Promise<unknown>) | undefined;
    await t.db.transaction(async (tx) => {
      leaked = tx.query;
    });
    await expect(leaked?.('SELECT 1')).rejects.toMatchObject({
      message: expect.stringContaining('finished transaction'),
    });
  });

  it('two transactions that deadlock each other both complete via the retry', async () => {
    await t.db.execute('CREATE TABLE dl (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB');
    await t.db.execute('INSERT INTO dl VALUES (1, 0), (2, 0)');
    const retries: number[] = [];
    t.db.on('retry', (e) => retries.push(e.errno ?? 0));
    // Each transaction locks one row, waits until the other has locked its row, then wants the other's.
    let lockedA!: () => void;
    let lockedB!: () => void;
    const aHasLock = new Promise<void>((r) => {
      lockedA = r;
    });
    const bHasLock = new Promise<void>((r) => {
      lockedB = r;
    });
    const attempts = { a: 0, b: 0 };
    const txn = (first: number, second: number, name: 'a' | 'b', mine: () => void, theirs: Promise<void>) =>
      t.db.transaction(async (tx) => {
        attempts[name]++;
        await tx.execute('UPDATE dl SET n = n + 1 WHERE id = ?', [first]);
        if (tx.attempt === 1) {
          mine();
          await theirs;
        }
        await tx.execute('UPDATE dl SET n = n + 1 WHERE id = ?', [second]);
        return name;
      });
    const results = await Promise.all([txn(1, 2, 'a', lockedA, bHasLock), txn(2, 1, 'b', lockedB, aHasLock)]);
    expect(results).toEqual(['a', 'b']);
    expect(retries).toContain(1213);
    expect(attempts.a + attempts.b).toBeGreaterThanOrEqual(3);
    // Both committed exactly once: each row was incremented by each transaction.
    expect(await t.db.query('SELECT id, n FROM dl ORDER BY id')).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
    t.db.removeAllListeners('retry');
  });

  it('retries after a lock wait timeout (1205), rolling back the statements before it', async () => {
    await t.db.execute('CREATE TABLE lw (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB');
    await t.db.execute('INSERT INTO lw VALUES (1, 0), (2, 0)');
    let holding!: () => void;
    const held = new Promise<void>((r) => {
      holding = r;
    });
    const holder = t.db.transaction(async (tx) => {
      await tx.execute('UPDATE lw SET n = n + 10 WHERE id = 1');
      holding();
      await new Promise((r) => setTimeout(r, 1500));
    });
    await held;
    let tries = 0;
    await t.db.transaction(async (tx) => {
      tries++;
      await tx.execute('SET SESSION innodb_lock_wait_timeout = 1');
      await tx.execute('UPDATE lw SET n = n + 1 WHERE id = 2');
      await tx.execute('UPDATE lw SET n = n + 1 WHERE id = 1');
    });
    await holder;
    expect(tries).toBeGreaterThanOrEqual(2);
    // The first try's update of row 2 was rolled back, not applied twice.
    expect(await t.db.query('SELECT id, n FROM lw ORDER BY id')).toEqual([
      { id: 1, n: 11 },
      { id: 2, n: 1 },
    ]);
  });

  it('gives up after maxRetries with E_TRANSACTION_RETRIES', async () => {
    let calls = 0;
    const err = await t.db
      .transaction(
        async () => {
          calls++;
          throw Object.assign(new Error('Deadlock found'), { errno: 1213 });
        },
        { maxRetries: 2 },
      )
      .catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect((err as MysqlopsError).code).toBe('E_TRANSACTION_RETRIES');
  });
});

describe('session context', () => {
  it('carries the context into the session and never leaks it to the next caller of the connection', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    const alice = db.withContext({ user: 'alice', requestId: 'req-1' });
    expect(await alice.query('SELECT @app_user AS u, @app_request_id AS r')).toEqual([
      { u: 'alice', r: 'req-1' },
    ]);
    // Same single pooled connection, no context: the variables must be gone.
    expect(await db.query('SELECT @app_user AS u, @app_request_id AS r')).toEqual([{ u: null, r: null }]);
    const bob = db.withContext({ user: 'bob' });
    await bob.transaction(async (tx) => {
      expect(await tx('SELECT @app_user AS u, @app_request_id AS r')).toEqual([{ u: 'bob', r: null }]);
    });
    for await (const row of alice.stream('SELECT @app_user AS u')) expect(row).toEqual({ u: 'alice' });
    expect(await db.query('SELECT @app_user AS u')).toEqual([{ u: null }]);
    await db.close();
  });

  it('keeps contexts apart under concurrency on a small pool', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 3 } }));
    const users = ['u0', 'u1', 'u2', 'u3', 'u4', null];
    const calls = Array.from({ length: 300 }, async (_, i) => {
      const user = users[i % users.length] ?? null;
      const view = user ? db.withContext({ user, requestId: `r${i}` }) : db;
      const [row] = await view.query<{ u: string | null; r: string | null }>(
        'SELECT @app_user AS u, @app_request_id AS r',
      );
      return row?.u === user && row?.r === (user ? `r${i}` : null);
    });
    const ok = await Promise.all(calls);
    expect(ok.filter((x) => !x)).toHaveLength(0);
    await db.close();
  });
});

describe('pool behaviour', () => {
  it('bounds the wait for a free connection with E_POOL_TIMEOUT', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1, acquireTimeoutMs: 300 } }));
    let release!: () => void;
    const busy = db.transaction(() => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    const err = await db.query('SELECT 1').catch((e: unknown) => e);
    expect((err as MysqlopsError).code).toBe('E_POOL_TIMEOUT');
    release();
    await busy;
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
  });

  it('reports health, pool stats and Prometheus metrics without values in labels', async () => {
    const slow: string[] = [];
    const db = new DatabaseManager(t.config({ monitoring: { slowQueryMs: 0 } }));
    db.on('slowQuery', (e) => slow.push(e.shape));
    await db.query('SELECT owner FROM accounts WHERE owner = ?', ['alice']);
    await db.query("SELECT owner FROM accounts WHERE owner = 'literal-secret'");
    const health = await db.health();
    expect(health).toMatchObject({ ok: true, flavor: 'mariadb', pool: { limit: expect.any(Number) } });
    expect(health.queries.calls).toBeGreaterThanOrEqual(3);
    const metrics = db.metrics();
    expect(metrics).toContain(
      'mysqlops_db_queries_total{shape="SELECT owner FROM accounts WHERE owner = ?",outcome="ok"} 2',
    );
    expect(metrics).toContain('mysqlops_db_pool_connections{state="limit"}');
    expect(metrics).not.toContain('literal-secret');
    expect(slow).toContain('SELECT owner FROM accounts WHERE owner = ?');
    expect(slow.join()).not.toContain('literal-secret');
    await db.close();
  });

  it('close() waits for running statements, then refuses new ones', async () => {
    const db = new DatabaseManager(t.config());
    await db.initialize();
    const running = db.query('SELECT SLEEP(0.3) AS s');
    // Checked out and running (not still waiting for a connection) when close() comes.
    while (db.poolStats().inUse === 0) await new Promise((r) => setTimeout(r, 5));
    await db.close();
    expect(await running).toEqual([{ s: 0 }]);
    await expect(db.query('SELECT 1')).rejects.toMatchObject({ code: 'E_POOL_CLOSED' });
  });
});
