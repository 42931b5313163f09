/**
 * The data file format: the bytes of each value exactly as the server sends them in the text
 * protocol with `character_set_results = binary` (so every column keeps its own character set and
 * BLOB, BIT and GEOMETRY bytes pass untouched), escaped for
 * `LOAD DATA ... CHARACTER SET binary FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'`.
 * NULL is `\N`; the text "\N" becomes `\\N`; the word NULL and the empty string stay themselves.
 * Escaping is byte-wise, which is safe because the load reads the file as binary too.
 */

/** The LOAD DATA clause that reads what `RowEncoder` writes. */
export const LOAD_FORMAT =
  "CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n'";

const BACKSLASH = 0x5c;
/** Escape letter by byte value, 0 where the byte needs no escape. */
const ESCAPE = new Uint8Array(256);
ESCAPE[0x00] = 0x30; // \0
ESCAPE[0x09] = 0x74; // \t
ESCAPE[0x0a] = 0x6e; // \n
ESCAPE[0x0d] = 0x72; // \r
ESCAPE[0x1a] = 0x5a; // \Z
ESCAPE[BACKSLASH] = BACKSLASH;

/**
 * Collects rows into one buffer that grows as needed and is handed out (and reset) by `take()`,
 * so a chunk of rows becomes one write with no per-value allocations.
 */
export class RowEncoder {
  #buf: Buffer;
  #len = 0;

  constructor(initialBytes = 256 * 1024) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes collected so far. */
  get length(): number {
    return this.#len;
  }

  /** Append one row; `null` is SQL NULL. */
  add(values: ReadonlyArray<Buffer | null>): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] ?? null;
      // Worst case: every byte escaped, plus a separator.
      this.#reserve((v === null ? 2 : v.length * 2) + 1);
      if (i > 0) this.#buf[this.#len++] = 0x09;
      if (v === null) {
        this.#buf[this.#len++] = BACKSLASH;
        this.#buf[this.#len++] = 0x4e; // N
        continue;
      }
      const buf = this.#buf;
      let at = this.#len;
      for (let j = 0; j < v.length; j++) {
        const b = v[j] as number;
        const e = ESCAPE[b] as number;
        if (e === 0) buf[at++] = b;
        else {
          buf[at++] = BACKSLASH;
          buf[at++] = e;
        }
      }
      this.#len = at;
    }
    this.#reserve(1);
    this.#buf[this.#len++] = 0x0a;
  }

  /** Append one line the server already escaped (see row-select.ts). */
  addLine(line: Buffer): void {
    this.#reserve(line.length + 1);
    line.copy(this.#buf, this.#len);
    this.#len += line.length;
    this.#buf[this.#len++] = 0x0a;
  }

  /** The bytes collected (a copy), and start over. */
  take(): Buffer {
    const out = Buffer.from(this.#buf.subarray(0, this.#len));
    this.#len = 0;
    return out;
  }

  #reserve(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + extra));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
}

/**
 * Decode one encoded line back into values (for tests and tools; the server does this on restore).
 * `line` excludes the trailing newline.
 */
export function decodeLine(line: Buffer): Array<Buffer | null> {
  const out: Array<Buffer | null> = [];
  let field: number[] = [];
  let isNull = false;
  for (let i = 0; i <= line.length; i++) {
    const b = i < line.length ? (line[i] as number) : 0x09;
    if (b === 0x09 && i <= line.length) {
      out.push(isNull && field.length === 0 ? null : Buffer.from(field));
      field = [];
      isNull = false;
      continue;
    }
    if (b === BACKSLASH && i + 1 < line.length) {
      const next = line[++i] as number;
      if (next === 0x4e && field.length === 0 && (i + 1 === line.length || line[i + 1] === 0x09)) {
        isNull = true;
        continue;
      }
      const unescaped = UNESCAPE.get(next);
      field.push(unescaped ?? next);
      continue;
    }
    field.push(b);
  }
  return out;
}

const UNESCAPE = new Map<number, number>([
  [0x30, 0x00],
  [0x74, 0x09],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x5a, 0x1a],
  [BACKSLASH, BACKSLASH],
]);
