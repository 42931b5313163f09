/**
 * One real database server for the whole test run: a sandbox in a temporary directory, started
 * before any test file and destroyed after the last. Test files reach it through `inject('sandbox')`
 * and create their own database each (test/support/db.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { destroySandbox, startSandbox } from '../src/sandbox/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: { home: string; name: string };
  }
}

export default async function setup(project: TestProject) {
  const home = mkdtempSync(path.join(tmpdir(), 'mysqlops-test-'));
  const name = 'test';
  await startSandbox({ home, name });
  project.provide('sandbox', { home, name });
  return async () => {
    await destroySandbox({ home, name });
    rmSync(home, { recursive: true, force: true });
  };
}
