/**
 * The optional config file: which one (explicit path, `MYSQLOPS_CONFIG`, or
 * `mysqlops.config.yaml|.yml|.json` in the working directory), parsing it (YAML 1.2, which also
 * reads JSON), checking it against `configFileSchema`, and turning its top level and its
 * `environments.<name>` sections into layers. Issues are named `<file>: <dot.path>: problem`.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { yaml } from '../lazy-yaml.js';
import { Secret } from '../secret.js';
import { configFileSchema, type FileSection, parseKeepingValid } from './file-schema.js';
import { dot, issuesFromZod, joinPath } from './issues.js';
import type { ConfigLayer } from './layers.js';
import { type Read, readPem, readPemSecret, readSecretFile, readText } from './read-files.js';
import { ENVIRONMENTS, type EnvironmentName, type SandboxConfig, sandboxSchema } from './schema.js';

/** The names looked for in the working directory when no file is named. */
export const DEFAULT_CONFIG_FILES = ['mysqlops.config.yaml', 'mysqlops.config.yml', 'mysqlops.config.json'];

/** A config file to read: its absolute path and who asked for it (for "cannot read" issues). */
export interface ConfigFileChoice {
  file: string;
  /** `configFile`, `MYSQLOPS_CONFIG`, or the file's own name when it was found in `cwd`. */
  source: string;
}

/** What a config file contributes: its top-level layer and one layer per environment section. */
export interface ConfigFileLayers {
  file: string;
  top: ConfigLayer;
  sections: Partial<Record<EnvironmentName, ConfigLayer>>;
}

/**
 * Which file to read: `explicit` (from `--config` or `MYSQLOPS_CONFIG`) if given, else the one
 * default name present in `cwd`. Two default names present at once is an issue: silently picking
 * one would leave the other's settings ignored.
 */
export function chooseConfigFile(
  explicit: ConfigFileChoice | undefined,
  cwd: string,
  issues: ConfigIssue[],
): ConfigFileChoice | undefined {
  if (explicit) return explicit;
  const present = DEFAULT_CONFIG_FILES.filter((name) => existsSync(path.join(cwd, name)));
  if (present.length > 1) {
    issues.push({
      path: '',
      message: `found ${present.join(' and ')} in ${cwd}; keep one, or name one with MYSQLOPS_CONFIG`,
    });
  }
  const [first] = present;
  return first === undefined ? undefined : { file: path.join(cwd, first), source: first };
}

/** Read, parse and check the file; undefined when it cannot be read or parsed (issues say why). */
export function loadConfigFile(
  choice: ConfigFileChoice,
  cwd: string,
  issues: ConfigIssue[],
): ConfigFileLayers | undefined {
  const parsed = readParsed(choice, cwd, issues);
  if (parsed === undefined) return undefined;
  const { name, raw } = parsed;

  const { data, error } = parseKeepingValid(configFileSchema, raw ?? {});
  if (error) issues.push(...issuesFromZod(error, name));
  if (!data) return undefined;

  const dir = path.dirname(choice.file);
  const { environments, ...top } = data;
  const sections: Partial<Record<EnvironmentName, ConfigLayer>> = {};
  for (const env of ENVIRONMENTS) {
    const section = environments?.[env];
    if (section) sections[env] = sectionToLayer(section, { dir, name, base: `environments.${env}` }, issues);
  }
  return { file: choice.file, top: sectionToLayer(top, { dir, name, base: '' }, issues), sections };
}

/**
 * The document as plain data (null for an empty file), or undefined on a syntax error. The parser's
 * own snippet of the offending line is never shown: that line may hold a password.
 */
function parseText(source: string, file: string, name: string, issues: ConfigIssue[]): unknown {
  const kind = file.endsWith('.json') ? 'JSON' : 'YAML';
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(source, { prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const at = lines.linePos(err.pos[0]);
      issues.push({
        path: name,
        message: `invalid ${kind} at line ${at.line}, column ${at.col}: ${withoutSource(err.code, err.message)}`,
      });
    }
    return undefined;
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    issues.push({ path: name, message: `invalid ${kind}: ${(err as Error).message.split('\n')[0]}` });
    return undefined;
  }
}

/** A few parser messages quote source text after a colon (escape sequences, headers): drop it. */
function withoutSource(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  if (code === 'BAD_DQ_ESCAPE') return 'invalid escape sequence in a double-quoted string';
  const colon = first.indexOf(': ');
  return colon === -1 ? first : first.slice(0, colon);
}

/** The file as the user would name it: relative to `cwd` when inside it, else absolute. */
function displayName(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

interface SectionContext {
  dir: string;
  name: string;
  base: string;
}

/** One file section as a layer: referenced files read, relative paths resolved against the file's folder. */
function sectionToLayer(section: FileSection, ctx: SectionContext, issues: ConfigIssue[]): ConfigLayer {
  const where = (key: string) => joinPath(ctx.name, dot(ctx.base, key));
  const readAt = <T>(
    key: string,
    file: string | undefined,
    reader: (file: string) => Read<T>,
  ): T | undefined => {
    if (file === undefined) return undefined;
    const read = reader(path.resolve(ctx.dir, file));
    if (read.ok) return read.value;
    issues.push({ path: where(key), message: read.problem });
    return undefined;
  };
  const resolved = (p: string | undefined) => (p === undefined ? undefined : path.resolve(ctx.dir, p));

  const layer: ConfigLayer = {
    pool: section.pool,
    monitoring: section.monitoring,
    transactions: section.transactions,
    routing: section.routing,
    sandbox: section.sandbox && { ...section.sandbox, home: resolved(section.sandbox.home) },
    etl: section.etl,
    serve: section.serve && { ...section.serve, tokenFile: resolved(section.serve.tokenFile) },
    alerts: section.alerts && { ...section.alerts, stateFile: resolved(section.alerts.stateFile) },
    health: section.health,
    maintenance: section.maintenance,
    backup: section.backup && {
      ...section.backup,
      dir: resolved(section.backup.dir),
      keyFile: resolved(section.backup.keyFile),
    },
  };
  const conn = section.connection;
  if (conn) {
    const { password, passwordFile, ssl, socket, replicas, ...plain } = conn;
    let secret: Secret | undefined;
    if (password !== undefined && passwordFile !== undefined) {
      issues.push({
        path: where('connection.passwordFile'),
        message: 'set password or passwordFile, not both',
      });
    } else if (password !== undefined) {
      secret = new Secret(password);
    } else {
      secret = readAt('connection.passwordFile', passwordFile, readSecretFile);
    }
    layer.connection = {
      ...plain,
      socket: resolved(socket),
      password: secret,
      replicas: replicas?.map((node, i) => {
        const { password: plainPassword, passwordFile: file, socket: nodeSocket, ...rest } = node;
        const key = `connection.replicas.${i}`;
        if (plainPassword !== undefined && file !== undefined) {
          issues.push({
            path: where(`${key}.passwordFile`),
            message: 'set password or passwordFile, not both',
          });
        }
        const nodeSecret =
          plainPassword !== undefined
            ? new Secret(plainPassword)
            : readAt(`${key}.passwordFile`, file, readSecretFile);
        return { ...rest, socket: resolved(nodeSocket), password: nodeSecret };
      }),
      ssl: ssl && {
        mode: ssl.mode,
        ca: readAt('connection.ssl.caFile', ssl.caFile, readPem),
        cert: readAt('connection.ssl.certFile', ssl.certFile, readPem),
        key: readAt('connection.ssl.keyFile', ssl.keyFile, readPemSecret),
      },
    };
  }
  return layer;
}

/** The file's sandbox settings: its top-level `sandbox` and its `environments.<env>.sandbox`. */
export interface SandboxSections {
  top?: Partial<SandboxConfig>;
  section?: Partial<SandboxConfig>;
}

const sandboxOnly = z.looseObject({
  sandbox: sandboxSchema.partial().optional(),
  environments: z
    .looseObject(
      Object.fromEntries(
        ENVIRONMENTS.map((env) => [
          env,
          z.looseObject({ sandbox: sandboxSchema.partial().optional() }).optional(),
        ]),
      ),
    )
    .optional(),
});

/**
 * Only the sandbox settings of a config file, for commands that need nothing else (`mysqlops
 * sandbox ...`): problems elsewhere in the file are not this reader's business, a broken sandbox
 * section or an unreadable file is. `home` is resolved against the file's folder.
 */
export function loadSandboxSections(
  choice: ConfigFileChoice,
  cwd: string,
  env: EnvironmentName,
  issues: ConfigIssue[],
): SandboxSections | undefined {
  const file = readParsed(choice, cwd, issues);
  if (file === undefined) return undefined;
  const { name, raw } = file;
  const parsed = sandboxOnly.safeParse(raw ?? {});
  if (!parsed.success) {
    issues.push(...issuesFromZod(parsed.error, name));
    return undefined;
  }
  const dir = path.dirname(choice.file);
  const resolve = (s: Partial<SandboxConfig> | undefined) =>
    s && { ...s, ...(s.home === undefined ? {} : { home: path.resolve(dir, s.home) }) };
  const envSection = parsed.data.environments?.[env] as { sandbox?: Partial<SandboxConfig> } | undefined;
  return { top: resolve(parsed.data.sandbox), section: resolve(envSection?.sandbox) };
}

/** The file read and parsed as YAML/JSON, with its display name; undefined when that failed (issues say why). */
function readParsed(
  choice: ConfigFileChoice,
  cwd: string,
  issues: ConfigIssue[],
): { name: string; raw: unknown } | undefined {
  const read = readText(choice.file);
  if (!read.ok) {
    issues.push({ path: choice.source, message: read.problem });
    return undefined;
  }
  const name = displayName(choice.file, cwd);
  const raw = parseText(read.value, choice.file, name, issues);
  return raw === undefined ? undefined : { name, raw };
}
