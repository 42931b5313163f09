/**
 * One real database server for the whole test run: a sandbox in a temporary directory, started
 * before any test file and destroyed after the last. Test files reach it through `inject('sandbox')`
 * and create their own database each (test/support/db.ts).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
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
  // Every temporary file and folder the test files make (mkdtemp in tmpdir()) goes into one
  // folder of this run, removed at the end: test files that forget to clean up leave nothing in
  // /tmp. The test processes are forked after this and inherit TMPDIR.
  const previousTmp = process.env.TMPDIR;
  const scratch = mkdtempSync(path.join(tmpdir(), 'mysqlops-run-'));
  // Like /tmp itself: the tests that drop to an unprivileged user write here too.
  chmodSync(scratch, 0o1777);
  process.env.TMPDIR = scratch;
  return async () => {
    if (previousTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmp;
    await destroySandbox({ home, name });
    rmSync(home, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  };
}
