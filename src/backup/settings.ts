/**
 * Backup settings from the loaded configuration (the `backup` section: BACKUP_DIR,
 * BACKUP_RETENTION_DAYS, ENCRYPT_BACKUPS, BACKUP_KEY_FILE), with the directory defaulting to
 * `backups/` under the mysqlops home.
 */
import path from 'node:path';
import type { MysqlopsConfig } from '../config/index.js';
import type { BackupSettings } from './types.js';

/** The settings a backup or restore runs with; `overrides` (CLI flags) win. */
export function backupSettings(
  config: Pick<MysqlopsConfig, 'backup' | 'sandbox'>,
  overrides: Partial<BackupSettings> = {},
): BackupSettings {
  const b = config.backup;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    dir: b.dir ?? path.join(config.sandbox.home, 'backups'),
    retentionDays: b.retentionDays,
    encrypt: b.encrypt,
    keyFile: b.keyFile,
    compression: b.compression,
    threads: b.threads,
    ...defined,
  };
}
