/**
 * deploy/mysqlops.service: systemd accepts it, it keeps the settings a safe shutdown depends on, and
 * its ExecStart is a command the CLI really has.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../support/cli.js';

const UNIT_PATH = path.join(repoRoot, 'deploy/mysqlops.service');
const unitText = readFileSync(UNIT_PATH, 'utf8');

/** section -> key -> values (a key may repeat). Comments and blank lines dropped. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unparsable unit line: ${raw}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get('Service') ?? new Map<string, string[]>();
const one = (key: string) => service.get(key)?.at(-1);
const execStart = (one('ExecStart') ?? '').split(/\s+/);

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** Seconds of a systemd time span like `2h`, `15min`, `90s`, `300`. */
function spanSeconds(span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, min: 60, m: 60, h: 3600, hr: 3600 };
  let total = 0;
  for (const [, n, u] of span.matchAll(/(\d+)\s*([a-z]*)/g)) {
    const factor = units[u ?? ''];
    if (factor === undefined) throw new Error(`unknown time unit in ${span}`);
    total += Number(n) * factor;
  }
  return total;
}

describe('deploy/mysqlops.service', () => {
  it('has the settings serve depends on: env file, user, restart, graceful stop, writable paths', () => {
    expect(one('EnvironmentFile')).toBe('/etc/mysqlops/env');
    expect(one('User')).toMatch(/^\w+$/);
    expect(one('User')).not.toBe('root');
    expect(one('Restart')).toBe('on-failure');
    expect(one('KillSignal')).toBe('SIGTERM');
    // Long enough for a running backup to finish instead of being killed half-way.
    expect(spanSeconds(one('TimeoutStopSec') ?? '0')).toBeGreaterThanOrEqual(15 * 60);
    for (const key of ['NoNewPrivileges', 'PrivateTmp'] as const) expect(one(key)).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    // ProtectSystem=strict makes everything read-only, so the backup dir and home must be listed.
    expect((one('ReadWritePaths') ?? '').split(/\s+/)).toEqual(
      expect.arrayContaining(['/var/backups/mysqlops', '/var/lib/mysqlops']),
    );
    expect(unit.get('Install')?.get('WantedBy')).toEqual(['multi-user.target']);
    // Secrets belong in the env file's *_FILE paths, never inline in the unit.
    expect(unitText).not.toMatch(/PASSWORD=/);
  });

  it('ExecStart names a real CLI command (`serve --help` exits 0)', async () => {
    expect(execStart[0]).toMatch(/\/mysqlops$/);
    const args = execStart.slice(1);
    expect(args[0]).toBe('serve');
    const r = await runCli([...args, '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: mysqlops serve');
    // A misspelt command in the unit would be a usage error that systemd restarts forever.
    const bogus = await runCli(['serv']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("unknown command 'serv'");
  });

  // systemd-analyze ships with systemd; on a machine without it the parse above is the check.
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  it.runIf(analyze.status === 0)('passes `systemd-analyze verify`', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-unit-'));
    temps.push(dir);
    // verify insists the ExecStart binary exists: point it at a stand-in with the same arguments.
    const shim = path.join(dir, 'mysqlops');
    writeFileSync(shim, '#!/bin/sh\nexit 0\n');
    chmodSync(shim, 0o755);
    const copy = path.join(dir, 'mysqlops.service');
    writeFileSync(copy, unitText.replace(/^ExecStart=\S+/m, `ExecStart=${shim}`));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    const complaints = `${r.stdout}${r.stderr}`
      .split('\n')
      // The host may lack the database units named in After=; that is not the unit's fault.
      .filter((l) => l.trim() !== '' && !/(mariadb|mysql)\.service.*not (found|loaded)/i.test(l));
    expect(complaints).toEqual([]);
    expect(r.status).toBe(0);
  });
});
