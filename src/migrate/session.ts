/**
 * The one dedicated connection a migration run uses. Made with mysql2 `createConnection`, outside
 * any pool, because the migration lock (GET_LOCK) belongs to the session: a pool's connection
 * reset (COM_RESET_CONNECTION / COM_CHANGE_USER) would silently release it. The lock, the history
 * and every migration statement go through this connection. Also owns putting the session back
 * between files, since a file's `SET` or `USE` must not leak into the next file.
 */
import mysql from 'mysql2/promise';
import { connectErrorFor, type DatabaseManagerConfig, Flavor, quoteId, resolveTarget } from '../db/index.js';

/**
 * Session variables a migration file commonly changes (`SET foreign_key_checks = 0`,
 * `SET NAMES latin1`, `SET sql_mode = ...`); restored to their start values before every file.
 * `character_set_*` matter doubly: the driver decodes results assuming the handshake charset.
 */
const RESTORED_VARIABLES = [
  'sql_mode',
  'time_zone',
  'foreign_key_checks',
  'unique_checks',
  'autocommit',
  'sql_safe_updates',
  'character_set_client',
  'character_set_connection',
  'character_set_results',
  'collation_connection',
] as const;

type Row = Record<string, unknown>;

export class MigrationSession {
  readonly conn: mysql.Connection;
  readonly flavor: Flavor;
  /** Where we are connected, for humans. */
  readonly target: string;
  #baseline: Row | undefined;

  private constructor(conn: mysql.Connection, flavor: Flavor, target: string) {
    this.conn = conn;
    this.flavor = flavor;
    this.target = target;
  }

  /**
   * Connect (without selecting a database, so it works before the database exists) and detect the
   * flavor. Connection failures become ConnectError (E_CONNECT / E_AUTH) naming the target.
   */
  static async open(config: DatabaseManagerConfig): Promise<MigrationSession> {
    const target = resolveTarget(config.connection, config.sandbox, config.usesSandbox === true);
    const { database: _ignored, ...options } = target.options;
    let conn: mysql.Connection;
    try {
      conn = await mysql.createConnection(options);
    } catch (err) {
      throw connectErrorFor(err, target);
    }
    // Without a listener, a fatal error while idle would be an unhandled 'error' event.
    conn.on('error', () => {});
    try {
      const [rows] = await conn.query('SELECT VERSION() AS v, @@version_comment AS c');
      const row = (rows as Row[])[0];
      const flavor = Flavor.detect(String(row?.v ?? ''), String(row?.c ?? ''));
      return new MigrationSession(conn, flavor, target.description);
    } catch (err) {
      conn.destroy();
      throw connectErrorFor(err, target);
    }
  }

  /** Rows of a statement; `params` are always bound. */
  async rows<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    const [rows] = await this.conn.query(sql, params);
    return Array.isArray(rows) ? (rows as T[]) : [];
  }

  /** Run a statement exactly as written (no placeholder processing). */
  async run(sql: string): Promise<void> {
    await this.conn.query(sql);
  }

  /** True when the database exists on the server. */
  async databaseExists(database: string): Promise<boolean> {
    const rows = await this.rows('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [
      database,
    ]);
    return rows.length > 0;
  }

  /** Select `database` and remember the session state that every file will start from. */
  async use(database: string): Promise<void> {
    await this.run(`USE ${quoteId(database)}`);
    // Like every mysqlops session: NOW() and CURRENT_TIMESTAMP defaults in data migrations are UTC.
    await this.run("SET time_zone = '+00:00'");
    this.#baseline = await this.#variables();
  }

  /**
   * Put the session back as it was after `use()`: the database selected again and every
   * variable in RESTORED_VARIABLES that a previous file changed set back. Only changed variables
   * are set, so no privilege is needed in the usual case.
   */
  async restore(database: string): Promise<void> {
    await this.run(`USE ${quoteId(database)}`);
    const baseline = this.#baseline;
    if (!baseline) return;
    const now = await this.#variables();
    for (const name of RESTORED_VARIABLES) {
      if (now[name] !== baseline[name]) {
        // The name comes from the constant list above, never from input.
        await this.conn.query(`SET SESSION ${name} = ?`, [baseline[name] ?? null]);
      }
    }
  }

  /** End the connection; never throws (a dead connection is destroyed instead). */
  async close(): Promise<void> {
    try {
      await this.conn.end();
    } catch {
      this.conn.destroy();
    }
  }

  async #variables(): Promise<Row> {
    const list = RESTORED_VARIABLES.map((v) => `@@SESSION.${v} AS ${v}`).join(', ');
    const [row] = await this.rows(`SELECT ${list}`);
    return row ?? {};
  }
}
