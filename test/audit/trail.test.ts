/**
 * The audit trail on the real schema: triggers generated from audit_config record INSERT, UPDATE
 * (changed columns only) and DELETE with the application user, and apply is idempotent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAudit, queryAuditLog, verifyAudit } from '../../src/audit/index.js';
import type { DatabaseManager } from '../../src/db/index.js';
import type { TestDatabase } from '../support/db.js';
import { createMigratedDatabase } from '../support/schema.js';

let t: TestDatabase;
let db: DatabaseManager;

beforeAll(async () => {
  t = await createMigratedDatabase('audit_trail');
  db = t.db;
  await applyAudit(db);
});
afterAll(async () => {
  await t?.drop();
});

async function auditRows(table: string) {
  return (await queryAuditLog(db, { table, limit: 1000 })).reverse();
}

describe('audit triggers', () => {
  it('records insert, update (changed columns only, excluded columns never) and delete with the app user', async () => {
    const alice = db.withContext({ user: 'alice', requestId: 'r1' });
    const ins = await alice.execute(
      `INSERT INTO customers (email, first_name, last_name, password_hash) VALUES ('a@example.com', 'Ann', 'Lee', 'secret')`,
    );
    const id = Number(ins.insertId);
    await alice.execute('UPDATE customers SET first_name = ?, password_hash = ? WHERE customer_id = ?', [
      'Anne',
      'other',
      id,
    ]);
    // Case-only change: the collation says equal, the audit must not.
    await alice.execute("UPDATE customers SET last_name = 'LEE' WHERE customer_id = ?", [id]);
    await alice.execute('DELETE FROM customers WHERE customer_id = ?', [id]);

    const rows = await auditRows('customers');
    expect(rows.map((r) => r.action)).toEqual(['INSERT', 'UPDATE', 'UPDATE', 'DELETE']);
    const [insert, update, caseOnly, del] = rows;
    expect(insert?.rowPk).toBe(String(id));
    expect(insert?.oldValues).toBeNull();
    expect(insert?.newValues).toMatchObject({ email: 'a@example.com', first_name: 'Ann', segment: 'new' });
    expect(insert?.newValues).not.toHaveProperty('password_hash');
    expect(insert?.appUser).toBe('alice');
    expect(insert?.requestId).toBe('r1');
    expect(insert?.dbUser).toMatch(/^root@/);
    expect(insert?.changedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Object.keys(update?.newValues ?? {}).filter((k) => k !== 'updated_at')).toEqual(['first_name']);
    expect(update?.oldValues).toMatchObject({ first_name: 'Ann' });
    expect(update?.newValues).toMatchObject({ first_name: 'Anne' });
    expect(caseOnly?.newValues).toMatchObject({ last_name: 'LEE' });
    expect(del?.newValues).toBeNull();
    expect(del?.oldValues).toMatchObject({ first_name: 'Anne', last_name: 'LEE' });
    expect(del?.oldValues).not.toHaveProperty('password_hash');
    expect((await verifyAudit(db)).ok).toBe(true);
    expect(rows.map((r) => r.sealId)).toEqual([null, null, null, null]);
  });

  it('writes no audit row for an update that changes nothing audited', async () => {
    const ins = await db.execute(
      `INSERT INTO customers (email, first_name, last_name, password_hash) VALUES ('b@example.com', 'Bo', 'Ng', 'x')`,
    );
    const id = Number(ins.insertId);
    const before = (await auditRows('customers')).length;
    await db.execute("UPDATE customers SET first_name = 'Bo' WHERE customer_id = ?", [id]);
    await db.execute("UPDATE customers SET password_hash = 'y' WHERE customer_id = ?", [id]);
    expect((await auditRows('customers')).length).toBe(before);
  });

  it('is idempotent: a second apply changes nothing', async () => {
    const again = await applyAudit(db);
    expect(again.inSync).toBe(true);
    expect(again.changes).toHaveLength(8 * 3);
    expect(again.audited).toContain('orders');
  });

  it('starts auditing a table added to audit_config and stops when it is disabled', async () => {
    await db.execute('CREATE TABLE notes (note_id INT PRIMARY KEY, body VARCHAR(50), secret VARCHAR(20))');
    await db.execute(
      `INSERT INTO audit_config (table_name, excluded_columns, retention_days) VALUES ('notes', '["secret"]', 30)`,
    );
    const applied = await applyAudit(db);
    expect(applied.changes.filter((c) => c.table === 'notes').map((c) => c.action)).toEqual([
      'created',
      'created',
      'created',
    ]);
    await db.withContext({ user: 'bob' }).execute("INSERT INTO notes VALUES (1, 'hi', 's')");
    const rows = await auditRows('notes');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.newValues).toEqual({ note_id: 1, body: 'hi' });
    expect(rows[0]?.appUser).toBe('bob');

    await db.execute("UPDATE audit_config SET enabled = 0 WHERE table_name = 'notes'");
    const disabled = await applyAudit(db);
    expect(disabled.changes.filter((c) => c.table === 'notes').map((c) => c.action)).toEqual([
      'dropped',
      'dropped',
      'dropped',
    ]);
    await db.execute("UPDATE notes SET body = 'bye' WHERE note_id = 1");
    expect(await auditRows('notes')).toHaveLength(1);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('writes one row per row of a multi-row statement, and none for a rolled-back write', async () => {
    const before = (await auditRows('categories')).length;
    await db.execute("INSERT INTO categories (name, slug) VALUES ('A', 'a'), ('B', 'b'), ('C', 'c')");
    await expect(
      db.transaction(async (tx) => {
        await tx.execute("INSERT INTO categories (name, slug) VALUES ('D', 'd')");
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = await auditRows('categories');
    expect(rows.length - before).toBe(3);
    expect(rows.slice(-3).map((r) => r.newValues?.slug)).toEqual(['a', 'b', 'c']);
    expect(rows.every((r) => r.sealId === null)).toBe(true);
    expect((await verifyAudit(db)).ok).toBe(true);
  });

  it('refuses to apply when audit_config enables a table that does not exist', async () => {
    await db.execute("INSERT INTO audit_config (table_name) VALUES ('no_such_table')");
    await expect(applyAudit(db)).rejects.toMatchObject({
      code: 'E_AUDIT',
      message: /no_such_table.*does not exist/,
    });
    await db.execute("DELETE FROM audit_config WHERE table_name = 'no_such_table'");
  });

  it('leaves no foreign key with cascading actions on an audited table', async () => {
    const rows = await db.query(
      `SELECT CONSTRAINT_NAME, TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS
       WHERE CONSTRAINT_SCHEMA = DATABASE()
         AND (DELETE_RULE IN ('CASCADE', 'SET NULL', 'SET DEFAULT') OR UPDATE_RULE IN ('CASCADE', 'SET NULL', 'SET DEFAULT'))
         AND TABLE_NAME IN (SELECT table_name FROM audit_config)`,
    );
    expect(rows).toEqual([]);
  });
});
