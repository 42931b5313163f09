/**
 * `verifyBackup()`: read every file of a backup through the same checks a restore uses (size and
 * sha256 against the manifest, authenticated decryption, decompression) and count the rows of each
 * data file (a newline ends each row; newlines inside values are escaped). Every file is checked,
 * and every problem reported, not only the first.
 */
import type { BackupKey } from './crypto.js';
import { type FileCodec, openSource } from './file-io.js';
import { openBackup } from './locate.js';
import type { BackupSettings, Manifest } from './types.js';

/**
 * One damaged or inconsistent backup file: its path in the backup folder, an error code
 * (E_BACKUP_CORRUPT, or the code the check threw) and a message for people.
 */
export interface VerifyProblem {
  file: string;
  code: string;
  message: string;
}

/**
 * What `verifyBackup` resolves with: `ok` when every file passed. `files` and `bytes` (on disk)
 * cover every file of the manifest, `rows` the data files only; `ms` is wall time.
 */
export interface VerifyResult {
  id: string;
  ok: boolean;
  files: number;
  bytes: number;
  rows: number;
  problems: VerifyProblem[];
  ms: number;
}

/**
 * Verify backup `nameOrPath`. A wrong key or a missing manifest throws (nothing can be checked);
 * damaged files are listed in `problems` (and `ok` is false).
 */
export async function verifyBackup(
  settings: Pick<BackupSettings, 'dir' | 'keyFile'>,
  nameOrPath: string,
  options: { onFile?: (done: number, total: number, file: string) => void } = {},
): Promise<VerifyResult> {
  const started = performance.now();
  const { dir, manifest, key } = await openBackup(settings, nameOrPath);
  return checkFiles(dir, manifest, key, started, options.onFile);
}

async function checkFiles(
  dir: string,
  manifest: Manifest,
  key: BackupKey | undefined,
  started: number,
  onFile?: (done: number, total: number, file: string) => void,
): Promise<VerifyResult> {
  const codec: FileCodec = { compression: manifest.compression, key };
  const expectedRows = new Map(
    manifest.tables.flatMap((t) => t.chunks.map((c) => [c.file, c.rows] as const)),
  );
  const problems: VerifyProblem[] = [];
  let rows = 0;
  let bytes = 0;
  let done = 0;
  for (const file of manifest.files) {
    let lines = 0;
    try {
      for await (const chunk of openSource(dir, file, codec)) {
        const b = chunk as Buffer;
        for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
      }
      const expected = expectedRows.get(file.path);
      if (expected !== undefined && expected !== lines) {
        problems.push({
          file: file.path,
          code: 'E_BACKUP_CORRUPT',
          message: `backup file ${file.path} holds ${lines} rows, the manifest says ${expected}`,
        });
      }
      if (expected !== undefined) rows += lines;
      bytes += file.size;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      problems.push({
        file: file.path,
        code: e.code ?? 'E_BACKUP_CORRUPT',
        message: e.message ?? String(err),
      });
    }
    onFile?.(++done, manifest.files.length, file.path);
  }
  return {
    id: manifest.id,
    ok: problems.length === 0,
    files: manifest.files.length,
    bytes,
    rows,
    problems,
    ms: Math.round(performance.now() - started),
  };
}
