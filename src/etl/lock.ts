/**
 * ETL locks: server-side named locks (GET_LOCK) held by one dedicated connection per run, made
 * outside any pool because a pool's connection reset would silently release them (see
 * src/migrate/session.ts). One lock per pipeline and database keeps two runs of the same pipeline
 * apart; a short-lived dispatch lock serialises draining the change log. A run that dies frees its
 * locks when its connection closes.
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { connectErrorFor, type DatabaseManagerConfig, resolveTarget } from '../db/index.js';
import { MysqlopsError } from '../errors.js';

const MAX_LOCK_NAME = 64;

/** `mysqlops_etl:<database>:<what>`, hashed down when longer than the server's 64 characters. */
export function etlLockName(database: string, what: string): string {
  const name = `mysqlops_etl:${database}:${what}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  const hash = createHash('sha256').update(`${database}:${what}`, 'utf8').digest('hex');
  return `mysqlops_etl:${hash.slice(0, MAX_LOCK_NAME - 'mysqlops_etl:'.length)}`;
}

export class LockSession {
  readonly #conn: mysql.Connection;
  readonly #database: string;

  private constructor(conn: mysql.Connection, database: string) {
    this.#conn = conn;
    this.#database = database;
  }

  static async open(config: DatabaseManagerConfig, database: string): Promise<LockSession> {
    const target = resolveTarget(config.connection, config.sandbox, config.usesSandbox === true);
    let conn: mysql.Connection;
    try {
      conn = await mysql.createConnection(target.options);
    } catch (err) {
      throw connectErrorFor(err, target);
    }
    conn.on('error', () => {});
    return new LockSession(conn, database);
  }

  /**
   * Take `what`'s lock, waiting up to `seconds` (0: try once). Returns null when taken, else the
   * server connection id holding it (or -1 when unknown).
   */
  async take(what: string, seconds: number): Promise<number | null> {
    const name = etlLockName(this.#database, what);
    const [rows] = await this.#conn.query('SELECT GET_LOCK(?, ?) AS got', [name, seconds]);
    if ((rows as Array<{ got: number | null }>)[0]?.got === 1) return null;
    const [holder] = await this.#conn.query('SELECT IS_USED_LOCK(?) AS holder', [name]);
    return (holder as Array<{ holder: number | null }>)[0]?.holder ?? -1;
  }

  /** Release `what`'s lock; never throws. */
  async release(what: string): Promise<void> {
    try {
      await this.#conn.query('SELECT RELEASE_LOCK(?)', [etlLockName(this.#database, what)]);
    } catch {
      // The connection is gone, and its locks with it.
    }
  }

  /** Take the locks of all `pipelines` at once, or none: E_ETL_LOCKED names the busy one. */
  async takePipelines(pipelines: readonly string[]): Promise<void> {
    const taken: string[] = [];
    for (const p of pipelines) {
      const holder = await this.take(p, 0);
      if (holder !== null) {
        for (const t of taken) await this.release(t);
        throw new MysqlopsError({
          code: 'E_ETL_LOCKED',
          message: `another ETL run of ${p} is in progress on ${this.#database}${holder > 0 ? ` (server connection ${holder})` : ''}; not starting a second one`,
          hint: 'wait for it to finish (mysqlops etl status shows running runs); a run that died frees its lock when its connection closes',
        });
      }
      taken.push(p);
    }
  }

  /** End the connection (and so every lock it holds); never throws. */
  async close(): Promise<void> {
    try {
      await this.#conn.end();
    } catch {
      this.#conn.destroy();
    }
  }
}
