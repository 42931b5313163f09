/**
 * Trigger generation without a server: names, validation, and the error for binary logging.
 */
import { describe, expect, it } from 'vitest';
import { explainDdlError } from '../../src/audit/apply.js';
import { buildTriggers, triggerName } from '../../src/audit/index.js';
import { Flavor } from '../../src/db/index.js';
import { QueryError } from '../../src/errors.js';

const mariadb = Flavor.detect('10.11.19-MariaDB');

describe('trigger generation', () => {
  it('names triggers predictably and keeps long names within 64 characters', () => {
    expect(triggerName('orders', 'INSERT')).toBe('audit_orders_ai');
    expect(triggerName('orders', 'UPDATE')).toBe('audit_orders_au');
    expect(triggerName('orders', 'DELETE')).toBe('audit_orders_ad');
    const long = 'x'.repeat(64);
    const a = triggerName(long, 'UPDATE');
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).toMatch(/^audit_x+_[0-9a-f]{8}_au$/);
    expect(triggerName(`${'x'.repeat(63)}y`, 'UPDATE')).not.toBe(a);
  });

  it('refuses hostile column names and tables without a primary key', () => {
    const spec = { table: 't', columns: [{ name: 'a', dataType: 'int' }], primaryKey: ['a'] };
    expect(buildTriggers(spec, mariadb)).toHaveLength(3);
    for (const bad of ["a'b", 'a`b', 'a; DROP TABLE t', 'a\0b', 'é']) {
      expect(() => buildTriggers({ ...spec, columns: [{ name: bad, dataType: 'int' }] }, mariadb)).toThrow(
        /invalid SQL identifier/,
      );
    }
    expect(() => buildTriggers({ ...spec, primaryKey: [] }, mariadb)).toThrow(/no primary key/);
  });

  it('writes one statement per row event: an INSERT carrying the content hash, no shared row', () => {
    const spec = {
      table: 'orders',
      columns: [
        { name: 'order_id', dataType: 'int' },
        { name: 'status', dataType: 'varchar' },
        { name: 'updated_at', dataType: 'datetime' },
      ],
      primaryKey: ['order_id'],
    };
    for (const t of buildTriggers(spec, mariadb)) {
      const body = t.create.replace(/\/\*.*?\*\//g, '');
      expect(body.match(/INSERT INTO audit_log/g), t.event).toHaveLength(1);
      expect(body, t.event).not.toMatch(/\bUPDATE\s+audit|SELECT\s|FOR UPDATE|CHAR_LENGTH/);
      // The table name and the action are encoded once, when the trigger is generated.
      expect(body, t.event).toContain(`SHA2(CONCAT('6:orders6:${t.event}'`);
    }
    const update = buildTriggers(spec, mariadb).find((t) => t.event === 'UPDATE')?.create ?? '';
    expect(update).toMatch(/IF v_changed = 1 THEN\s+INSERT INTO audit_log/);
  });

  it('explains the binary-logging refusal (1419) with the fix', () => {
    const refused = new QueryError({
      shape: 'CREATE TRIGGER ...',
      driver: {
        errno: 1419,
        code: 'ER_BINLOG_CREATE_ROUTINE_NEED_SUPER',
        sqlMessage: 'You do not have the SUPER privilege',
      },
      cause: new Error('refused'),
    });
    expect(explainDdlError(refused)).toMatchObject({
      code: 'E_AUDIT',
      hint: /log_bin_trust_function_creators = 1/,
    });
  });
});
