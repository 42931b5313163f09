/**
 * Replaying binary log files into a server: `mariadb-binlog` turns the events between a start and a
 * stop position into SQL (row events as BINLOG statements), keeping one database's changes
 * (`--database`; `--rewrite-db` renames it for a restore under another name), and its output
 * is piped into a `mariadb` client that reads its credentials from a 0600 option file. The
 * statements that would give the replayed transactions their original GTIDs are dropped on the way:
 * replayed changes are new writes on this server and get new GTIDs (reusing old ones would put
 * duplicates in its binary log, or fail under gtid_strict_mode). MySQL: `mysqlbinlog --skip-gtids`
 * into `mysql` (untested).
 */
import { spawn } from 'node:child_process';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResolvedTarget } from '../db/index.js';
import { BackupError, redactServerMessage } from '../errors.js';
import { toolEnvironment, writeClientOptions } from './client-options.js';

export interface ReplaySpec {
  flavor: 'mariadb' | 'mysql';
  /** Local binary log files, in order. */
  files: string[];
  /** Where to start in the first file (default: its first event). */
  startPosition?: number | undefined;
  /** Where to stop in the last file (default: its end). */
  stopPosition?: number | undefined;
  /** The database whose changes are replayed, as the logs name it. */
  database: string;
  /** Where they go (default `database`). */
  targetDatabase?: string | undefined;
  /**
   * Write the replayed changes to the target server's binary log. Default false, like restore: the
   * base restore was not logged either, and replicas must not receive changes to a database they
   * never got. Unlogged replay needs BINLOG ADMIN (MariaDB) / SESSION_VARIABLES_ADMIN (MySQL).
   */
  binlog?: boolean | undefined;
}

/** Lines of mariadb-binlog output that set the session's GTID or server id (`/*M!100001 SET @@session.gtid_seq_no=7*\/...`). */
const GTID_LINE = /^\/\*M?!\d+ SET @@session\.(?:gtid_domain_id|gtid_seq_no|server_id)=\d+\*\/\/\*!\*\/;\r?$/;
/** No GTID line is longer: a longer line (a big statement) passes without being held back. */
const MAX_GTID_LINE = 96;

/** True while `line` (a line's start) may still turn out to be a GTID line. */
function mayBeGtidLine(line: Buffer): boolean {
  return (
    line.length < MAX_GTID_LINE &&
    (line.length < 1 || line[0] === 0x2f) &&
    (line.length < 2 || line[1] === 0x2a)
  );
}

/**
 * Drops the GTID lines of a mariadb-binlog stream; every other byte passes untouched. Only the
 * start of a line that may be a GTID line is held back between chunks, so a statement of many
 * megabytes streams through without being copied again and again.
 */
export class GtidLineFilter extends Transform {
  #carry: Buffer = Buffer.alloc(0);
  /** The line in progress is known to be something else: pass its bytes straight on. */
  #plain = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    let rest = chunk;
    if (this.#plain) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.push(chunk);
        done();
        return;
      }
      this.push(chunk.subarray(0, nl + 1));
      rest = chunk.subarray(nl + 1);
      this.#plain = false;
    }
    const data = this.#carry.length > 0 ? Buffer.concat([this.#carry, rest]) : rest;
    let lineStart = 0;
    let kept = 0;
    const parts: Buffer[] = [];
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, lineStart)) {
      const line = data.subarray(lineStart, nl);
      if (mayBeGtidLine(line) && GTID_LINE.test(line.toString('latin1'))) {
        if (lineStart > kept) parts.push(data.subarray(kept, lineStart));
        kept = nl + 1;
      }
      lineStart = nl + 1;
    }
    const tail = data.subarray(lineStart);
    if (mayBeGtidLine(tail)) {
      if (lineStart > kept) parts.push(data.subarray(kept, lineStart));
      this.#carry = Buffer.from(tail);
    } else {
      if (data.length > kept) parts.push(data.subarray(kept));
      this.#carry = Buffer.alloc(0);
      this.#plain = true;
    }
    for (const p of parts) this.push(p);
    done();
  }

  override _flush(done: (err?: Error | null) => void): void {
    if (this.#carry.length > 0 && !GTID_LINE.test(this.#carry.toString('latin1'))) this.push(this.#carry);
    done();
  }
}

/** The arguments of the log reader for `spec` (no credentials: it reads local files only). */
export function readerArguments(spec: ReplaySpec): string[] {
  const target = spec.targetDatabase ?? spec.database;
  const args = ['--no-defaults'];
  // MariaDB: numeric positions only, and a chain may hold GTIDs out of order (multi-source, old replays).
  args.push(spec.flavor === 'mysql' ? '--skip-gtids' : '--skip-gtid-strict-mode');
  if (spec.startPosition !== undefined) args.push(`--start-position=${spec.startPosition}`);
  if (spec.stopPosition !== undefined) args.push(`--stop-position=${spec.stopPosition}`);
  if (target !== spec.database) args.push(`--rewrite-db=${spec.database}->${target}`);
  // mariadb-binlog filters on the name the log holds, mysqlbinlog on the rewritten one.
  args.push(`--database=${spec.flavor === 'mysql' ? target : spec.database}`, ...spec.files);
  return args;
}

/**
 * Replay `spec` into the server of `target`. `work` is a private (0700) folder for the option file.
 * Fails with E_BACKUP naming the tool and its last error line (values quoted by the server are
 * redacted) when either program fails; what was replayed up to then stays applied.
 */
export async function replayBinlogs(target: ResolvedTarget, work: string, spec: ReplaySpec): Promise<void> {
  if (spec.files.length === 0) return;
  const cnf = await writeClientOptions(target, work, spec.flavor);
  const [readerTool, clientTool] =
    spec.flavor === 'mysql' ? ['mysqlbinlog', 'mysql'] : ['mariadb-binlog', 'mariadb'];
  const env = toolEnvironment();
  const reader = spawn(readerTool, readerArguments(spec), { stdio: ['ignore', 'pipe', 'pipe'], env });
  const client = spawn(
    clientTool,
    [
      `--defaults-file=${cnf}`,
      '--binary-mode',
      '--batch',
      '--max-allowed-packet=1073741824',
      ...(spec.binlog === true ? [] : ['--init-command=SET SESSION sql_log_bin = 0']),
    ],
    { stdio: ['pipe', 'ignore', 'pipe'], env },
  );
  const readerDone = exited(reader, readerTool);
  const clientDone = exited(client, clientTool);
  const stages: NodeJS.ReadWriteStream[] = spec.flavor === 'mysql' ? [] : [new GtidLineFilter()];
  const piped = pipeline([reader.stdout, ...stages, client.stdin]).then(
    () => undefined,
    (err: unknown) => err,
  );
  const [readerResult, clientResult, pipeError] = await Promise.all([readerDone, clientDone, piped]);
  // The client's failure explains the reader's broken pipe, not the other way round.
  if (clientResult.error) throw replayFailure(clientTool, clientResult, spec, true);
  if (readerResult.error) throw replayFailure(readerTool, readerResult, spec, false);
  if (pipeError) {
    throw new BackupError({
      message: `replaying binary logs into ${spec.targetDatabase ?? spec.database} failed: ${(pipeError as Error).message}`,
      cause: pipeError,
    });
  }
}

interface Exit {
  error?: Error | undefined;
  code: number | null;
  stderr: string;
}

function exited(child: ReturnType<typeof spawn>, tool: string): Promise<Exit> {
  return new Promise((resolve) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString('utf8');
    });
    child.on('error', (error) => resolve({ error, code: null, stderr }));
    child.on('close', (code) =>
      resolve({ error: code === 0 ? undefined : new Error(`${tool} exited with ${code}`), code, stderr }),
    );
  });
}

function replayFailure(tool: string, exit: Exit, spec: ReplaySpec, isClient: boolean): BackupError {
  const missing = (exit.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  const last =
    exit.stderr
      .trim()
      .split('\n')
      .filter((l) => l.trim())
      .pop() ?? `exit code ${exit.code}`;
  const into = spec.targetDatabase ?? spec.database;
  return new BackupError({
    message: missing
      ? `cannot run ${tool}: it is not installed`
      : `replaying binary logs into ${into} failed (${tool}): ${redactServerMessage(last)}`,
    hint: missing
      ? 'install the MariaDB client tools (Debian: mariadb-client), or the MySQL client tools for a MySQL server'
      : isClient
        ? 'the restored database holds the full backup and the changes replayed before the failing one; the replaying account needs BINLOG REPLAY (or SUPER)'
        : undefined,
    cause: exit.error,
  });
}
