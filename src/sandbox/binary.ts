/**
 * Finds the database server on this machine: mariadbd preferred, else mysqld, in PATH and the usual
 * sbin directories (which are often not in a normal user's PATH), and asks it for its version.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MysqlopsError } from '../errors.js';
import { childEnv } from './child-env.js';
import type { ServerBinary, ServerFlavor } from './types.js';

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin'];
const SERVER_NAMES = ['mariadbd', 'mysqld'];
const INSTALL_DB_NAMES = ['mariadb-install-db', 'mysql_install_db'];

/** What a sandbox needs installed: the server and client (openssl is asked for on its own). */
const SERVER_PACKAGES = ['mariadb-server', 'mariadb-client'];

/** The exact command that installs `packages` on Debian/Ubuntu, with sudo when we are not root. */
export function installCommand(packages: readonly string[] = SERVER_PACKAGES): string {
  const root = process.getuid?.() === 0;
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

function missing(message: string): MysqlopsError {
  return new MysqlopsError({ code: 'E_SERVER_MISSING', message, hint: installCommand(), exitCode: 2 });
}

function searchDirs(): string[] {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  return [...new Set([...fromPath, ...EXTRA_DIRS].map((d) => path.resolve(d)))];
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Parse `mariadbd --version` / `mysqld --version` output. The flavor comes from the text, not the file
 * name: on Debian /usr/sbin/mysqld is a symlink to mariadbd.
 */
export function parseVersionOutput(output: string): { flavor: ServerFlavor; version: string } | undefined {
  const m = /Ver\s+(\d+\.\d+\.\d+)(\S*)/.exec(output);
  if (!m?.[1]) return undefined;
  return { flavor: /mariadb/i.test(output) ? 'mariadb' : 'mysql', version: m[1] };
}

/** Run `<server> --version`; undefined when it does not run or prints nothing we understand. */
export function probeServer(server: string): { flavor: ServerFlavor; version: string } | undefined {
  try {
    const out = execFileSync(server, ['--version'], {
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    });
    return parseVersionOutput(out);
  } catch {
    return undefined;
  }
}

function findInstallDb(server: string): string | undefined {
  const serverDir = path.dirname(server);
  const base = path.dirname(serverDir);
  // A tarball keeps the script in <base>/scripts; packages put it in a bin directory in PATH.
  const dirs = [
    serverDir,
    path.join(base, 'bin'),
    path.join(base, 'scripts'),
    ...searchDirs(),
    '/usr/bin',
    '/usr/local/bin',
  ];
  for (const name of INSTALL_DB_NAMES) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

/**
 * Find the server binary. Throws MysqlopsError `E_SERVER_MISSING` (exit code 2) with the install
 * command as hint when there is none, or when MariaDB's mariadb-install-db is missing.
 */
export function findServerBinary(): ServerBinary {
  for (const name of SERVER_NAMES) {
    for (const dir of searchDirs()) {
      const file = path.join(dir, name);
      if (!isExecutable(file)) continue;
      const probed = probeServer(file);
      if (!probed) continue;
      return describeServer(file, probed);
    }
  }
  throw missing(
    `no MariaDB or MySQL server found (looked for mariadbd and mysqld in PATH and ${EXTRA_DIRS.join(', ')})`,
  );
}

/** Re-probe a recorded binary (its version may have changed with a package upgrade). */
export function serverAt(server: string): ServerBinary | undefined {
  if (!isExecutable(server)) return undefined;
  const probed = probeServer(server);
  return probed ? describeServer(server, probed) : undefined;
}

function describeServer(server: string, probed: { flavor: ServerFlavor; version: string }): ServerBinary {
  if (probed.flavor === 'mysql') return { flavor: 'mysql', server, version: probed.version };
  const installDb = findInstallDb(server);
  if (!installDb)
    throw missing(`found ${server} but not mariadb-install-db, which initialises its data directory`);
  return { flavor: 'mariadb', server, installDb, version: probed.version };
}
