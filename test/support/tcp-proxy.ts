/**
 * A TCP proxy in front of the test server that can break the connections passing through it the way
 * networks do, so that tests see what a client sees: connections that die silently (the client
 * learns it only when it next writes), and peers that stop answering without closing anything.
 */
import net from 'node:net';

/** What happens to the connections open through the proxy now. */
export type Breakage =
  /** The server side is closed; the client side stays open and is reset when the client next writes. */
  | 'reset-on-write'
  /** Nothing is forwarded any more in either direction, and nothing is closed. */
  | 'blackhole';

export interface TcpProxy {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Apply `how` to every connection open now; later connections are forwarded normally. */
  breakOpenConnections(how: Breakage): void;
  /** Accept new connections but never forward them (a server that accepts and never greets). */
  silenceNewConnections(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
}

/** Start a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let accepted = 0;
  let silent = false;
  const held: net.Socket[] = [];
  const srv = net.createServer((client) => {
    accepted++;
    client.on('error', () => {});
    if (silent) {
      held.push(client);
      return;
    }
    const server = net.connect(target.port, target.host);
    server.on('error', () => client.destroy());
    const pair = { client, server };
    pairs.add(pair);
    client.pipe(server);
    server.pipe(client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('close', drop);
    server.on('close', drop);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    get accepted() {
      return accepted;
    },
    breakOpenConnections(how) {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        const { client, server } = pair;
        client.unpipe(server);
        server.unpipe(client);
        client.removeAllListeners('close');
        server.removeAllListeners('close');
        server.destroy();
        client.removeAllListeners('data');
        held.push(client);
        if (how === 'reset-on-write') client.once('data', () => client.resetAndDestroy());
        else client.on('data', () => {});
        // unpipe() paused it; flowing again, so the client's next write is seen.
        client.resume();
      }
    },
    silenceNewConnections() {
      silent = true;
    },
    close: async () => {
      for (const s of held) s.destroy();
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}
