/**
 * Cuts the text of a migration file into statements the way the `mariadb`/`mysql` command-line
 * client does, so a file that runs with `mariadb db < file.sql` runs here too:
 * - `DELIMITER xx` on a line of its own (when no statement is open) changes the delimiter, so
 *   routine and trigger bodies can hold `;`.
 * - Delimiters inside '…', "…" and `…` (backslash escapes, doubled quotes) and inside comments
 *   do not count.
 * - `-- ` and `#` comments and plain `/* … *\/` comments are removed (line breaks kept, so server
 *   line numbers still match); executable comments `/*! … *\/`, `/*M! … *\/` and optimizer hints
 *   `/*+ … *\/` stay in the statement.
 * - Statements that are empty or only comments are dropped.
 * Pure: no I/O. An unterminated string or comment is an error naming the line it started on.
 */
import { MigrationError } from '../errors.js';
import type { SqlStatement } from './types.js';

const DELIMITER_LINE = /^[ \t]*delimiter(?=[ \t]|$)(?:[ \t]+(\S*))?/i;

/**
 * Split `text` into statements with the 1-based line each starts on. `script` names the file in
 * errors. Throws `E_MIGRATION_FILES` (exit 2) for an unterminated string, identifier or comment,
 * and for a `DELIMITER` line without a usable delimiter.
 */
export function splitStatements(text: string, script = '(sql)'): SqlStatement[] {
  const src = text.replace(/\r\n/g, '\n');
  const n = src.length;
  const out: SqlStatement[] = [];
  let delimiter = ';';
  let buf = '';
  // Line of the statement's first real character; 0 while the statement holds only blanks.
  let start = 0;
  let line = 1;
  let i = 0;
  let atLineStart = true;

  const fail = (message: string, at: number): never => {
    throw new MigrationError({
      code: 'E_MIGRATION_FILES',
      message: `${script} line ${at}: ${message}`,
      hint: 'fix the file; it must also run with the mariadb/mysql command-line client',
      script,
      line: at,
      exitCode: 2,
    });
  };
  const flush = () => {
    const sql = buf.trim();
    if (sql && start > 0) out.push({ sql, line: start });
    buf = '';
    start = 0;
  };
  // Copy src[from, to) into the statement, counting the line breaks it spans.
  const take = (from: number, to: number) => {
    if (start === 0) start = line;
    const piece = src.slice(from, to);
    buf += piece;
    line += countNewlines(piece);
  };

  while (i < n) {
    // The client only treats DELIMITER as a command at the start of a line between statements;
    // inside a statement it is ordinary text (a column may be called `delimiter`).
    if (atLineStart && start === 0) {
      const eol = src.indexOf('\n', i);
      const end = eol === -1 ? n : eol;
      const m = DELIMITER_LINE.exec(src.slice(i, end));
      if (m) {
        const value = m[1] ?? '';
        if (value === '') fail('DELIMITER needs a value (e.g. DELIMITER $$)', line);
        if (value.includes('\\')) fail(`DELIMITER cannot contain a backslash (got ${value})`, line);
        delimiter = value;
        buf = '';
        i = end;
        atLineStart = false;
        continue;
      }
    }
    atLineStart = false;
    const c = src[i] as string;
    const next = src[i + 1];

    if (c === '\n') {
      buf += c;
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const end = endOfQuoted(src, i, c);
      if (end === -1) fail(`unterminated ${c}…${c} ${c === '`' ? 'identifier' : 'string'}`, line);
      take(i, end);
      i = end;
      continue;
    }
    if (c === '/' && next === '*') {
      const executable = src[i + 2] === '!' || src[i + 2] === '+' || src.startsWith('M!', i + 2);
      const end = executable ? endOfExecutableComment(src, i + 2) : src.indexOf('*/', i + 2);
      if (end === -1) fail('unterminated /* comment', line);
      const close = executable ? end : end + 2;
      if (executable) {
        take(i, close);
      } else {
        const breaks = countNewlines(src.slice(i, close));
        buf += breaks ? '\n'.repeat(breaks) : ' ';
        line += breaks;
      }
      i = close;
      continue;
    }
    if (c === '#' || (c === '-' && next === '-' && isCommentSpace(src[i + 2]))) {
      const eol = src.indexOf('\n', i);
      i = eol === -1 ? n : eol;
      continue;
    }
    if (src.startsWith(delimiter, i)) {
      flush();
      i += delimiter.length;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      buf += c;
    } else {
      take(i, i + 1);
    }
    i++;
  }
  flush();
  return out;
}

/** Index just past the quote that closes the one at `open`, or -1. */
function endOfQuoted(src: string, open: number, quote: string): number {
  const escapes = quote !== '`';
  let i = open + 1;
  while (i < src.length) {
    const c = src[i];
    if (escapes && c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (src[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return -1;
}

/**
 * Index just past the `*\/` closing an executable comment whose body starts at `from`, or -1.
 * Its body is SQL, so a `*\/` inside a quoted string there does not close it.
 */
function endOfExecutableComment(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      const end = endOfQuoted(src, i, c);
      if (end === -1) return -1;
      i = end;
      continue;
    }
    if (c === '*' && src[i + 1] === '/') return i + 2;
    i++;
  }
  return -1;
}

/** `--` starts a comment only when followed by whitespace, a control character or the end. */
function isCommentSpace(c: string | undefined): boolean {
  return c === undefined || c <= ' ';
}

function countNewlines(s: string): number {
  let count = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) count++;
  return count;
}

/** The first line of a statement, at most `max` characters, for messages. */
export function statementExcerpt(sql: string, max = 120): string {
  const first = (sql.split('\n', 1)[0] ?? '').trim();
  const more = first.length < sql.trim().length;
  if (first.length > max) return `${first.slice(0, max - 1)}…`;
  return more ? `${first} …` : first;
}
