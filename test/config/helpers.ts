/** Shared fixtures for the config tests: a temp working directory per test and a loader bound to it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, expect } from 'vitest';
import { type LoadConfigOptions, loadConfig, type MysqlopsConfig } from '../../src/config/index.js';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh empty directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mysqlops-config-'));
  dirs.push(dir);
  return dir;
}

/** Write `content` to `dir/name` and return the absolute path. */
export function write(dir: string, name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** A self-signed-looking PEM body; only the BEGIN/END lines matter to the loader. */
export const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIBfakecert\n-----END CERTIFICATE-----\n';
export const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEsupersecretkeymaterial\n-----END PRIVATE KEY-----\n';

/** loadConfig in `cwd` with only the given variables (never the real process.env). */
export function load(
  cwd: string,
  environ: Record<string, string | undefined> = {},
  options: LoadConfigOptions = {},
) {
  return loadConfig({ cwd, environ, ...options });
}

/** The ConfigError thrown by `fn`; fails the test if it returns or throws something else. */
export function configError(fn: () => MysqlopsConfig): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/** The issues as `path: message` lines, the way ConfigError prints them. */
export function lines(issues: readonly ConfigIssue[]): string[] {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
}
