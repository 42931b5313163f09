/**
 * Finding a backup and its key: a backup is named by its id (a folder of the backup directory) or
 * by a path to its folder; the key comes from the configured key file and must be the backup's.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { BackupError } from '../errors.js';
import { type BackupKey, keyForBackup, readKeyFile } from './crypto.js';
import { checkManifestMac, readManifest } from './manifest.js';
import type { BackupSettings, Manifest } from './types.js';

/** The folder of backup `nameOrPath`: a path to an existing folder, else `settings.dir/<id>`. */
export function backupFolder(settings: Pick<BackupSettings, 'dir'>, nameOrPath: string): string {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.startsWith('.');
  if (looksLikePath) return path.resolve(nameOrPath);
  if (!/^[A-Za-z0-9._-]+$/.test(nameOrPath)) {
    throw new BackupError({ message: `invalid backup id ${JSON.stringify(nameOrPath)}`, exitCode: 2 });
  }
  const inDir = path.join(settings.dir, nameOrPath);
  try {
    if (statSync(inDir).isDirectory()) return inDir;
  } catch {
    // Not there: say so below, with the list command as the fix.
  }
  throw new BackupError({
    message: `no backup ${nameOrPath} in ${settings.dir}`,
    hint: 'mysqlops backup list shows the backups there (BACKUP_DIR chooses the directory)',
    exitCode: 2,
  });
}

/** The manifest of the backup and, for an encrypted one, its key (checked against the manifest). */
export async function openBackup(
  settings: Pick<BackupSettings, 'dir' | 'keyFile'>,
  nameOrPath: string,
): Promise<{ dir: string; manifest: Manifest; key: BackupKey | undefined }> {
  const dir = backupFolder(settings, nameOrPath);
  const manifest = await readManifest(dir);
  if (!manifest.encryption) return { dir, manifest, key: undefined };
  if (!settings.keyFile) {
    throw new BackupError({
      code: 'E_BACKUP_KEY',
      message: `backup ${manifest.id} is encrypted and no key file is configured`,
      hint: 'set BACKUP_KEY_FILE to the key file in use when the backup was taken',
      exitCode: 2,
    });
  }
  const key = keyForBackup(readKeyFile(settings.keyFile), manifest.encryption);
  checkManifestMac(key, manifest);
  return { dir, manifest, key };
}
