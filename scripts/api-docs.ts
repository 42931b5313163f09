/**
 * `npm run docs`: the API reference in docs/api/README.md, generated from the JSDoc of everything
 * src/index.ts exports. Uses the TypeScript compiler API (already a dev dependency) instead of a doc
 * framework: one page, grouped by kind, deterministic so the diff of a change shows what changed.
 *
 *   tsx scripts/api-docs.ts           write docs/api/README.md
 *   tsx scripts/api-docs.ts --check   exit 1 when the file is out of date (for CI)
 *
 * Code examples in the JSDoc (a fence in the description or an `@example` tag) are examples like any
 * in docs/: test/docs/examples.test.ts runs them. Each one is emitted with `<!-- example: run -->`
 * unless the JSDoc puts a marker of its own on the line right before the fence (`<!-- not-run:
 * REASON -->`, `<!-- example: run fresh -->`, ...). Examples may leave out their imports: the
 * library's exports they name are in scope.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'src/index.ts');
const outFile = path.join(root, 'docs/api/README.md');

type Kind = 'function' | 'class' | 'interface' | 'type' | 'constant' | 'enum';
const ORDER: Kind[] = ['function', 'class', 'constant', 'interface', 'type', 'enum'];
const HEADINGS: Record<Kind, string> = {
  function: 'Functions',
  class: 'Classes',
  constant: 'Constants',
  interface: 'Interfaces',
  type: 'Types',
  enum: 'Enums',
};

interface Entry {
  name: string;
  kind: Kind;
  source: string;
  signature: string;
  doc: string;
  tags: string[];
  examples: string[];
}

function kindOf(decl: ts.Declaration): Kind | undefined {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isEnumDeclaration(decl)) return 'enum';
  if (ts.isVariableDeclaration(decl)) return 'constant';
  return undefined;
}

/** The declaration's head without bodies: what a reader needs to call it. */
function signatureOf(decl: ts.Declaration, checker: ts.TypeChecker, name: string, kind: Kind): string {
  if (kind === 'function') {
    const type = checker.getTypeOfSymbolAtLocation(
      checker.getSymbolAtLocation((decl as ts.FunctionDeclaration).name ?? decl) as ts.Symbol,
      decl,
    );
    return type
      .getCallSignatures()
      .map(
        (s) => `function ${name}${checker.signatureToString(s, undefined, ts.TypeFormatFlags.NoTruncation)}`,
      )
      .join('\n');
  }
  if (kind === 'constant') {
    const type = checker.getTypeAtLocation(decl);
    return `const ${name}: ${checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation)}`;
  }
  if (kind === 'class') {
    const c = decl as ts.ClassDeclaration;
    const heritage = c.heritageClauses?.map((h) => h.getText()).join(' ') ?? '';
    const ctor = c.members.find(ts.isConstructorDeclaration);
    const params = ctor ? `\n  constructor(${ctor.parameters.map((p) => p.getText()).join(', ')})` : '';
    const methods = c.members
      .filter(
        (m) =>
          (ts.isMethodDeclaration(m) || ts.isPropertyDeclaration(m) || ts.isGetAccessor(m)) &&
          isPublic(m) &&
          !isInternal(m),
      )
      .map((m) => `  ${headOf(m, checker)}`);
    return `class ${name}${heritage ? ` ${heritage}` : ''} {${params}${methods.length ? `\n${methods.join('\n')}` : ''}\n}`;
  }
  // Interfaces, types and enums read best as written.
  return decl.getText().replace(/^export\s+(declare\s+)?/, '');
}

function isPublic(m: ts.ClassElement): boolean {
  if (m.name && ts.isPrivateIdentifier(m.name)) return false;
  const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
  return !mods.some(
    (x) => x.kind === ts.SyntaxKind.PrivateKeyword || x.kind === ts.SyntaxKind.ProtectedKeyword,
  );
}

/** A member as a one-line signature, from the checker (source text would carry bodies and defaults). */
function headOf(m: ts.ClassElement, checker: ts.TypeChecker): string {
  const name = m.name?.getText() ?? '';
  const flags = ts.TypeFormatFlags.NoTruncation;
  if (ts.isMethodDeclaration(m)) {
    const sig = checker.getSignatureFromDeclaration(m);
    return `${name}${sig ? checker.signatureToString(sig, undefined, flags) : '()'}`;
  }
  const type = checker.typeToString(checker.getTypeAtLocation(m), undefined, flags);
  return ts.isGetAccessor(m) ? `get ${name}(): ${type}` : `${name}: ${type}`;
}

/** Members tagged `@internal` are public for other modules of the package, not for users. */
function isInternal(m: ts.Node): boolean {
  return ts.getJSDocTags(m).some((t) => t.tagName.text === 'internal');
}

export function collect(): Entry[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const program = ts.createProgram([entry], config?.options ?? {});
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`cannot read ${entry}`);
  const entries: Entry[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decl = symbol.declarations?.find((d) => kindOf(d) !== undefined);
    if (!decl) continue;
    const kind = kindOf(decl) as Kind;
    const name = exported.getName();
    const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    const jsDocTags = symbol.getJsDocTags(checker);
    const tags = jsDocTags
      .filter((t) => t.name !== 'example')
      .map((t) => `@${t.name}${t.text ? ` ${ts.displayPartsToString(t.text)}` : ''}`.trim());
    const examples = jsDocTags
      .filter((t) => t.name === 'example')
      .map((t) => ts.displayPartsToString(t.text ?? []));
    entries.push({
      name,
      kind,
      source: path.relative(root, decl.getSourceFile().fileName),
      signature: signatureOf(decl, checker, name, kind),
      doc,
      tags,
      examples,
    });
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

export function render(entries: Entry[]): string {
  const out: string[] = [
    '# API reference',
    '',
    '<!-- Generated by `npm run docs` (scripts/api-docs.ts) from the JSDoc of src/index.ts. Do not edit. -->',
    '',
    "Everything `import { ... } from 'mysqlops'` offers. The guides in [docs/](../) show these in use;",
    'their examples and the ones on this page (from the JSDoc) run in `test/docs/examples.test.ts`.',
    '',
  ];
  for (const kind of ORDER) {
    const group = entries.filter((e) => e.kind === kind);
    if (group.length === 0) continue;
    out.push(`## ${HEADINGS[kind]}`, '');
    out.push(group.map((e) => `[\`${e.name}\`](#${anchor(e.name)})`).join(' · '), '');
    for (const e of group) {
      out.push(`### ${e.name}`, '', `<small>${e.source}</small>`, '');
      out.push('<!-- not-run: generated signature -->', '```ts', e.signature, '```', '');
      if (e.doc) out.push(markExamples(e.doc, e.name), '');
      if (e.tags.length) out.push(...e.tags.map((t) => `- ${t.replace(/\n/g, ' ')}`), '');
      else if (!e.doc && e.examples.length === 0) out.push('_No JSDoc yet._', '');
      for (const example of e.examples) out.push('Example:', '', markExamples(fenced(example), e.name), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * Markers for examples whose JSDoc cannot carry one yet (their folders were being edited when the
 * examples started to run). Each belongs in its JSDoc, before the fence, and then leaves this list.
 */
const PENDING_MARKERS: Record<string, string> = {
  DatabaseManager: '<!-- not-run: needs a production DB_HOST, and its UPDATE is elided -->',
};

const FENCE = /^(`{3,})\S*\s*$/;
const MARKER = /^<!--\s*(example:|not-run:)/;

/**
 * Put `<!-- example: run -->` (or the export's pending marker) before every fence of `text` that has
 * no marker of its JSDoc's own.
 */
export function markExamples(text: string, name = ''): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = FENCE.exec(line);
    if (!open?.[1]) {
      out.push(line);
      continue;
    }
    if (!MARKER.test((out.at(-1) ?? '').trim())) out.push(PENDING_MARKERS[name] ?? '<!-- example: run -->');
    out.push(line);
    const fence = open[1];
    for (i++; i < lines.length; i++) {
      out.push(lines[i] ?? '');
      if ((lines[i] ?? '').startsWith(fence)) break;
    }
  }
  return out.join('\n');
}

/** An `@example` as a fence: written without one (indented code) it is TypeScript. */
function fenced(example: string): string {
  const text = example.replace(/^\n+|\s+$/g, '');
  if (text.split('\n').some((l) => FENCE.test(l))) return text;
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)?.[0].length ?? 0));
  return ['```ts', ...lines.map((l) => l.slice(indent)), '```'].join('\n');
}

function anchor(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

function main(): void {
  const text = render(collect());
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(outFile, 'utf8');
    } catch {}
    if (current !== text) {
      process.stderr.write('docs/api/README.md is out of date: run `npm run docs`\n');
      process.exitCode = 1;
    }
    return;
  }
  mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, outFile);
  process.stdout.write(`wrote ${path.relative(root, outFile)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
