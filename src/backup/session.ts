/**
 * The dedicated connections of a backup or restore: mysql2 `createConnection` sessions outside any
 * pool, because a consistent snapshot (and a BACKUP STAGE) belongs to its session, and a pool
 * would reset or share it. Small promise helpers around the callback API, which streams rows.
 */
import mysql, { type Connection, type ConnectionOptions } from 'mysql2';
import { connectErrorFor, type DatabaseManagerConfig, Flavor, resolveTarget } from '../db/index.js';
import { BackupError, driverFields } from '../errors.js';

export type Row = Record<string, unknown>;

/** One dedicated session. */
export class Session {
  readonly conn: Connection;
  readonly flavor: Flavor;

  private constructor(conn: Connection, flavor: Flavor) {
    this.conn = conn;
    this.flavor = flavor;
  }

  /** Connect (no default database), detect the flavor and pin the session to UTC. */
  static async open(
    options: ConnectionOptions,
    target: { description: string; sandbox?: string },
  ): Promise<Session> {
    const conn = mysql.createConnection({ ...options, database: undefined, multipleStatements: false });
    conn.on('error', () => {});
    try {
      const [row] = await query<Row[]>(conn, 'SELECT VERSION() AS v, @@version_comment AS c');
      await query(conn, "SET SESSION time_zone = '+00:00'");
      return new Session(conn, Flavor.detect(String(row?.v ?? ''), String(row?.c ?? '')));
    } catch (err) {
      conn.destroy();
      throw connectErrorFor(err, target);
    }
  }

  /** Rows of a statement (params bound). */
  rows<T = Row>(sql: string, params: unknown[] = []): Promise<T[]> {
    return query<T[]>(this.conn, sql, params).then((r) => (Array.isArray(r) ? r : []));
  }

  /** Run a statement. */
  run(sql: string, params: unknown[] = []): Promise<unknown> {
    return query(this.conn, sql, params);
  }

  /** End the session; never throws. */
  close(): Promise<void> {
    return new Promise((resolve) =>
      this.conn.end((err) => {
        if (err) this.conn.destroy();
        resolve();
      }),
    );
  }

  destroy(): void {
    this.conn.destroy();
  }
}

/** One statement on a callback connection as a promise. */
export function query<T = unknown>(conn: Connection, sql: string, params: unknown[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    conn.query(sql, params, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

/** Driver options and a description for `config`'s server. */
export function targetOf(config: DatabaseManagerConfig) {
  return resolveTarget(config.connection, config.sandbox, config.usesSandbox ?? false);
}

/** A driver error as a BackupError saying what was being done. */
export function backupFailure(doing: string, err: unknown, file?: string): BackupError {
  if (err instanceof BackupError) return err;
  const d = driverFields(err);
  return new BackupError({
    message: `${doing} failed: ${d.sqlMessage ?? (err instanceof Error ? err.message : String(err))}`,
    file,
    cause: err,
  });
}
