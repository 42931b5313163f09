/**
 * scripts/bootstrap.sh as a user who cannot install anything meets it: it must name exactly what is
 * missing and the command that installs it. Run as `nobody` (when the test runs as root, which
 * would otherwise really install packages) with a PATH that lacks the missing tool.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const isRoot = process.getuid?.() === 0;
const canDrop = !isRoot || fs.existsSync('/usr/bin/setpriv');
const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'mysqlops-bootstrap-'));
fs.chmodSync(bin, 0o755);
afterAll(() => fs.rmSync(bin, { recursive: true, force: true }));

/** Run bootstrap.sh with only `tools` (plus the shell's own builtins) on PATH. */
function bootstrap(tools: string[]) {
  for (const tool of ['dirname', 'id', ...tools]) {
    const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    const link = path.join(bin, tool);
    if (real && !fs.existsSync(link)) fs.symlinkSync(real, link);
  }
  const script = path.join(root, 'scripts/bootstrap.sh');
  const command = isRoot
    ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '/bin/bash', script]
    : ['/bin/bash', script];
  const [file, ...args] = command as [string, ...string[]];
  return spawnSync(file, args, { encoding: 'utf8', env: { PATH: bin, HOME: bin }, timeout: 30_000 });
}

describe('bootstrap.sh without the rights to install', () => {
  const serverInstalled = fs.existsSync('/usr/sbin/mariadbd') || fs.existsSync('/usr/sbin/mysqld');

  it.skipIf(!canDrop || !serverInstalled)(
    'names openssl, and only openssl, when it is all that is missing',
    () => {
      // Everything else bootstrap checks for is there (backup tools included).
      const r = bootstrap(['zstd', 'mydumper', 'myloader', 'promtool', 'chromium', 'mariadb-backup']);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('openssl');
      expect(r.stderr).not.toMatch(/MySQL or MariaDB server/);
      expect(r.stderr).toMatch(/apt-get install -y openssl\s*$/m);
    },
  );
});
