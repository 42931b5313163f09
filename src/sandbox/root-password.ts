/**
 * The sandbox root password: generated once, kept in `root.password` (0600), and handed to the
 * server through an --init-file (0600, deleted once the server is ready) so it never appears on a
 * command line, in the binary log or in a log file.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { Secret } from '../secret.js';
import { sandboxFileError, writeFileAtomic } from './fs-util.js';
import type { SandboxPaths } from './paths.js';
import type { ServerFlavor } from './types.js';

/** 24 random bytes, base64url: 32 characters that need no quoting anywhere. */
export function generatePassword(): Secret {
  return new Secret(randomBytes(24).toString('base64url'));
}

/**
 * A single-quoted SQL string literal. Assumes backslash escapes are on (the server default; the
 * init file also resets sql_mode so NO_BACKSLASH_ESCAPES cannot be in force). Newlines are escaped
 * too, because the server reads an init file one line per statement.
 */
const SQL_ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  '\\': '\\\\',
  "'": "\\'",
};

export function sqlStringLiteral(value: string): string {
  let out = '';
  for (const c of value) out += SQL_ESCAPES[c] ?? c;
  return `'${out}'`;
}

/** Root accounts the sandbox keeps: the socket one plus both loopback addresses for TCP. */
export const ROOT_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

/**
 * SQL for the first start. Idempotent, because a start that fails before the server is ready keeps
 * the file and runs it again next time. One statement per line (the server's init-file reader).
 */
export function renderInitSql(flavor: ServerFlavor, password: Secret): string {
  const pw = sqlStringLiteral(password.reveal());
  const lines = [
    "SET SESSION sql_mode = '';",
    // Account setup is local to this server: keep it out of the binary log (and so out of replicas
    // and the GTID history) and keep the password out of the binlog files.
    'SET SESSION sql_log_bin = 0;',
  ];
  for (const host of ROOT_HOSTS) {
    const account = `'root'@${sqlStringLiteral(host)}`;
    lines.push(`CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${pw};`);
    lines.push(`ALTER USER ${account} IDENTIFIED BY ${pw};`);
    lines.push(`GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`);
  }
  const keep = ROOT_HOSTS.map((h) => sqlStringLiteral(h)).join(', ');
  // mariadb-install-db also creates a passwordless root@<hostname>; anonymous users may exist on
  // older versions. The host name is not known here, so delete by pattern in the grant table.
  // MySQL's --initialize-insecure creates neither, so it needs no cleanup.
  if (flavor === 'mariadb') {
    lines.push(`DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host NOT IN (${keep}));`);
    lines.push(
      `DELETE FROM mysql.proxies_priv WHERE User = '' OR (User = 'root' AND Host NOT IN (${keep}));`,
    );
  }
  lines.push('FLUSH PRIVILEGES;');
  return `${lines.join('\n')}\n`;
}

/** Read the password file; undefined when it does not exist, E_SANDBOX when it cannot be read. */
export function readPassword(file: string): Secret | undefined {
  try {
    return new Secret(fs.readFileSync(file, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw sandboxFileError(err, 'read the root password file', file);
  }
}

/** The sandbox's password: the stored one, or a new one written 0600 before the server first starts. */
export function ensurePassword(paths: SandboxPaths): Secret {
  const existing = readPassword(paths.passwordFile);
  if (existing && existing.reveal() !== '') return existing;
  const secret = generatePassword();
  writeFileAtomic(paths.passwordFile, `${secret.reveal()}\n`, 0o600);
  return secret;
}

export function writeInitFile(paths: SandboxPaths, flavor: ServerFlavor, password: Secret): void {
  writeFileAtomic(paths.initFile, renderInitSql(flavor, password), 0o600);
}
