/**
 * db.session(): one held connection for statements and transactions, closed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseManager, type MysqlopsError } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createTestDatabase('dbm_session');
  await t.db.execute('CREATE TABLE moves (id INT PRIMARY KEY, n INT NOT NULL) ENGINE=InnoDB');
  await t.db.execute('INSERT INTO moves VALUES (1, 0), (2, 0)');
  await t.db.execute('CREATE TABLE entries (id INT PRIMARY KEY) ENGINE=InnoDB');
  // One connection: whatever a session leaves behind would reach the next caller.
  db = new DatabaseManager(t.config({ pool: { size: 1 } }));
});
afterAll(async () => {
  await db?.close();
  await t?.drop();
});

const connectionId = async (run: { query: DatabaseManager['query'] }) =>
  Number((await run.query<{ id: number }>('SELECT CONNECTION_ID() AS id'))[0]?.id);

describe('db.session()', () => {
  it('keeps temporary tables and variables across its statements and transactions, on one connection', async () => {
    const ids = await db.session(async (s) => {
      const first = await connectionId(s);
      await s.execute('CREATE TEMPORARY TABLE picked (id INT PRIMARY KEY) ENGINE=InnoDB');
      await s.execute('SET @picked_by = ?', ['session']);
      await s.transaction((tx) => tx.execute('INSERT INTO picked VALUES (1), (2)'));
      // A rolled-back transaction undoes its rows, not the session.
      await s
        .transaction(async (tx) => {
          await tx.execute('INSERT INTO picked VALUES (3)');
          throw new Error('changed my mind');
        })
        .catch(() => {});
      const inTx = await s.transaction(async (tx) =>
        Number((await tx('SELECT CONNECTION_ID() AS id'))[0]?.id),
      );
      const rows = await s.query<{ id: number; by: string }>(
        'SELECT id, @picked_by AS `by` FROM picked ORDER BY id',
      );
      expect(rows).toEqual([
        { id: 1, by: 'session' },
        { id: 2, by: 'session' },
      ]);
      return [first, inTx, await connectionId(s)];
    });
    expect(new Set(ids).size).toBe(1);
  });

  it('closes its connection afterwards: the next caller gets a clean one', async () => {
    const inside = await db.session(async (s) => {
      await s.execute('CREATE TEMPORARY TABLE leftover (id INT) ENGINE=MEMORY');
      await s.execute("SET @leftover = 'yes'");
      return connectionId(s);
    });
    expect(await connectionId(db)).not.toBe(inside);
    expect(await db.query('SELECT @leftover AS v')).toEqual([{ v: null }]);
    await expect(db.query('SELECT * FROM leftover')).rejects.toMatchObject({ errno: 1146 });
    expect(db.poolStats().inUse).toBe(0);
  });

  it('carries the view context, and passes the callback failure on after closing', async () => {
    const etl = db.withContext({ user: 'etl', requestId: 'run-7' });
    const err = await etl
      .session(async (s) => {
        expect(await s.query('SELECT @app_user AS u, @app_request_id AS r')).toEqual([
          { u: 'etl', r: 'run-7' },
        ]);
        throw new Error('callback failed');
      })
      .catch((e: unknown) => e as Error);
    expect(err.message).toBe('callback failed');
    expect(db.poolStats().inUse).toBe(0);
    expect(await db.query('SELECT @app_user AS u')).toEqual([{ u: null }]);
  });

  it('retries a transaction after a lock wait timeout on the same connection, temporary tables intact', async () => {
    const other = new DatabaseManager(t.config({ pool: { size: 1 } }));
    let holding!: () => void;
    const held = new Promise<void>((r) => {
      holding = r;
    });
    const holder = other.transaction(async (tx) => {
      await tx.execute('UPDATE moves SET n = n + 10 WHERE id = 1');
      holding();
      await new Promise((r) => setTimeout(r, 1500));
    });
    await held;
    const attempts: number[] = [];
    const r = await db.session(async (s) => {
      await s.execute('CREATE TEMPORARY TABLE note (attempt INT) ENGINE=MEMORY');
      // A session setting, kept for every attempt.
      await s.execute('SET SESSION innodb_lock_wait_timeout = 1');
      const id = await connectionId(s);
      await s.transaction(async (tx) => {
        attempts.push(Number((await tx('SELECT CONNECTION_ID() AS id'))[0]?.id));
        await tx.execute('INSERT INTO note VALUES (?)', [tx.attempt]);
        await tx.execute('UPDATE moves SET n = n + 1 WHERE id = 2');
        await tx.execute('UPDATE moves SET n = n + 1 WHERE id = 1');
      });
      // MEMORY tables keep rows across rollbacks: one note per attempt.
      const notes = await s.query<{ attempt: number }>('SELECT attempt FROM note ORDER BY attempt');
      return { id, notes: notes.map((n) => n.attempt) };
    });
    await holder;
    await other.close();
    expect(r.notes.length).toBeGreaterThanOrEqual(2);
    expect(r.notes.slice(0, 2)).toEqual([1, 2]);
    expect(new Set(attempts)).toEqual(new Set([r.id]));
    // The first try's update of row 2 was rolled back, not applied twice.
    expect(await t.db.query('SELECT id, n FROM moves ORDER BY id')).toEqual([
      { id: 1, n: 11 },
      { id: 2, n: 1 },
    ]);
  });

  it('rolls back a transaction that failed on a statement timeout, and goes on', async () => {
    await db.session(async (s) => {
      const failed = await s
        .transaction(async (tx) => {
          await tx.execute('INSERT INTO entries VALUES (1)');
          await tx.query('SELECT SLEEP(2)', [], { timeoutMs: 200 });
        })
        .catch((e: unknown) => e as MysqlopsError);
      expect(failed).toBeInstanceOf(Error);
      await s.execute('INSERT INTO entries VALUES (2)');
    });
    expect(await t.db.query('SELECT id FROM entries ORDER BY id')).toEqual([{ id: 2 }]);
  });

  it('refuses every later call with E_CONNECTION_LOST once its connection died inside a transaction', async () => {
    const outcome = await db.session(async (s) => {
      const id = await connectionId(s);
      const inTx = (await s
        .transaction(async (tx) => {
          await tx.execute('INSERT INTO entries VALUES (3)');
          await t.db.execute(`KILL CONNECTION ${id}`);
          await tx.query('SELECT 1');
        })
        .catch((e: unknown) => e)) as MysqlopsError;
      const after = await s.query('SELECT 1').catch((e: unknown) => e as MysqlopsError);
      const again = await s.transaction(async () => 1).catch((e: unknown) => e as MysqlopsError);
      return { inTx, after, again };
    });
    expect(outcome.inTx.code).toBe('E_CONNECTION_LOST');
    expect(outcome.inTx.message).toContain('could not be rolled back');
    expect(outcome.after).toBe(outcome.inTx);
    expect(outcome.again).toBe(outcome.inTx);
    // The server rolled the transaction back when the connection went.
    expect(await t.db.query('SELECT id FROM entries WHERE id = 3')).toEqual([]);
    expect(db.poolStats().inUse).toBe(0);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses session statements while one of its transactions is open, and any after it ended', async () => {
    let leaked: { query: DatabaseManager['query'] } | undefined;
    await db.session(async (s) => {
      leaked = s;
      await s.transaction(async () => {
        await expect(s.query('SELECT 1')).rejects.toMatchObject({
          code: 'E_QUERY',
          message: expect.stringContaining('while one of its transactions is open'),
        });
        await expect(s.transaction(async () => 1)).rejects.toMatchObject({ code: 'E_QUERY' });
      });
      expect(await s.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });
    const err = (await leaked?.query('SELECT 1').catch((e: unknown) => e)) as MysqlopsError;
    expect(err.code).toBe('E_QUERY');
    expect(err.message).toContain('finished session');
  });
});
