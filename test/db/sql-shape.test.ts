import { describe, expect, it } from 'vitest';
import { isReadOnlyStatement, leadingKeyword, sqlShape } from '../../src/db/sql-shape.js';

describe('sqlShape', () => {
  it('replaces literals so values never reach logs or metric labels', () => {
    expect(sqlShape("SELECT * FROM customers WHERE email = 'alice@example.com' AND id = 42")).toBe(
      'SELECT * FROM customers WHERE email = ? AND id = ?',
    );
    expect(sqlShape('UPDATE t SET price = -12.50, flag = 0xFF WHERE name = "x\\"y"')).toBe(
      'UPDATE t SET price = ?, flag = ? WHERE name = ?',
    );
  });

  it('keeps numbers that are part of identifiers', () => {
    expect(sqlShape('SELECT col1, t2.x FROM table_3 WHERE id = 7')).toBe(
      'SELECT col1, t2.x FROM table_3 WHERE id = ?',
    );
  });

  it('collapses IN lists and multi-row VALUES so one statement kind is one shape', () => {
    expect(sqlShape('SELECT * FROM t WHERE id IN (1, 2, 3)')).toBe(
      sqlShape('SELECT * FROM t WHERE id IN (4,5)'),
    );
    expect(sqlShape('INSERT INTO t VALUES (1,2),(3,4),(5,6)')).toBe(
      sqlShape('INSERT INTO t VALUES (7,8),(9,10)'),
    );
  });

  it('drops comments and folds whitespace', () => {
    expect(sqlShape('SELECT  1 /* note */\n  FROM dual -- trailing\n')).toBe('SELECT ? FROM dual');
  });
});

describe('statement classification', () => {
  it('finds the leading keyword past comments and parentheses', () => {
    expect(leadingKeyword('/* x */ select 1')).toBe('SELECT');
    expect(leadingKeyword('(SELECT 1) UNION (SELECT 2)')).toBe('SELECT');
    expect(leadingKeyword('-- c\nINSERT INTO t VALUES (1)')).toBe('INSERT');
  });

  it('treats only statements that cannot change data as safe to re-send', () => {
    expect(isReadOnlyStatement('SELECT * FROM t')).toBe(true);
    expect(isReadOnlyStatement('SHOW TABLES')).toBe(true);
    expect(isReadOnlyStatement('SELECT * FROM t FOR UPDATE')).toBe(false);
    expect(isReadOnlyStatement('SELECT a INTO @x FROM t')).toBe(false);
    expect(isReadOnlyStatement('WITH x AS (SELECT 1) DELETE FROM t')).toBe(false);
    expect(isReadOnlyStatement('INSERT INTO t VALUES (1)')).toBe(false);
  });
});
