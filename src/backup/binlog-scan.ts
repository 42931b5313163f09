/**
 * Reading the event headers of a binary log file (never its rows): each event's position, time and
 * type, and the GTID of the events that start a transaction. Point-in-time recovery uses it to turn
 * a time or a GTID into a stop position on a transaction boundary, and to learn how far a chain of
 * logs reaches, without trusting the text `mariadb-binlog` prints. Reads in 1 MB blocks: memory
 * stays flat whatever the size of the log.
 */
import { promises as fsp } from 'node:fs';
import { BackupError } from '../errors.js';

/** One event of a binary log. */
export interface BinlogEvent {
  /** Offset of the event in its file (what --start-position/--stop-position take). */
  position: number;
  /** Offset just past the event. */
  end: number;
  /** When the statement that wrote it started, seconds since the epoch (UTC), one-second resolution. */
  timestamp: number;
  type: number;
  /** Events that start a transaction (event group): its GTID (`domain-server-seq`, or MySQL `uuid:n`). */
  gtid?: string;
  /** True for the events that start an event group (GTID events, also MySQL's anonymous ones). */
  groupStart: boolean;
  /** True for events outside any transaction: file headers, rotations, checkpoints, GTID lists. */
  bookkeeping: boolean;
}

const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
const HEADER = 19;
/** Header plus the longest GTID body read (MySQL: flags 1 + uuid 16 + gno 8). */
const LOOKAHEAD = HEADER + 25;
const BLOCK = 1024 * 1024;

const MARIADB_GTID = 162;
const MYSQL_GTID = 33;
const MYSQL_ANONYMOUS_GTID = 34;
/**
 * Events that belong to no transaction: start v3 (1), stop (3), rotate (4), format description
 * (15), heartbeat (27), previous GTIDs (35, MySQL), binlog checkpoint (161), GTID list (163),
 * start encryption (164). Their times say when a file was opened or closed, not when data changed.
 */
const BOOKKEEPING = new Set([1, 3, 4, 15, 27, 35, 161, 163, 164]);

/**
 * The events of binary log `file` from offset `from` (default: the first event), in order. A
 * truncated last event (a log still being written) ends the walk; a file that is not a binary log
 * or an event that claims an impossible size fails with E_BACKUP_CORRUPT naming `label`.
 */
export async function* readEvents(file: string, label: string, from = 4): AsyncGenerator<BinlogEvent> {
  const handle = await fsp.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (!magic.equals(MAGIC)) throw damaged(label, 'it does not start like a binary log');
    const block = Buffer.alloc(BLOCK);
    let buf = block.subarray(0, 0);
    let bufStart = from;
    let pos = Math.max(4, from);
    while (pos + HEADER <= size) {
      if (pos + LOOKAHEAD > bufStart + buf.length) {
        const { bytesRead } = await handle.read(block, 0, BLOCK, pos);
        buf = block.subarray(0, bytesRead);
        bufStart = pos;
      }
      const o = pos - bufStart;
      const timestamp = buf.readUInt32LE(o);
      const type = buf[o + 4] as number;
      const serverId = buf.readUInt32LE(o + 5);
      const length = buf.readUInt32LE(o + 9);
      if (length < HEADER) throw damaged(label, `the event at ${pos} claims ${length} bytes`);
      if (pos + length > size) break;
      const event: BinlogEvent = {
        position: pos,
        end: pos + length,
        timestamp,
        type,
        groupStart: type === MARIADB_GTID || type === MYSQL_GTID || type === MYSQL_ANONYMOUS_GTID,
        bookkeeping: BOOKKEEPING.has(type),
      };
      if (type === MARIADB_GTID && o + HEADER + 12 <= buf.length) {
        const seq = buf.readBigUInt64LE(o + HEADER);
        const domain = buf.readUInt32LE(o + HEADER + 8);
        event.gtid = `${domain}-${serverId}-${seq}`;
      } else if (type === MYSQL_GTID && o + HEADER + 25 <= buf.length) {
        const sid = buf.subarray(o + HEADER + 1, o + HEADER + 17).toString('hex');
        const gno = buf.readBigInt64LE(o + HEADER + 17);
        event.gtid = `${sid.slice(0, 8)}-${sid.slice(8, 12)}-${sid.slice(12, 16)}-${sid.slice(16, 20)}-${sid.slice(20)}:${gno}`;
      }
      yield event;
      pos += length;
    }
  } finally {
    await handle.close();
  }
}

function damaged(label: string, detail: string): BackupError {
  return new BackupError({
    code: 'E_BACKUP_CORRUPT',
    message: `binary log ${label} is damaged: ${detail}`,
    file: label,
  });
}

/** A GTID (`domain-server-seq`) or a GTID position (a comma-separated list of them), parsed. */
export interface MariadbGtid {
  domain: number;
  server: number;
  seq: bigint;
}

/** `0-1-42` as its parts; undefined when it is not a MariaDB GTID. */
export function parseMariadbGtid(text: string): MariadbGtid | undefined {
  const m = /^(\d{1,10})-(\d{1,10})-(\d{1,20})$/.exec(text.trim());
  if (!m) return undefined;
  return { domain: Number(m[1]), server: Number(m[2]), seq: BigInt(m[3] as string) };
}

/** The GTIDs of a MariaDB GTID position (`0-1-42,1-2-7`), one per domain; unparsable parts are skipped. */
export function parseGtidPosition(position: string | null | undefined): MariadbGtid[] {
  if (!position) return [];
  return position
    .split(',')
    .map((p) => parseMariadbGtid(p))
    .filter((g): g is MariadbGtid => g !== undefined);
}

/** `mysql-bin.000042` as its base and number; undefined for names without a numeric extension. */
export function binlogNumber(name: string): { base: string; n: number } | undefined {
  const m = /^(.*)\.(\d+)$/.exec(name);
  return m ? { base: m[1] as string, n: Number(m[2]) } : undefined;
}

/** True when binary log `b` is the one the server opened right after `a`. */
export function isNextBinlog(a: string, b: string): boolean {
  const x = binlogNumber(a);
  const y = binlogNumber(b);
  return x !== undefined && y !== undefined && x.base === y.base && y.n === x.n + 1;
}
