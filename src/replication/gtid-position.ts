/**
 * MariaDB GTID positions (`domain-server-seq,...`) compared the way failover needs: does one node hold
 * every transaction another holds, and if not, which ones it lacks. Pure: no I/O.
 *
 * Within a domain, sequence numbers grow by one per transaction and every node applies a domain in
 * order (gtid_strict_mode), so a position's highest sequence number per domain says what it holds
 * (parsed as the routing layer parses it: src/db/gtid.ts).
 */
import { mergeGtidPosition, parseGtidPosition } from '../db/gtid.js';

const mariadb = (position: string | null | undefined) => parseGtidPosition(position, 'mariadb');

/** One domain's transactions that `have` lacks and `ahead` holds: sequence numbers `from..to`. */
export interface MissingRange {
  domain: number;
  from: number;
  to: number;
  /** The last GTID of the range as `ahead` reports it (`domain-server-seq`). */
  last: string;
}

/** The transactions `ahead` holds that `have` does not, per domain; empty when `have` holds them all. */
export function missingTransactions(have: string | null, ahead: string | null): MissingRange[] {
  const mine = mariadb(have);
  const out: MissingRange[] = [];
  for (const [domain, p] of mariadb(ahead)) {
    const got = mine.get(domain)?.seq ?? 0;
    if (p.seq > got) out.push({ domain: Number(domain), from: got + 1, to: p.seq, last: p.text });
  }
  return out.sort((a, b) => a.domain - b.domain);
}

/** True when `have` holds every transaction of `wanted`. */
export function covers(have: string | null, wanted: string | null): boolean {
  return missingTransactions(have, wanted).length === 0;
}

/** Per domain, the later of the two positions (what a replica holds applied or in its relay log). */
export function laterOf(a: string | null, b: string | null): string {
  const merged = mariadb(a);
  mergeGtidPosition(merged, mariadb(b));
  return [...merged]
    .sort(([x], [y]) => Number(x) - Number(y))
    .map(([, p]) => p.text)
    .join(',');
}

/** `domain 0: 13-15 (up to 0-1-15)`, for messages. */
export function describeMissing(ranges: readonly MissingRange[]): string {
  return ranges
    .map((r) => {
      const n = r.to - r.from + 1;
      const seqs = r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`;
      return `${n} transaction${n === 1 ? '' : 's'} in domain ${r.domain} (seq ${seqs}, up to ${r.last})`;
    })
    .join(', ');
}
