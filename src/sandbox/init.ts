/**
 * Creates the data directory. It is initialised under a temporary name and renamed into place only
 * when complete, together with the init file that sets the root password: so "data/ exists" always
 * means "fully initialised and the password will be (or was) set", whatever was interrupted.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MysqlopsError } from '../errors.js';
import type { Secret } from '../secret.js';
import { childEnv } from './child-env.js';
import { appendLine, readLastLines } from './fs-util.js';
import type { SandboxPaths } from './paths.js';
import { writeInitFile } from './root-password.js';
import type { ServerBinary } from './types.js';

const INIT_TIMEOUT_MS = 300_000;

/** mariadbd and mysqld refuse to run as root unless told to; as anyone else it must not be passed. */
export function userArgs(): string[] {
  return process.getuid?.() === 0 ? ['--user=root'] : [];
}

/** The initialisation command line for the flavor. `--no-defaults` must come first. */
export function initCommand(
  binary: ServerBinary,
  dataDir: string,
  tmpDir?: string,
): { file: string; args: string[] } {
  // The sandbox's own tmpdir, as for the server: initialisations running side by side in /tmp
  // have failed deleting each other's internal temporary tables.
  const tmp = tmpDir ? [`--tmpdir=${tmpDir}`] : [];
  if (binary.flavor === 'mysql') {
    // Creates root@localhost with an empty password; the init file sets the real one on first start.
    return {
      file: binary.server,
      args: ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, ...tmp, ...userArgs()],
    };
  }
  if (!binary.installDb) throw new Error('mariadb-install-db path missing');
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    // 'normal' creates password-less root accounts that the init file then secures; the default
    // ('socket') would tie root to the OS user running the server.
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...tmp,
    ...userArgs(),
  ];
  // A tarball install keeps the script in <basedir>/scripts and cannot find mariadbd on its own.
  if (path.basename(path.dirname(binary.installDb)) === 'scripts') {
    args.push(`--basedir=${path.dirname(path.dirname(binary.installDb))}`);
  }
  return { file: binary.installDb, args };
}

function run(file: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: INIT_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: childEnv() },
      (err, stdout, stderr) => {
        resolve({ ok: !err, output: `${stdout}${stderr}${err && !stderr ? String(err.message) : ''}` });
      },
    );
  });
}

/**
 * Initialise `paths.dataDir` unless it exists; on success also leaves the init file with the root
 * password SQL. Returns false when there was nothing to do. The tool's output goes to the error log,
 * and a failure throws E_SANDBOX_START quoting its last lines.
 */
export async function initDataDir(
  paths: SandboxPaths,
  binary: ServerBinary,
  password: Secret,
): Promise<boolean> {
  if (fs.existsSync(paths.dataDir)) return false;
  for (const entry of fs.readdirSync(paths.dir)) {
    // Leftovers of an interrupted earlier attempt.
    if (entry.startsWith('data.init-'))
      fs.rmSync(path.join(paths.dir, entry), { recursive: true, force: true });
  }
  const tmp = `${paths.dataDir}.init-${randomBytes(4).toString('hex')}`;
  fs.mkdirSync(paths.tmpDir, { recursive: true, mode: 0o700 });
  const { file, args } = initCommand(binary, tmp, paths.tmpDir);
  appendLine(
    paths.errorLog,
    `${new Date().toISOString()} [mysqlops] initialising ${paths.dataDir}: ${file} ${args.join(' ')}`,
  );
  const result = await run(file, args);
  if (!result.ok || !fs.existsSync(path.join(tmp, 'mysql'))) {
    // Only on failure: on success the tool prints pages of advice that does not apply here.
    fs.appendFileSync(paths.errorLog, result.output.endsWith('\n') ? result.output : `${result.output}\n`);
    fs.rmSync(tmp, { recursive: true, force: true });
    const tail = readLastLines(paths.errorLog, 10);
    throw new MysqlopsError({
      code: 'E_SANDBOX_START',
      message: `initialising the sandbox data directory failed:\n  ${tail.join('\n  ')}`,
      hint: `read ${paths.errorLog}; fix the cause, then start again (nothing half-initialised was kept)`,
    });
  }
  writeInitFile(paths, binary.flavor, password);
  fs.renameSync(tmp, paths.dataDir);
  return true;
}
