/**
 * The DDL of the dumped databases: CREATE DATABASE, tables, views, routines, triggers and events,
 * as the server shows them (SHOW CREATE ...), with the sql_mode each routine, trigger and event was
 * created under. DEFINER clauses are kept as they are; restore recreates them as they were (the
 * restoring account needs SET USER / SUPER to create objects for another definer).
 */
import { quoteId } from '../db/index.js';
import { BackupError } from '../errors.js';
import type { Session } from './session.js';
import type { DatabaseSchema } from './types.js';

type Row = Record<string, unknown>;
const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''));

/** The schema of `database`; `tables` limits the tables (and the triggers on them) when given. */
export async function dumpSchema(
  s: Session,
  database: string,
  tables?: ReadonlySet<string>,
): Promise<DatabaseSchema> {
  const db = quoteId(database);
  const [createDb] = await s.rows<Row>(`SHOW CREATE DATABASE ${db}`);
  const out: DatabaseSchema = {
    name: database,
    createDatabase: text(createDb?.['Create Database']),
    tables: [],
    views: [],
    routines: [],
    triggers: [],
    events: [],
  };
  const objects = await s.rows<{ name: string; type: string }>(
    `SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
    [database],
  );
  for (const o of objects) {
    if (o.type === 'BASE TABLE') {
      if (tables && !tables.has(o.name)) continue;
      const [row] = await s.rows<Row>(`SHOW CREATE TABLE ${db}.${quoteId(o.name)}`);
      out.tables.push({ name: o.name, create: text(row?.['Create Table']) });
    } else if (o.type === 'VIEW' && !tables) {
      const [row] = await s.rows<Row>(`SHOW CREATE VIEW ${db}.${quoteId(o.name)}`);
      out.views.push({ name: o.name, create: text(row?.['Create View']) });
    }
  }
  if (!tables) {
    const routines = await s.rows<{ name: string; type: 'PROCEDURE' | 'FUNCTION' }>(
      `SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
        WHERE ROUTINE_SCHEMA = ? AND ROUTINE_TYPE IN ('PROCEDURE', 'FUNCTION') ORDER BY ROUTINE_TYPE, ROUTINE_NAME`,
      [database],
    );
    for (const r of routines) {
      const [row] = await s.rows<Row>(`SHOW CREATE ${r.type} ${db}.${quoteId(r.name)}`);
      const body = row?.[r.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function'];
      // The server hides a routine's body from accounts that neither own it nor may read mysql.proc.
      if (body == null) {
        throw new BackupError({
          message: `cannot read the definition of ${r.type.toLowerCase()} ${database}.${r.name}`,
          hint: 'the backup account needs SELECT on mysql.proc (MariaDB) or SHOW_ROUTINE (MySQL 8.0.20+)',
        });
      }
      const create = text(body);
      out.routines.push({ name: r.name, type: r.type, create, sqlMode: text(row?.sql_mode) });
    }
    const events = await s.rows<{ name: string }>(
      'SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME',
      [database],
    );
    for (const e of events) {
      const [row] = await s.rows<Row>(`SHOW CREATE EVENT ${db}.${quoteId(e.name)}`);
      out.events.push({
        name: e.name,
        create: text(row?.['Create Event']),
        sqlMode: text(row?.sql_mode),
        timeZone: text(row?.time_zone) || 'SYSTEM',
      });
    }
  }
  const triggers = await s.rows<{ name: string; table: string }>(
    `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS \`table\` FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`,
    [database],
  );
  for (const t of triggers) {
    if (tables && !tables.has(t.table)) continue;
    const [row] = await s.rows<Row>(`SHOW CREATE TRIGGER ${db}.${quoteId(t.name)}`);
    out.triggers.push({
      name: t.name,
      table: t.table,
      create: text(row?.['SQL Original Statement']),
      sqlMode: text(row?.sql_mode),
    });
  }
  return out;
}

/** A CREATE TABLE split into what to create before the data and what to add after it. */
export interface SplitTable {
  /** CREATE TABLE with the primary key and the keys AUTO_INCREMENT needs, nothing else. */
  create: string;
  /** `ADD ...` clauses for secondary keys, added in one ALTER after the data. */
  keys: string[];
  /** `ADD CONSTRAINT ... FOREIGN KEY ...` clauses, added after every table's keys. */
  foreignKeys: string[];
}

const KEY_LINE = /^ {2}(?:UNIQUE KEY|KEY|FULLTEXT KEY|SPATIAL KEY) /;
const FK_LINE = /^ {2}CONSTRAINT `[^`]+` FOREIGN KEY /;

/**
 * Split SHOW CREATE TABLE output. Loading into a table with only its primary key and building the
 * secondary indexes afterwards (sorted, in one pass) is faster than maintaining them row by row.
 * A key whose first column is the AUTO_INCREMENT column stays, since the server requires one.
 */
export function splitCreateTable(create: string): SplitTable {
  const lines = create.split('\n');
  const auto = lines.find((l) => /^ {2}`[^`]+` .*\bAUTO_INCREMENT\b/.test(l));
  const autoCol = auto ? /^ {2}(`[^`]+`)/.exec(auto)?.[1] : undefined;
  const keep: string[] = [];
  const keys: string[] = [];
  const foreignKeys: string[] = [];
  for (const line of lines) {
    const body = line.replace(/,$/, '');
    if (KEY_LINE.test(line)) {
      const firstCol = /\((`[^`]+`)/.exec(body)?.[1];
      if (autoCol && firstCol === autoCol) keep.push(line);
      else keys.push(`ADD ${body.trim()}`);
    } else if (FK_LINE.test(line)) {
      foreignKeys.push(`ADD ${body.trim()}`);
    } else keep.push(line);
  }
  // Drop a comma left dangling before the closing parenthesis.
  const close = keep.findIndex((l) => l.startsWith(')'));
  if (close > 0) keep[close - 1] = (keep[close - 1] as string).replace(/,$/, '');
  return { create: keep.join('\n'), keys, foreignKeys };
}
