/**
 * The shapes of the backup module: options, progress events, results and the manifest. The
 * manifest is the contract between `backupFull` and `restore`/`verifyBackup`/`listBackups`; its
 * `format` number changes whenever a reader of an older one could misread a newer one.
 */

/** How the data files are compressed. `zstd` needs the `zstd` program (Debian package `zstd`). */
export type Compression = 'zstd' | 'gzip' | 'none';

/** Where backups go and how they are protected; see `BackupSettings` in settings.ts. */
export interface BackupSettings {
  /** Directory holding one folder per backup. */
  dir: string;
  /** Days to keep backups (used by prune; not yet implemented). */
  retentionDays: number;
  /** Encrypt every file with AES-256-GCM. Needs `keyFile`. */
  encrypt: boolean;
  /** File holding a 32-byte key (raw, 64 hex characters or base64) or else a passphrase. */
  keyFile?: string | undefined;
  /** Default `zstd`. */
  compression: Compression;
  /** Worker connections. Default 4. */
  threads: number;
}

/**
 * A progress event of `backupFull`, through its phases in order. `totalRows` is 0 before the dump,
 * an estimate from the tables' statistics during it (never below `rows`), the final count after it.
 */
export interface BackupProgress {
  phase: 'snapshot' | 'plan' | 'dump' | 'schema' | 'manifest';
  /** Rows written so far / estimated rows (dump phase). */
  rows: number;
  totalRows: number;
  /** `db.table` being worked on, when there is one. */
  table?: string;
}

/**
 * A progress event of `restore`, through its phases in order: checking the targets, creating the
 * tables, loading rows (`rows` of the manifest's `totalRows`), secondary keys, then the other objects.
 */
export interface RestoreProgress {
  phase: 'check' | 'schema' | 'load' | 'indexes' | 'objects';
  rows: number;
  totalRows: number;
  table?: string;
}

/** One file of a backup, as the manifest lists it. */
export interface ManifestFile {
  /** Path relative to the backup folder, always with `/`. */
  path: string;
  /** Bytes on disk. */
  size: number;
  /** sha256 of the bytes on disk, hex. */
  sha256: string;
}

/** One chunk of one table: a data file and the rows in it. */
export interface ManifestChunk {
  file: string;
  rows: number;
}

/**
 * One table's data in a manifest: the chunk files to load and the columns they hold. `rows` was
 * counted in the snapshot; verify and restore tests check the files and the restore against it.
 */
export interface ManifestTable {
  database: string;
  table: string;
  /** Columns loaded, in file order (generated columns are not dumped). */
  columns: string[];
  rows: number;
  chunks: ManifestChunk[];
  /** Who escaped the values: the server (one value per row) or the client (see row-select.ts). */
  encoding: 'server' | 'client';
  /** How the table was split: by integer key ranges, key boundaries, or one chunk. */
  chunking: 'integer-range' | 'key-boundaries' | 'single';
}

/**
 * How a backup's consistent snapshot was taken and where it sits in the binary log, which is where
 * point-in-time recovery starts replaying. The binary log fields are null when binary logging is off.
 */
export interface SnapshotInfo {
  /** How the workers were made to agree: a brief commit block, or equal snapshot positions. */
  method: 'backup-stage-block-commit' | 'flush-tables-read-lock' | 'position-compare' | 'binlog-copy';
  /** Milliseconds any global lock or commit block was held (0 when none was taken). */
  lockHeldMs: number;
  binlogFile: string | null;
  binlogPosition: number | null;
  /** GTID position of the snapshot (MariaDB `gtid_binlog_pos` form, or MySQL GTID set). */
  gtid: string | null;
  /** Attempts needed (position-compare only). */
  attempts: number;
}

export interface EncryptionInfo {
  algorithm: 'aes-256-gcm';
  /** `raw`: the key file holds the key; `scrypt`: the key is derived from a passphrase. */
  kdf: 'raw' | 'scrypt';
  /** scrypt salt, base64 (kdf scrypt only). */
  salt?: string;
  /** scrypt cost parameters (kdf scrypt only). */
  params?: { N: number; r: number; p: number };
  /** HMAC-SHA256 of a fixed text under the key, base64: tells a wrong key before any file is read. */
  keyCheck: string;
  /** Plaintext bytes per authenticated segment. */
  segmentBytes: number;
}

/**
 * A backup's manifest.json: what the backup holds, with the size and sha256 of every file. Its
 * presence means the backup is complete. Times are ISO 8601 UTC; `incremental` is set for
 * incremental backups only, `mac` for encrypted ones only.
 */
export interface Manifest {
  format: 1;
  tool: { name: 'mysqlops'; version: string };
  id: string;
  type: 'full' | 'incremental';
  server: { flavor: 'mariadb' | 'mysql'; version: string };
  databases: string[];
  startedAt: string;
  finishedAt: string;
  snapshot: SnapshotInfo;
  compression: Compression;
  encryption: EncryptionInfo | null;
  /** The schema file (DDL of every object), relative path. */
  schemaFile: string;
  tables: ManifestTable[];
  files: ManifestFile[];
  totals: { rows: number; bytes: number; files: number };
  /** Incremental backups: what they continue and which binary logs they hold. */
  incremental?: IncrementalInfo;
  /**
   * Encrypted backups: HMAC-SHA256 (base64) under the backup key of this manifest without `mac`, so
   * a manifest edited to leave a file or a table out is detected like an edited file.
   */
  mac?: string;
}

/** A position in the binary log. */
export interface BinlogPoint {
  file: string;
  position: number;
  gtid: string | null;
}

/**
 * What an incremental backup's manifest adds: its place in the chain (parent and root full backup)
 * and the binary log range it covers, which starts exactly where its parent ended.
 */
export interface IncrementalInfo {
  /** The backup this one continues (a full one, or the previous incremental). */
  parent: string;
  /** The full backup at the root of the chain. */
  full: string;
  /** Where replay starts (the parent's end) and where this backup ends. */
  start: BinlogPoint;
  end: BinlogPoint;
  /** The binary log files copied whole, in order, with the backup file holding each. */
  binlogs: Array<{ name: string; file: string; size: number }>;
}

/** The DDL of one database, as stored in the schema file. */
export interface DatabaseSchema {
  name: string;
  createDatabase: string;
  tables: Array<{ name: string; create: string }>;
  views: Array<{ name: string; create: string }>;
  routines: Array<{ name: string; type: 'PROCEDURE' | 'FUNCTION'; create: string; sqlMode: string }>;
  triggers: Array<{ name: string; table: string; create: string; sqlMode: string }>;
  events: Array<{ name: string; create: string; sqlMode: string; timeZone: string }>;
}

export interface SchemaDocument {
  format: 1;
  databases: DatabaseSchema[];
  /** Accounts and roles with their grants (`backup full --users`); absent otherwise. */
  users?: AccountDefinition[];
}

/** One account or role as `backup full --users` keeps it (see users.ts). */
export interface AccountDefinition {
  user: string;
  /** Empty for a role. */
  host: string;
  role: boolean;
  /** SHOW CREATE USER (holds the password hash), or CREATE ROLE IF NOT EXISTS. */
  create: string;
  /** SHOW GRANTS, in the server's order. */
  grants: string[];
}
