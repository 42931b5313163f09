/**
 * TCP ports on 127.0.0.1: is one free, and pick a free one that no other sandbox under the same HOME
 * has recorded (a stopped sandbox wants its port back when it starts again).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { MysqlopsError } from '../errors.js';
import { sleep } from './fs-util.js';

/**
 * Whether we could bind 127.0.0.1:port now: `free`, `in-use` (something listens there), or
 * `forbidden` (this user may not bind it: ports below 1024 need root).
 */
export type PortState = 'free' | 'in-use' | 'forbidden';

export function probePort(port: number): Promise<PortState> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'EACCES' || err.code === 'EPERM' ? 'forbidden' : 'in-use'),
    );
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve('free'));
    });
  });
}

/** Poll until the port is free; the last state seen (`forbidden` returns at once: waiting cannot help). */
export async function waitForPortFree(port: number, timeoutMs: number): Promise<PortState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await probePort(port);
    if (state !== 'in-use' || Date.now() >= deadline) return state;
    await sleep(50);
  }
}

function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new MysqlopsError({
          code: 'E_SANDBOX',
          message: `cannot open a TCP port on 127.0.0.1 to find a free one: ${err.code ?? err.message}`,
          hint: 'check that the loopback interface is up (ip addr show lo), or pass a port with --port',
          cause: err,
        }),
      ),
    );
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
  throw new MysqlopsError({
    code: 'E_SANDBOX',
    message: 'no free TCP port found on 127.0.0.1 after 20 attempts',
    hint: 'pass a free port with --port (the ephemeral range may be exhausted: see ss -s)',
  });
}
