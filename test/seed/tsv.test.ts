/**
 * Values as LOAD DATA reads them: escaping, NULL, money, timestamps.
 */
import { describe, expect, it } from 'vitest';
import { cents, DateTimeFormatter, TSV_NULL, tsvLine, tsvText } from '../../src/seed/tsv.js';

describe('tsvText', () => {
  it('leaves plain text (including UTF-8) untouched', () => {
    expect(tsvText("Zoë O'Brien, Île-de-France")).toBe("Zoë O'Brien, Île-de-France");
  });

  it('escapes tabs, newlines, carriage returns and backslashes', () => {
    expect(tsvText('a\tb')).toBe('a\\tb');
    expect(tsvText('line1\nline2')).toBe('line1\\nline2');
    expect(tsvText('crlf\r\n')).toBe('crlf\\r\\n');
    expect(tsvText('C:\\temp\\')).toBe('C:\\\\temp\\\\');
  });

  it('escapes NUL and Ctrl-Z', () => {
    expect(tsvText('a\u0000b\u001ac')).toBe('a\\0b\\Zc');
  });

  it('writes NULL as \\N and keeps the text "\\N" as text', () => {
    expect(tsvText(null)).toBe(TSV_NULL);
    expect(tsvText(undefined)).toBe('\\N');
    expect(tsvText('\\N')).toBe('\\\\N');
    expect(tsvText('')).toBe('');
  });
});

describe('tsvLine', () => {
  it('joins escaped fields with tabs and ends the line', () => {
    expect(tsvLine([1, 'a\tb', null, 'x'])).toBe('1\ta\\tb\t\\N\tx\n');
  });
});

describe('cents', () => {
  it('formats integer cents as DECIMAL text', () => {
    expect(cents(0)).toBe('0.00');
    expect(cents(5)).toBe('0.05');
    expect(cents(1999)).toBe('19.99');
    expect(cents(123456700)).toBe('1234567.00');
  });
});

describe('DateTimeFormatter', () => {
  it('formats epoch seconds as UTC DATETIME text, before and after its first cached day', () => {
    const fmt = new DateTimeFormatter(Date.UTC(2024, 0, 1) / 1000);
    expect(fmt.format(Date.UTC(2024, 1, 29, 23, 59, 59) / 1000)).toBe('2024-02-29 23:59:59');
    expect(fmt.format(Date.UTC(2024, 0, 1, 0, 0, 0) / 1000)).toBe('2024-01-01 00:00:00');
    expect(fmt.format(Date.UTC(2023, 11, 31, 7, 8, 9) / 1000)).toBe('2023-12-31 07:08:09');
  });
});
