/**
 * TCP ports on 127.0.0.1: is one free, and pick a free one that no other sandbox under the same HOME
 * has recorded (a stopped sandbox wants its port back when it starts again).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { sleep } from './fs-util.js';

/** True when nothing listens on 127.0.0.1:port (we could bind it ourselves). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** Poll until the port is free; false when it is still taken at the deadline. */
export async function waitForPortFree(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await isPortFree(port))) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Ports recorded in HOME/sandbox/<any>/sandbox.json. */
export function recordedPorts(sandboxRoot: string): Set<number> {
  const ports = new Set<number>();
  let names: string[];
  try {
    names = fs.readdirSync(sandboxRoot);
  } catch {
    return ports;
  }
  for (const name of names) {
    try {
      const state = JSON.parse(fs.readFileSync(path.join(sandboxRoot, name, 'sandbox.json'), 'utf8')) as {
        port?: unknown;
      };
      if (typeof state.port === 'number') ports.add(state.port);
    } catch {
      // Not a sandbox, or one still being created: nothing to avoid.
    }
  }
  return ports;
}

/** A port the kernel says is free now and no sibling sandbox has claimed. */
export async function pickFreePort(avoid: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await ephemeralPort();
    if (port > 0 && !avoid.has(port)) return port;
  }
  throw new Error('no free TCP port found on 127.0.0.1 after 20 attempts');
}
