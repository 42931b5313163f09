/**
 * Finds the migration files: `<dir>/migrations/V<digits>__<description>[.mariadb|.mysql].sql` and
 * `<dir>/repeatable/R__<description>[.mariadb|.mysql].sql`. Reads, checksums and splits each one,
 * and refuses the whole set (E_MIGRATION_FILES, exit 2) when a name is malformed or two files
 * would claim the same version (or repeatable name) on the same flavor.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FlavorKind } from '../db/index.js';
import { MigrationError } from '../errors.js';
import { splitStatements } from './splitter.js';
import type { MigrationFile, MigrationType } from './types.js';

/** The package's own `schemas/` folder; the same relative path works from `src/migrate` and `dist/migrate`. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const VERSIONED_FOLDER = 'migrations';
export const REPEATABLE_FOLDER = 'repeatable';

const VERSIONED_NAME = /^V(\d+)__([A-Za-z0-9][A-Za-z0-9_-]*?)(?:\.(mariadb|mysql))?\.sql$/;
const REPEATABLE_NAME = /^R__([A-Za-z0-9][A-Za-z0-9_-]*?)(?:\.(mariadb|mysql))?\.sql$/;
const FLAVORS: readonly FlavorKind[] = ['mariadb', 'mysql'];

/** sha256 (hex) of a file's text with CRLF line ends normalised to LF. */
export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

/** `"0005"` → `"5"`, so `V5` and `V0005` are the same version. */
export function canonicalVersion(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

/** Numeric order of canonical versions (any length, no number overflow). */
export function compareVersions(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The parts of a well-formed file name, or null. Pure; exported for tests. */
export function parseMigrationName(
  type: MigrationType,
  name: string,
): { version: string | null; description: string; flavor: FlavorKind | null } | null {
  if (type === 'versioned') {
    const m = VERSIONED_NAME.exec(name);
    if (!m) return null;
    return {
      version: canonicalVersion(m[1] as string),
      description: (m[2] as string).replace(/_/g, ' '),
      flavor: (m[3] as FlavorKind | undefined) ?? null,
    };
  }
  const m = REPEATABLE_NAME.exec(name);
  if (!m) return null;
  return {
    version: null,
    description: (m[1] as string).replace(/_/g, ' '),
    flavor: (m[2] as FlavorKind | undefined) ?? null,
  };
}

/**
 * Every migration file under `dir`, for both flavors, versioned ones in version order then
 * repeatables by file name. Files not ending in `.sql` (README.md, .gitkeep) are ignored; a
 * missing `migrations/` or `repeatable/` folder counts as empty, a missing `dir` is an error.
 */
export async function discoverMigrations(dir: string): Promise<MigrationFile[]> {
  const root = path.resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new MigrationError({
      code: 'E_MIGRATION_FILES',
      message: `migration directory ${root} does not exist or is not a directory`,
      hint: 'pass the folder that holds migrations/ and repeatable/ (--dir)',
      exitCode: 2,
    });
  }
  const problems: string[] = [];
  let firstBad: string | undefined;
  const found: Array<Omit<MigrationFile, 'checksum' | 'statements'>> = [];
  for (const [folder, type] of [
    [VERSIONED_FOLDER, 'versioned'],
    [REPEATABLE_FOLDER, 'repeatable'],
  ] as const) {
    const entries = await readdir(path.join(root, folder), { withFileTypes: true }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw unreadable(path.join(root, folder), err);
      },
    );
    for (const entry of entries) {
      const rel = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        problems.push(`${rel} is a folder (files must sit directly in ${folder}/)`);
        firstBad ??= rel;
        continue;
      }
      if (!entry.name.endsWith('.sql')) continue;
      const parsed = parseMigrationName(type, entry.name);
      if (!parsed) {
        problems.push(`${rel} (expected ${expectedName(type)})`);
        firstBad ??= rel;
        continue;
      }
      found.push({ type, ...parsed, script: entry.name, path: path.join(root, folder, entry.name) });
    }
  }
  const clashes = duplicates(found);
  problems.push(...clashes.map((c) => c.message));
  firstBad ??= clashes[0]?.script;
  if (problems.length > 0) {
    throw new MigrationError({
      code: 'E_MIGRATION_FILES',
      message: `bad migration files in ${root}: ${problems.join('; ')}`,
      hint: 'versioned files are migrations/V<digits>__<description>.sql, repeatable ones repeatable/R__<description>.sql, optionally with .mariadb or .mysql before .sql; each version once per flavor',
      script: firstBad,
      exitCode: 2,
    });
  }
  const files: MigrationFile[] = [];
  for (const f of found) {
    const text = await readFile(f.path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw unreadable(f.path, err);
    });
    files.push({ ...f, checksum: checksumOf(text), statements: splitStatements(text, f.script) });
  }
  return files.sort(compareFiles);
}

/** A file or folder that exists but cannot be read (permissions, a folder named like a file). */
function unreadable(where: string, err: NodeJS.ErrnoException): MigrationError {
  return new MigrationError({
    code: 'E_MIGRATION_FILES',
    message: `cannot read ${where}: ${err.code === 'EISDIR' ? 'it is a folder, not a file' : (err.code ?? err.message)}`,
    hint: 'migration files must be readable regular files in migrations/ or repeatable/',
    cause: err,
    exitCode: 2,
  });
}

/** The files that apply on `flavor`: those without a flavor suffix and those with its own. */
export function filesForFlavor(files: readonly MigrationFile[], flavor: FlavorKind): MigrationFile[] {
  return files.filter((f) => f.flavor === null || f.flavor === flavor);
}

/** Versioned files first, by version; then repeatables by file name. */
export function compareFiles(
  a: Pick<MigrationFile, 'type' | 'version' | 'script'>,
  b: Pick<MigrationFile, 'type' | 'version' | 'script'>,
): number {
  if (a.type !== b.type) return a.type === 'versioned' ? -1 : 1;
  if (a.version !== null && b.version !== null && a.version !== b.version) {
    return compareVersions(a.version, b.version);
  }
  return a.script < b.script ? -1 : a.script > b.script ? 1 : 0;
}

function expectedName(type: MigrationType): string {
  return type === 'versioned'
    ? 'V<digits>__<description>[.mariadb|.mysql].sql'
    : 'R__<description>[.mariadb|.mysql].sql';
}

/** Two files that would both apply on one flavor with the same version or repeatable name. */
function duplicates(
  found: ReadonlyArray<Omit<MigrationFile, 'checksum' | 'statements'>>,
): Array<{ script: string; message: string }> {
  const seen = new Map<string, { scripts: Set<string>; flavors: Set<FlavorKind> }>();
  for (const flavor of FLAVORS) {
    const byKey = new Map<string, string[]>();
    for (const f of found) {
      if (f.flavor !== null && f.flavor !== flavor) continue;
      const key = f.type === 'versioned' ? `version ${f.version}` : `repeatable "${f.description}"`;
      byKey.set(key, [...(byKey.get(key) ?? []), `${folderOf(f.type)}/${f.script}`]);
    }
    for (const [key, scripts] of byKey) {
      if (scripts.length < 2) continue;
      const entry = seen.get(key) ?? { scripts: new Set<string>(), flavors: new Set<FlavorKind>() };
      for (const s of scripts) entry.scripts.add(s);
      entry.flavors.add(flavor);
      seen.set(key, entry);
    }
  }
  return [...seen].map(([key, { scripts, flavors }]) => {
    const names = [...scripts].sort();
    return {
      script: names[0] as string,
      message: `${key} is used by ${names.join(' and ')} (on ${[...flavors].join(' and ')})`,
    };
  });
}

function folderOf(type: MigrationType): string {
  return type === 'versioned' ? VERSIONED_FOLDER : REPEATABLE_FOLDER;
}
