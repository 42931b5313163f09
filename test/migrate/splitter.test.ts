import { describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors.js';
import { splitStatements, statementExcerpt } from '../../src/migrate/index.js';

const sqls = (text: string) => splitStatements(text).map((s) => s.sql);

function splitError(text: string): MigrationError {
  try {
    splitStatements(text, 'V1__x.sql');
  } catch (err) {
    if (err instanceof MigrationError) return err;
    throw err;
  }
  throw new Error('expected a split error');
}

describe('splitStatements', () => {
  it('splits on ; and records the line each statement starts on', () => {
    const out = splitStatements('CREATE TABLE a (id INT);\n\nINSERT INTO a VALUES (1);\n  SELECT 1;');
    expect(out).toEqual([
      { sql: 'CREATE TABLE a (id INT)', line: 1 },
      { sql: 'INSERT INTO a VALUES (1)', line: 3 },
      { sql: 'SELECT 1', line: 4 },
    ]);
  });

  it('keeps a final statement without a trailing ;', () => {
    expect(splitStatements('SELECT 1;\nSELECT\n  2\n')).toEqual([
      { sql: 'SELECT 1', line: 1 },
      { sql: 'SELECT\n  2', line: 2 },
    ]);
  });

  it('ignores ; inside single, double and backtick quotes', () => {
    expect(sqls(`INSERT INTO t VALUES ('a;b', "c;d");\nSELECT \`we;ird\` FROM t;`)).toEqual([
      `INSERT INTO t VALUES ('a;b', "c;d")`,
      'SELECT `we;ird` FROM t',
    ]);
  });

  it('honours backslash escapes and doubled quotes inside strings', () => {
    expect(sqls(`SELECT 'it\\'s; fine', 'it''s; fine', "say \\"hi;\\"", \`a\`\`;b\`;SELECT 2`)).toEqual([
      `SELECT 'it\\'s; fine', 'it''s; fine', "say \\"hi;\\"", \`a\`\`;b\``,
      'SELECT 2',
    ]);
  });

  it('does not treat a backslash as an escape inside backticks', () => {
    expect(sqls('SELECT `a\\`;SELECT 2')).toEqual(['SELECT `a\\`', 'SELECT 2']);
  });

  it('removes -- and # comments, including a ; inside them', () => {
    const out = splitStatements(
      '-- intro; still comment\nSELECT 1; # trailing; comment\n# whole line;\nSELECT 2;',
    );
    expect(out).toEqual([
      { sql: 'SELECT 1', line: 2 },
      { sql: 'SELECT 2', line: 4 },
    ]);
  });

  it('treats -- without a following space as an operator, not a comment', () => {
    expect(sqls('SELECT 5--1;SELECT 2')).toEqual(['SELECT 5--1', 'SELECT 2']);
  });

  it('treats -- at the very end of the file as a comment', () => {
    expect(sqls('SELECT 1;\n--')).toEqual(['SELECT 1']);
  });

  it('removes /* */ comments but keeps their line breaks', () => {
    const out = splitStatements('/* header;\n  more; */\nSELECT /* inline; */ 1;\nSELECT 2 /* a\nb */ + 3;');
    expect(out).toEqual([
      { sql: 'SELECT   1', line: 3 },
      { sql: 'SELECT 2 \n + 3', line: 4 },
    ]);
  });

  it('keeps /*! */, /*M! */ and /*+ */ comments as part of the statement', () => {
    expect(
      sqls(
        "/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE t (id INT) /*M!100100 COMMENT 'x;y' */;\nSELECT /*+ NO_ICP(t) */ 1;",
      ),
    ).toEqual([
      '/*!40101 SET NAMES utf8mb4 */',
      "CREATE TABLE t (id INT) /*M!100100 COMMENT 'x;y' */",
      'SELECT /*+ NO_ICP(t) */ 1',
    ]);
  });

  it('does not end an executable comment at a */ inside a string', () => {
    expect(sqls("/*!50003 SELECT '*/;' */;SELECT 2")).toEqual(["/*!50003 SELECT '*/;' */", 'SELECT 2']);
  });

  it('drops empty and comment-only statements', () => {
    expect(splitStatements(';;\n-- nothing\n;\n/* x */;\n  ;\n')).toEqual([]);
    expect(splitStatements('')).toEqual([]);
  });

  it('supports DELIMITER $$ for routine bodies with ; inside', () => {
    const text = [
      'CREATE TABLE t (id INT);',
      'DELIMITER $$',
      'CREATE PROCEDURE p()',
      'BEGIN',
      '  INSERT INTO t VALUES (1); -- one; two',
      '  SELECT 1;',
      'END$$',
      'DELIMITER ;',
      'SELECT 2;',
    ].join('\n');
    expect(splitStatements(text)).toEqual([
      { sql: 'CREATE TABLE t (id INT)', line: 1 },
      { sql: 'CREATE PROCEDURE p()\nBEGIN\n  INSERT INTO t VALUES (1); \n  SELECT 1;\nEND', line: 3 },
      { sql: 'SELECT 2', line: 9 },
    ]);
  });

  it('supports DELIMITER // and lower-case, indented delimiter commands', () => {
    const text =
      '  delimiter //\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END //\ndelimiter ;\nSELECT 1/2;';
    expect(sqls(text)).toEqual([
      'CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1; END',
      'SELECT 1/2',
    ]);
  });

  it('handles a DELIMITER block left open at the end of the file', () => {
    expect(sqls('DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n')).toEqual([
      'CREATE PROCEDURE p() BEGIN SELECT 1; END',
    ]);
    expect(sqls('DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END')).toEqual([
      'CREATE PROCEDURE p() BEGIN SELECT 1; END',
    ]);
  });

  it('handles DELIMITER ; as the last line without a newline', () => {
    expect(sqls('DELIMITER $$\nCREATE FUNCTION f() RETURNS INT RETURN 1$$\nDELIMITER ;')).toEqual([
      'CREATE FUNCTION f() RETURNS INT RETURN 1',
    ]);
  });

  it('does not split on the active delimiter inside strings or comments', () => {
    expect(sqls("DELIMITER $$\nSELECT '$$' -- $$\n, 2 /* $$ */ $$\nDELIMITER ;")).toEqual([
      "SELECT '$$' \n, 2",
    ]);
  });

  it('treats a line starting with "delimiter" inside a statement as SQL (like the client)', () => {
    expect(sqls('CREATE TABLE t (\n  delimiter VARCHAR(5)\n);')).toEqual([
      'CREATE TABLE t (\n  delimiter VARCHAR(5)\n)',
    ]);
    expect(sqls('SELECT delimiter_col FROM t;')).toEqual(['SELECT delimiter_col FROM t']);
  });

  it('normalises CRLF line ends', () => {
    expect(splitStatements('SELECT 1;\r\n\r\nSELECT\r\n 2;')).toEqual([
      { sql: 'SELECT 1', line: 1 },
      { sql: 'SELECT\n 2', line: 3 },
    ]);
  });

  it('reports an unterminated string with the line it started on', () => {
    const err = splitError("SELECT 1;\nSELECT 'abc;\nmore\n");
    expect(err.code).toBe('E_MIGRATION_FILES');
    expect(err.exitCode).toBe(2);
    expect(err.line).toBe(2);
    expect(err.script).toBe('V1__x.sql');
    expect(err.message).toContain('V1__x.sql line 2: unterminated');
  });

  it('reports an unterminated backtick identifier and block comment', () => {
    expect(splitError('SELECT `abc FROM t;').message).toContain('line 1: unterminated `…` identifier');
    expect(splitError('SELECT 1;\n\n/* never closed;\n').message).toContain(
      'line 3: unterminated /* comment',
    );
    expect(splitError('SELECT /*! never closed').line).toBe(1);
  });

  it('refuses DELIMITER without a value or with a backslash', () => {
    expect(splitError('DELIMITER\nSELECT 1;').message).toContain('DELIMITER needs a value');
    expect(splitError('SELECT 1;\nDELIMITER \\\\\n').line).toBe(2);
  });
});

describe('statementExcerpt', () => {
  it('gives the first line, marking that more follows', () => {
    expect(statementExcerpt('SELECT 1')).toBe('SELECT 1');
    expect(statementExcerpt('CREATE TABLE t (\n id INT)')).toBe('CREATE TABLE t ( …');
  });

  it('cuts long lines to 120 characters', () => {
    const out = statementExcerpt(`SELECT ${'x'.repeat(300)}`);
    expect(out).toHaveLength(120);
    expect(out.endsWith('…')).toBe(true);
  });
});
