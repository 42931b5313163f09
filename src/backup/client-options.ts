/**
 * Credentials for the MariaDB/MySQL command-line tools a backup runs (`mariadb-binlog` to copy
 * binary logs, `mariadb` to replay them): a 0600 option file in a private folder, so the password
 * is never on a command line (where `ps` shows it) nor in the environment of a child process.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ResolvedTarget } from '../db/index.js';
import { BackupError } from '../errors.js';

/** One option-file value, quoted; values that cannot be written safely are refused. */
function optionValue(value: string): string {
  if (/["\r\n\\]/.test(value)) {
    throw new BackupError({
      message: 'a connection setting holds a character the client tools cannot read from an option file',
      hint: 'use a user name, password, host and socket path without quotes, backslashes or line breaks',
    });
  }
  return `"${value}"`;
}

/** Which client tools read the file: MariaDB's, or MySQL's (which spell "no TLS" differently). */
export type ToolFlavor = 'mariadb' | 'mysql';

/**
 * Write `[client]` options for `target` to `<dir>/client.cnf` (0600) and return its path. `dir` must
 * be private (0700, e.g. from mkdtemp); the caller removes it.
 */
export async function writeClientOptions(
  target: ResolvedTarget,
  dir: string,
  flavor: ToolFlavor = 'mariadb',
): Promise<string> {
  const o = target.options;
  const lines = ['[client]', `user=${optionValue(String(o.user ?? ''))}`];
  if (o.password) lines.push(`password=${optionValue(String(o.password))}`);
  if (o.socketPath) lines.push(`socket=${optionValue(o.socketPath)}`);
  else {
    lines.push(`host=${optionValue(String(o.host ?? 'localhost'))}`, `port=${Number(o.port ?? 3306)}`);
  }
  if (!o.ssl) lines.push(flavor === 'mysql' ? 'ssl-mode=DISABLED' : 'skip-ssl');
  const file = path.join(dir, 'client.cnf');
  await fsp.writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** The environment for a client tool: a PATH and UTC (their printed times follow TZ), nothing else. */
export function toolEnvironment(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: 'UTC' };
}
