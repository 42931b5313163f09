/**
 * The backup settings as the blueprint's environment variables and the config file set them,
 * validated at the edge with every problem named.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupSettings } from '../../src/backup/index.js';
import { describeConfig, loadConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { backupDir } from './helpers.js';

const cwd = backupDir('settings');
const load = (environ: Record<string, string>) => loadConfig({ environ, cwd });

describe('backup settings', () => {
  it('default to zstd, 4 threads, 7 days, no encryption, under the mysqlops home', () => {
    const s = backupSettings(load({}));
    expect(s).toEqual({
      dir: path.join(cwd, '.mysqlops', 'backups'),
      retentionDays: 7,
      encrypt: false,
      keyFile: undefined,
      compression: 'zstd',
      threads: 4,
    });
    expect(backupSettings(load({ MYSQLOPS_HOME: 'state' })).dir).toBe(path.join(cwd, 'state', 'backups'));
  });

  it('come from BACKUP_DIR, BACKUP_RETENTION_DAYS, ENCRYPT_BACKUPS and BACKUP_KEY_FILE', () => {
    const config = load({
      BACKUP_DIR: 'bk',
      BACKUP_RETENTION_DAYS: '30',
      ENCRYPT_BACKUPS: 'true',
      BACKUP_KEY_FILE: 'keys/backup.key',
    });
    expect(backupSettings(config, { threads: 2 })).toMatchObject({
      dir: path.join(cwd, 'bk'),
      retentionDays: 30,
      encrypt: true,
      keyFile: path.join(cwd, 'keys/backup.key'),
      threads: 2,
    });
    expect(describeConfig(config).backup).toMatchObject({
      encrypt: true,
      keyFile: path.join(cwd, 'keys/backup.key'),
    });
  });

  it('refuse encryption without a key file and bad values, all in one error', () => {
    try {
      load({ ENCRYPT_BACKUPS: 'yes', BACKUP_RETENTION_DAYS: 'a week' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).issues.map((i) => i.path).sort();
      expect(paths).toEqual(['BACKUP_RETENTION_DAYS', 'ENCRYPT_BACKUPS']);
    }
    expect(() => load({ ENCRYPT_BACKUPS: 'true' })).toThrow(
      /BACKUP_KEY_FILE: required when ENCRYPT_BACKUPS is true/,
    );
  });

  it('come from the config file too, paths relative to the file', () => {
    const dir = backupDir('file');
    const file = path.join(dir, 'mysqlops.config.yaml');
    writeFileSync(file, 'backup:\n  dir: ./b\n  compression: gzip\n  threads: 8\n');
    const config = loadConfig({ environ: {}, cwd, configFile: file });
    expect(backupSettings(config)).toMatchObject({
      dir: path.join(dir, 'b'),
      compression: 'gzip',
      threads: 8,
    });
  });
});
