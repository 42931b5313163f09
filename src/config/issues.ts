/**
 * Turning problems into `ConfigIssue`s: zod issues become `path: message` (one issue per unknown key),
 * and a source prefix (`mysqlops.config.yaml`) says where the value came from.
 */
import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';

/** `prefix: dot.path`, or whichever of the two is present. */
export function joinPath(prefix: string | undefined, dotPath: string): string {
  if (!prefix) return dotPath;
  return dotPath ? `${prefix}: ${dotPath}` : prefix;
}

/** `a.b` + `c` = `a.b.c`. */
export function dot(...parts: (string | number)[]): string {
  return parts.filter((p) => p !== '').join('.');
}

/**
 * The zod issues as config issues. `prefix` names the source (a file name), `base` is prepended to
 * every path (e.g. `environments.production`).
 */
export function issuesFromZod(error: z.ZodError, prefix?: string, base = ''): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of error.issues) {
    const at = dot(base, ...iss.path.map((p) => String(p)));
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push({ path: joinPath(prefix, dot(at, key)), message: iss.message });
    } else {
      out.push({ path: joinPath(prefix, at), message: iss.message });
    }
  }
  return out;
}

/** Why a file could not be read, in words (`no such file`), from a Node error. */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    default:
      return code ?? 'unreadable';
  }
}
