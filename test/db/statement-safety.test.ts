/**
 * What DatabaseManager does when a statement goes wrong in ways that are easy to get wrong: bind
 * values the driver refuses, listeners that throw, client-side timeouts, connections lost after a
 * statement was sent, and server messages that quote the caller's values.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatabaseManager } from '../../src/db/index.js';
import { type MysqlopsError, QueryError } from '../../src/errors.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase('safety');
  await t.db.execute(
    'CREATE TABLE users (id INT PRIMARY KEY AUTO_INCREMENT, email VARCHAR(100) NOT NULL, UNIQUE KEY email (email)) ENGINE=InnoDB',
  );
  // Non-transactional on purpose: a row written by a statement that is later killed must stay.
  await t.db.execute('CREATE TABLE calls (id INT PRIMARY KEY AUTO_INCREMENT) ENGINE=MyISAM');
  await t.db.execute(
    'CREATE FUNCTION bump() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO calls VALUES (NULL); RETURN 0; END',
  );
});

afterAll(async () => {
  await t?.drop();
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function callCount(): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM calls');
  return Number(row?.n);
}

/** Server threads (other than the asking one) whose statement contains `marker`. */
async function runningWith(marker: string): Promise<number[]> {
  const rows = await t.db.query<{ id: number }>(
    "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE CONCAT('%', ?, '%') AND ID <> CONNECTION_ID()",
    [marker],
  );
  return rows.map((r) => Number(r.id));
}

/** Make this manager take the client-side timeout path (MySQL's for non-SELECT statements). */
function forceClientTimeout(db: DatabaseManager): void {
  vi.spyOn(db.flavor, 'withStatementTimeout').mockImplementation((sql: string, ms: number) => ({
    sql,
    clientTimeoutMs: ms,
  }));
}

describe('bind values the driver refuses', () => {
  it.each([
    ['text protocol', false],
    ['prepared', true],
  ])(
    'an undefined bind value is a usage error naming its position (%s), and the connection goes back',
    async (_, prepare) => {
      const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
      const err = (await db
        .query('SELECT ? AS a, ? AS b', [1, undefined], { prepare })
        .catch((e: unknown) => e)) as MysqlopsError;
      expect(err).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
      expect(err.message).toContain('bind parameter 2 of 2 is undefined');
      expect(err.hint).toContain('null');
      expect(db.poolStats().inUse).toBe(0);
      expect(await db.query('SELECT 1 AS one', [], { prepare })).toEqual([{ one: 1 }]);
      await db.close();
    },
  );

  it('named parameters (an object) are refused with a usage error instead of being misread', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    for (const prepare of [false, true]) {
      const err = (await db
        .query('SELECT :a AS a', { a: 1 } as never, { prepare })
        .catch((e: unknown) => e)) as MysqlopsError;
      expect(err).toMatchObject({ code: 'E_USAGE' });
      expect(err.message).toContain('must be an array');
    }
    expect(db.poolStats().inUse).toBe(0);
    await db.close();
  });

  it('any other synchronous throw from the driver is reported, not thrown out of a callback', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    const exploding = {
      toSqlString() {
        throw new Error('cannot format this');
      },
    };
    const err = (await db.query('SELECT ? AS a', [exploding]).catch((e: unknown) => e)) as MysqlopsError;
    expect(err).toMatchObject({ code: 'E_USAGE' });
    expect(err.message).toContain('cannot format this');
    const fn = (await db
      .query('SELECT ? AS a', [() => 1], { prepare: true })
      .catch((e: unknown) => e)) as MysqlopsError;
    expect(fn).toMatchObject({ code: 'E_USAGE' });
    expect(db.poolStats().inUse).toBe(0);
    await db.close();
  });

  it('inside a transaction and a stream the same error comes back and nothing leaks', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    await expect(
      db.transaction((tx) => tx.query('SELECT ? AS a', [undefined], { prepare: true })),
    ).rejects.toMatchObject({ code: 'E_USAGE' });
    const streamed = async () => {
      for await (const _ of db.stream('SELECT ? AS a', [undefined])) {
        /* never reached */
      }
    };
    await expect(streamed()).rejects.toMatchObject({ code: 'E_USAGE' });
    expect(db.poolStats().inUse).toBe(0);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
  });
});

describe('listeners that throw', () => {
  it('a throwing slowQuery listener neither breaks the statement nor the pool', async () => {
    const warned: string[] = [];
    const db = new DatabaseManager(t.config({ pool: { size: 1 }, monitoring: { slowQueryMs: 0 } }), {
      logger: { warn: (_o, msg) => warned.push(String(msg)) },
    });
    db.on('slowQuery', () => {
      throw new Error('listener bug');
    });
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    expect(await db.transaction((tx) => tx('SELECT 2 AS two'))).toEqual([{ two: 2 }]);
    const rows: unknown[] = [];
    for await (const row of db.stream('SELECT 3 AS three')) rows.push(row);
    expect(rows).toEqual([{ three: 3 }]);
    expect(db.poolStats()).toMatchObject({ inUse: 0, size: 1 });
    expect(await db.query('SELECT 4 AS four')).toEqual([{ four: 4 }]);
    expect(warned).toContain('a slowQuery listener threw');
    await db.close();
  });
});

describe('client-side statement timeouts', () => {
  it('are never re-sent: the running query is killed, the connection discarded, E_QUERY_TIMEOUT reported', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 2 } }));
    await db.initialize();
    forceClientTimeout(db);
    const before = await callCount();
    const started = Date.now();
    const err = (await db
      .query('SELECT /* client-timeout-1 */ bump() + SLEEP(5) AS x', [], { timeoutMs: 300 })
      .catch((e: unknown) => e)) as MysqlopsError;
    expect(err).toMatchObject({ code: 'E_QUERY_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await callCount()).toBe(before + 1);
    await until('the timed-out query to stop on the server', async () => {
      return (await runningWith('client-timeout-1')).length === 0;
    });
    expect(db.poolStats()).toMatchObject({ inUse: 0 });
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
  });

  it('inside a transaction: fails fast and leaves no connection behind', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    await db.initialize();
    forceClientTimeout(db);
    const started = Date.now();
    await expect(
      db.transaction((tx) => tx.query('SELECT /* client-timeout-2 */ SLEEP(5)', [], { timeoutMs: 300 })),
    ).rejects.toMatchObject({ code: 'E_QUERY_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2500);
    await until('the timed-out query to stop on the server', async () => {
      return (await runningWith('client-timeout-2')).length === 0;
    });
    expect(db.poolStats().inUse).toBe(0);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await db.close();
  });
});

describe('re-sending after a lost connection', () => {
  /** Kill the connection running the statement tagged `marker` once it has started. */
  async function killWhenRunning(marker: string): Promise<void> {
    let ids: number[] = [];
    await until('the statement to run', async () => {
      ids = await runningWith(marker);
      return ids.length > 0;
    });
    for (const id of ids) await t.db.execute(`KILL CONNECTION ${id}`);
  }

  it('a SELECT that was sent is not re-sent (it may have written through a function)', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    await db.initialize();
    const before = await callCount();
    const running = db.query('SELECT /* resend-1 */ bump() + SLEEP(2) AS x').catch((e: unknown) => e);
    await killWhenRunning('resend-1');
    const err = (await running) as MysqlopsError;
    expect(err).toMatchObject({ code: 'E_CONNECTION_LOST' });
    expect(await callCount()).toBe(before + 1);
    await db.close();
  });

  it('is done when the caller declares the statement idempotent', async () => {
    const db = new DatabaseManager(t.config({ pool: { size: 1 } }));
    await db.initialize();
    const running = db.query<{ x: number }>('SELECT /* resend-2 */ SLEEP(1) AS x', [], { idempotent: true });
    await killWhenRunning('resend-2');
    expect(await running).toEqual([{ x: 0 }]);
    await db.close();
  });
});

describe('server messages that quote values', () => {
  it('a duplicate key names the key but not the value; the raw text stays out of logs and JSON', async () => {
    await t.db.execute('INSERT INTO users (email) VALUES (?)', ['alice@example.com']);
    const err = (await t.db
      .execute('INSERT INTO users (email) VALUES (?)', ['alice@example.com'])
      .catch((e: unknown) => e)) as QueryError;
    expect(err).toBeInstanceOf(QueryError);
    expect(err.errno).toBe(1062);
    expect(err.message).toContain("Duplicate entry '…' for key 'email'");
    expect(err.serverMessage).toContain('alice@example.com');
    expect(Object.keys(err)).not.toContain('serverMessage');
    for (const shown of [
      err.message,
      String(err.hint),
      JSON.stringify(err),
      inspect(err, { depth: 5 }),
      err.stack ?? '',
    ]) {
      expect(shown).not.toContain('alice@example.com');
    }
    expect((err.cause as { sql?: unknown }).sql).toBeUndefined();
  });

  it('a syntax error does not echo the statement text around it', async () => {
    const err = (await t.db
      .query("SELECT * FROM users WHERE email = 'secret-literal' LIMIT")
      .catch((e: unknown) => e)) as QueryError;
    expect(err.errno).toBe(1064);
    expect(err.message).toMatch(/near '…' at line 1/);
    expect(inspect(err, { depth: 5 })).not.toContain('secret-literal');
  });
});
