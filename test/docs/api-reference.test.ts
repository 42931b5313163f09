/**
 * scripts/api-docs.ts (`npm run docs`): the generated reference names everything the package
 * exports, with the JSDoc written for it. Its JSDoc examples run in test/docs/examples.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { collect, markExamples, render } from '../../scripts/api-docs.js';
import * as api from '../../src/index.js';

describe('npm run docs', () => {
  const entries = collect();
  const page = render(entries);

  it('documents every runtime export of src/index.ts', () => {
    const documented = new Set(entries.map((e) => e.name));
    const missing = Object.keys(api).filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('carries signatures and JSDoc, e.g. migrate and DatabaseManager', () => {
    expect(page).toContain(
      'function migrate(config: DatabaseManagerConfig, options?: MigrateOptions): Promise<MigrateResult>',
    );
    expect(page).toMatch(/### migrate\n[\s\S]*?Apply every pending migration/);
    expect(page).toMatch(/class DatabaseManager [^\n]*\{\n {2}constructor\(/);
    // @internal members are for the package's own modules only.
    expect(page).not.toMatch(/^ {2}transactionWith/m);
  });

  it('is deterministic and marks its signature blocks as not run', () => {
    expect(render(collect())).toBe(page);
    const markers = page.match(/^<!-- not-run: generated signature -->\n```ts$/gm) ?? [];
    expect(markers.length).toBe(entries.length);
  });

  it('gives every JSDoc example a marker: run unless the JSDoc says otherwise', () => {
    expect(markExamples('Does x.\n\n```ts\nx();\n```')).toBe(
      'Does x.\n\n<!-- example: run -->\n```ts\nx();\n```',
    );
    const own = 'Does y.\n<!-- not-run: needs a replica -->\n```ts\ny();\n```';
    expect(markExamples(own)).toBe(own);
    // @example tags are rendered too, written with or without a fence.
    expect(page).toMatch(
      /### loadConfig\n[\s\S]*?Example:\n\n<!-- example: run -->\n```ts\nconst config = loadConfig\(/,
    );
    expect(page).toMatch(/<!-- example: run -->\n```ts\nconst \{ settings, text \} = recommendServerConfig/);
  });
});
