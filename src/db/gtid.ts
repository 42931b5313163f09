/**
 * GTID positions for read-your-writes: what a write produced and what a replica has applied,
 * reduced to "highest transaction per stream" so that "has this replica got my write?" is a map
 * lookup. A stream is a MariaDB replication domain (`domain-server-seq`) or a MySQL source UUID
 * (`uuid:n`). Both flavors apply a stream's transactions in order (MariaDB per domain; MySQL with
 * replica_preserve_commit_order, its default since 8.0.27), so the highest one stands for all.
 */
import type { FlavorKind } from './flavor.js';

/** The highest transaction seen per stream, with the text that names it to the server. */
export type GtidPosition = Map<string, { seq: number; text: string }>;

/**
 * Parse a position as the server prints it: MariaDB `0-1-42,1-2-7` (gtid_slave_pos, last_gtid),
 * MySQL `uuid:1-42:50,uuid2:3` (gtid_executed, session-tracked GTIDs). Whitespace and newlines are
 * ignored; anything unreadable is skipped (the position then covers less, which is safe).
 */
export function parseGtidPosition(text: string | null | undefined, kind: FlavorKind): GtidPosition {
  const out: GtidPosition = new Map();
  if (!text) return out;
  for (const raw of text.replace(/\s+/g, '').split(',')) {
    if (!raw) continue;
    if (kind === 'mariadb') {
      const m = /^(\d+)-(\d+)-(\d+)$/.exec(raw);
      if (m) keepHigher(out, m[1] as string, Number(m[3]), raw);
      continue;
    }
    const [uuid, ...ranges] = raw.split(':');
    if (!uuid || ranges.length === 0) continue;
    let top = 0;
    for (const range of ranges) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(range);
      if (m) top = Math.max(top, Number(m[2] ?? m[1]));
    }
    if (top > 0) keepHigher(out, uuid.toLowerCase(), top, `${uuid}:${top}`);
  }
  return out;
}

function keepHigher(pos: GtidPosition, stream: string, seq: number, text: string): void {
  const have = pos.get(stream);
  if (!have || have.seq < seq) pos.set(stream, { seq, text });
}

/** Fold `from` into `into` (the higher transaction per stream wins). */
export function mergeGtidPosition(into: GtidPosition, from: GtidPosition): void {
  for (const [stream, { seq, text }] of from) keepHigher(into, stream, seq, text);
}

/** True when `have` includes every transaction of `want` (an empty `want` is always covered). */
export function coversGtidPosition(have: GtidPosition, want: GtidPosition): boolean {
  for (const [stream, { seq }] of want) {
    if ((have.get(stream)?.seq ?? -1) < seq) return false;
  }
  return true;
}

/** The position as the wait functions take it: `0-1-42,1-2-7` or `uuid:42,uuid2:3`. */
export function formatGtidPosition(pos: GtidPosition): string {
  return [...pos.values()].map((v) => v.text).join(',');
}

/**
 * What one caller (a manager, or one `withContext` view) has written: the GTIDs its reads must see.
 * `at` is when the last write was noted (ms since the epoch), for time-bounded rules.
 */
export class WriteFence {
  readonly position: GtidPosition = new Map();
  at = 0;

  /** Note a write's GTID text (or undefined when the server reported none). */
  note(text: string | undefined, kind: FlavorKind, now = Date.now()): void {
    this.at = now;
    if (text) mergeGtidPosition(this.position, parseGtidPosition(text, kind));
  }

  get empty(): boolean {
    return this.position.size === 0 && this.at === 0;
  }
}
