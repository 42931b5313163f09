/**
 * scripts/api-docs.ts (`npm run docs`): the generated reference names everything the package
 * exports, with the JSDoc written for it.
 */
import { describe, expect, it } from 'vitest';
import { collect, render } from '../../scripts/api-docs.js';
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
});
