/**
 * The code examples in docs/ run, so the docs cannot rot. Every fenced block in a covered file needs
 * a marker comment on a line of its own right before the fence:
 *
 *   <!-- example: run -->      ts: run as a module (import 'mysqlops' -> src/index.ts) against the
 *                              docs database; sh: every `mysqlops ...` line runs through the CLI and
 *                              must exit 0; sql: every statement runs on the docs database
 *                              (`?` placeholders bound to NULL).
 *   <!-- example: run fresh --> the same, on a database of its own (e.g. `seed` needs an empty one).
 *   <!-- example: config -->   yaml: loaded by the config loader as a config file; must validate.
 *   <!-- not-run: REASON -->   illustrative (output, diagrams, root-only or destructive steps); the
 *                              reason is required.
 *
 * A block without a marker fails the test. Each covered file gets its own freshly created and
 * migrated database; its examples run in document order, so a doc may build on its earlier blocks.
 * In ts examples `config` (loadConfig()) and `db` (a DatabaseManager on it) exist unless the
 * example declares them, `settings` is backupSettings(config) with a scratch backup folder, and
 * `logger` / `draw` / `token` stand for the application's own logger, progress bar and dashboard
 * token. An example that imports nothing from 'mysqlops' (as JSDoc examples are written) has the
 * library's exports it names in scope.
 *
 * docs/api/README.md is covered too: `npm run docs` writes the JSDoc examples into it with a marker
 * (scripts/api-docs.ts), and its signature blocks are marked not-run.
 *
 * COVERED lists the files checked so far; the rest are listed in UNCOVERED until they get markers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import * as api from '../../src/index.js';
import { migrate } from '../../src/migrate/index.js';
import { repoRoot, runCli, sandboxEnv } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const COVERED = [
  'docs/alerts.md',
  'docs/api/README.md',
  'docs/audit.md',
  'docs/benchmarks.md',
  'docs/etl.md',
  'docs/migrations.md',
  'docs/monitoring.md',
  'docs/operations/backup-and-restore.md',
  'docs/operations/deployment.md',
  'docs/operations/maintenance.md',
  'docs/operations/scale-out.md',
  'docs/operations/server-config.md',
  'docs/procedures/README.md',
  'docs/schema.md',
  'docs/security.md',
  'docs/seed.md',
  'docs/serve.md',
];
/** Not yet marked up; every markdown file under docs/ is in one of the two lists (tested below). */
const UNCOVERED: string[] = [];

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return markdownFiles(rel);
    return e.name.endsWith('.md') ? [rel] : [];
  });
}

it('every markdown file under docs/ is either covered or listed as not yet covered', () => {
  expect(markdownFiles('docs').sort()).toEqual([...COVERED, ...UNCOVERED].sort());
});

interface DocBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  marker:
    | { kind: 'run'; fresh: boolean }
    | { kind: 'config' }
    | { kind: 'not-run'; reason: string }
    | undefined;
}

const MARKER = /^<!--\s*(?:example:\s*(run|config)(\s+fresh)?|not-run:\s*(.*?))\s*-->$/;

/** Every fenced block of a markdown file with the marker comment right before it, if any. */
function extractBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open?.[1]) continue;
    const fence = open[1];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith(fence); i++) body.push(lines[i] ?? '');
    const m = MARKER.exec((lines[start - 1] ?? '').trim());
    let marker: DocBlock['marker'];
    if (m?.[1] === 'run') marker = { kind: 'run', fresh: m[2] !== undefined };
    else if (m?.[1] === 'config') marker = { kind: 'config' };
    else if (m && m[3] !== undefined) marker = { kind: 'not-run', reason: m[3] };
    blocks.push({ file, line: start + 1, lang: open[2] ?? '', code: body.join('\n'), marker });
  }
  return blocks;
}

/** `mysqlops ...` commands of a sh block: continuations joined, comments dropped. */
function shellCommands(code: string): string[][] {
  const joined = code.replace(/\\\n/g, ' ');
  const commands: string[][] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((w) => w[1] ?? w[2] ?? w[3] ?? '');
    if (words[0] !== 'mysqlops') throw new Error(`only mysqlops commands can run, got: ${line}`);
    commands.push(words.slice(1));
  }
  return commands;
}

const PREAMBLE_NAMES: Record<string, string> = {
  config: 'const config = __mysqlops.loadConfig();',
  db: 'const db = new __mysqlops.DatabaseManager(config);',
  logger: 'const logger = { info: (..._a: unknown[]) => {}, warn: (..._a: unknown[]) => {} };',
  draw: 'const draw = (_e: unknown) => {};',
  token: "const token = 'docs-example-token-0123456789abcdef';",
  settings: '', // set below, once the scratch folder exists
};

/** The module a ts example runs as: imports pointed at src/, the documented globals defined. */
function tsModule(code: string): string {
  const index = path.join(repoRoot, 'src/index.ts');
  const importsLibrary = /from\s+['"]mysqlops['"]/.test(code);
  const body = code.replace(/from\s+['"]mysqlops['"]/g, `from ${JSON.stringify(index)}`);
  // A plain or destructuring declaration, a function, or an import of the name.
  const declares = (name: string) =>
    new RegExp(
      `\\b(?:(?:const|let|var)\\s+(?:[{[][^=;]*?\\b)?|function\\s+|import\\s+(?:[^;]*?[{,]\\s*)?)${name}\\b`,
    ).test(body);
  const used = (name: string) => new RegExp(`\\b${name}\\b`).test(body) && !declares(name);
  const pre = [`import * as __mysqlops from ${JSON.stringify(index)};`];
  if (!importsLibrary) {
    const named = Object.keys(api).filter(used);
    if (named.length > 0) pre.push(`const { ${named.join(', ')} } = __mysqlops;`);
  }
  // db and settings need config even when the example does not mention it.
  const needs = Object.keys(PREAMBLE_NAMES).filter(
    (n) => used(n) || (n === 'config' && (used('db') || used('settings')) && !declares('config')),
  );
  for (const n of needs) pre.push(PREAMBLE_NAMES[n] ?? '');
  const post = needs.includes('db') ? '\nawait db.close();\n' : '\n';
  return `${pre.join('\n')}\n${body}${post}`;
}

function runNode(file: string, env: Record<string, string>, timeoutMs = 60_000) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(DB_|MYSQLOPS_|NODE_ENV$)/.test(k)),
  ) as Record<string, string>;
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: repoRoot,
    env: { ...base, ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe('extractBlocks', () => {
  it('finds fences, their language, line and marker; an unmarked block has none', () => {
    const md = [
      '# t',
      '<!-- example: run -->',
      '```sh',
      'mysqlops health',
      '```',
      '',
      '```ts',
      'x()',
      '```',
      '<!-- not-run: sample output -->',
      '```',
      'out',
      '```',
    ].join('\n');
    const blocks = extractBlocks('t.md', md);
    expect(blocks.map((b) => [b.line, b.lang, b.marker?.kind])).toEqual([
      [3, 'sh', 'run'],
      [7, 'ts', undefined],
      [11, '', 'not-run'],
    ]);
    expect(blocks[2]?.marker).toEqual({ kind: 'not-run', reason: 'sample output' });
  });

  it('shellCommands splits words, drops comments and refuses anything but mysqlops', () => {
    expect(
      shellCommands('# c\nmysqlops migrate up --wait-lock 60s   # step\nmysqlops backup list \\\n  --json'),
    ).toEqual([
      ['migrate', 'up', '--wait-lock', '60s'],
      ['backup', 'list', '--json'],
    ]);
    expect(() => shellCommands('rm -rf /')).toThrow(/only mysqlops commands/);
  });

  it('tsModule brings the exports a JSDoc example names into scope, but not over its own names', () => {
    const jsdoc = tsModule('const { settings } = recommendServerConfig({});\nawait runEtl(config);');
    expect(jsdoc).toContain('const { recommendServerConfig, runEtl } = __mysqlops;');
    expect(jsdoc).toContain('const config = __mysqlops.loadConfig();');
    expect(jsdoc).not.toContain('const settings =');
    // An example with its own imports gets nothing more from the library.
    const guide = tsModule("import { runEtl } from 'mysqlops';\nawait runEtl(loadConfig());");
    expect(guide).not.toMatch(/= __mysqlops;/);
  });
});

let docsDb: TestDatabase | undefined;
const temp = mkdtempSync(path.join(tmpdir(), 'mysqlops-docs-'));
// Backups an example takes stay out of the sandbox's home.
PREAMBLE_NAMES.settings = `const settings = __mysqlops.backupSettings(config, { dir: ${JSON.stringify(path.join(temp, 'backups'))} });`;

afterAll(() => {
  rmSync(temp, { recursive: true, force: true });
});

// Outside a covered file's describe no database exists; the name only has to be valid.
const env = () => ({
  ...sandboxEnv(),
  DB_NAME: docsDb?.name ?? 'docs_examples_none',
  // Examples that keep alert states must not write into the sandbox's home.
  ALERTS_STATE_FILE: path.join(temp, 'alerts-state.json'),
});

describe('the runners can fail', () => {
  it('a ts example that throws exits non-zero', async () => {
    const mod = path.join(temp, 'throws.mts');
    writeFileSync(
      mod,
      tsModule("import { loadConfig } from 'mysqlops';\nloadConfig();\nthrow new Error('boom');"),
    );
    const r = await runNode(mod, env());
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('boom');
  });

  it('a ts example importing a name the library does not export fails', async () => {
    const mod = path.join(temp, 'missing.mts');
    writeFileSync(mod, tsModule("import { noSuchExport } from 'mysqlops';\nnoSuchExport();"));
    expect((await runNode(mod, env())).code).not.toBe(0);
  });

  it('a config example with an unknown key does not load', () => {
    const cfg = path.join(temp, 'bad.yaml');
    writeFileSync(cfg, 'serve:\n  prot: 8080\n');
    expect(() => loadConfig({ configFile: cfg, environ: env(), cwd: temp })).toThrow(/prot/);
  });
});

/** One test (or a describe with its own database) per block, by marker and language. */
function runBlock(file: string, n: number, block: DocBlock): void {
  const where = `${file}:${block.line} (${block.lang || 'plain'})`;
  const marker = block.marker;
  if (!marker) {
    it(`${where} has a runner or a not-run marker`, () => {
      expect.fail(`${where}: put <!-- example: run|config --> or <!-- not-run: reason --> before it`);
    });
  } else if (marker.kind === 'not-run') {
    it(`${where} is not run: ${marker.reason}`, () => {
      expect(marker.reason.trim(), `${where}: a not-run marker needs a reason`).not.toBe('');
    });
  } else if (marker.kind === 'config') {
    it(`${where} loads as a config file`, () => {
      expect(['yaml', 'yml', 'json']).toContain(block.lang);
      const cfg = path.join(temp, `config-${path.basename(file, '.md')}-${n}.${block.lang}`);
      writeFileSync(cfg, block.code);
      expect(() => loadConfig({ configFile: cfg, environ: env(), cwd: temp })).not.toThrow();
    });
  } else if (marker.fresh) {
    describe(`${where} on a fresh database`, () => {
      let outer: TestDatabase | undefined;
      beforeAll(async () => {
        outer = docsDb;
        docsDb = await createTestDatabase('docs_fresh');
        await migrate(docsDb.config());
      }, 120_000);
      afterAll(async () => {
        await docsDb?.drop();
        docsDb = outer;
      });
      runBlock(file, n, { ...block, marker: { kind: 'run', fresh: false } });
    });
  } else if (block.lang === 'sh') {
    it(`${where} runs through the CLI`, async () => {
      for (const args of shellCommands(block.code)) {
        // Seeding tens of thousands of rows on a busy machine outlasts runCli's default limit.
        const r = await runCli(args, { ...sandboxEnv(), DB_NAME: docsDb?.name ?? '' }, 110_000);
        expect(r.code, `mysqlops ${args.join(' ')}\n${r.stderr}`).toBe(0);
      }
    }, 240_000);
  } else if (block.lang === 'sql') {
    it(`${where} runs on the docs database`, async () => {
      const db = docsDb?.db;
      if (!db) throw new Error('docs database missing');
      for (const sql of block.code.split(/;\s*$/m).filter((s) => s.trim() !== '')) {
        // Placeholders are bound to NULL: the statement must still parse and run on the schema.
        await db.query(
          sql,
          Array.from(sql.matchAll(/\?/g), () => null),
        );
      }
    });
  } else if (block.lang === 'ts') {
    it(`${where} runs`, async () => {
      const mod = path.join(temp, `example-${path.basename(file, '.md')}-${n}.mts`);
      writeFileSync(mod, tsModule(block.code));
      const r = await runNode(mod, env());
      expect(r.code, r.out).toBe(0);
    }, 90_000);
  } else {
    it(`${where} has a runner for its language`, () => {
      expect.fail(`${where}: no runner for \`${block.lang}\`; mark it not-run with a reason`);
    });
  }
}

for (const file of COVERED) {
  const blocks = extractBlocks(file, readFileSync(path.join(repoRoot, file), 'utf8'));
  describe(file, () => {
    // Only files with runnable examples pay for a database.
    if (blocks.some((b) => b.marker?.kind === 'run' && !b.marker.fresh)) {
      beforeAll(async () => {
        docsDb = await createTestDatabase('docs');
        await migrate(docsDb.config());
      }, 120_000);
    }
    afterAll(async () => {
      await docsDb?.drop();
      docsDb = undefined;
    });
    if (blocks.length === 0) it(`${file} has no code blocks`, () => expect(blocks).toEqual([]));
    for (const [n, block] of blocks.entries()) runBlock(file, n, block);
  });
}
