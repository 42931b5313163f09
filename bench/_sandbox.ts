/**
 * A throwaway sandbox for a benchmark run, so figures never depend on a server left running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { destroySandbox, sandboxConnection, startSandbox } from '../src/sandbox/index.js';

export async function withBenchSandbox<T>(
  fn: (sb: { home: string; name: string; socket: string; password: string }) => Promise<T>,
): Promise<T> {
  const home = mkdtempSync(path.join(tmpdir(), 'mysqlops-bench-'));
  const name = 'bench';
  try {
    await startSandbox({ home, name, onProgress: (e) => console.error(`… ${e.message}`) });
    const c = sandboxConnection({ home, name });
    if (!c) throw new Error('bench sandbox did not start');
    return await fn({ home, name, socket: c.socket, password: c.password.reveal() });
  } finally {
    await destroySandbox({ home, name });
    rmSync(home, { recursive: true, force: true });
  }
}
