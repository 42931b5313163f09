/**
 * Counting the transactions between two GTID positions, for the replica "GTID gap" (received but
 * not yet applied). MySQL and MariaDB write GTIDs differently, so there is one reader for each.
 */

/**
 * Transactions in a MySQL GTID set (`uuid:1-5:7,uuid2:3-4` has 5 + 1 + 2 = 8). Tags (8.3+,
 * `uuid:tag:1-5`) are skipped like any other non-interval part.
 */
export function countMysqlGtidSet(set: string): number {
  let total = 0;
  for (const member of set.split(',')) {
    for (const part of member.trim().split(':').slice(1)) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (!m) continue;
      const start = Number(m[1]);
      const end = m[2] === undefined ? start : Number(m[2]);
      if (end >= start) total += end - start + 1;
    }
  }
  return total;
}

/** A MariaDB GTID position (`domain-server-seq,...`) as the highest sequence number per domain. */
export function parseMariadbPosition(position: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const gtid of position.split(',')) {
    const m = /^\s*(\d+)-(\d+)-(\d+)\s*$/.exec(gtid);
    if (!m) continue;
    const domain = Number(m[1]);
    out.set(domain, Math.max(out.get(domain) ?? 0, Number(m[3])));
  }
  return out;
}

/**
 * MariaDB: transactions received (`Gtid_IO_Pos`) but not applied (`gtid_slave_pos`), summed over
 * domains. Sequence numbers are per domain and increase by one per transaction within a domain.
 */
export function mariadbGtidGap(received: string, applied: string): number {
  const got = parseMariadbPosition(received);
  const done = parseMariadbPosition(applied);
  let gap = 0;
  for (const [domain, seq] of got) gap += Math.max(0, seq - (done.get(domain) ?? 0));
  return gap;
}
