/**
 * A TCP proxy in front of a MongoDB that holds back the first command matching a predicate
 * until `release()`: a write that is slow to land, without a timer. Everything else passes
 * through untouched, byte for byte.
 */
import net from 'node:net';
import type { Doc } from '../../tools/mongo-wire-server/bson-values.js';
import { MessageSplitter, parseMessage } from '../../tools/mongo-wire-server/wire.js';

export interface CommandGate {
  /** `mongodb://127.0.0.1:<proxy port>` */
  readonly uri: string;
  /** Resolves with the command's body once it is held. */
  readonly held: Promise<Doc>;
  /** Sends the held command (and what queued behind it on its connection) on. */
  release(): void;
  /** Resolves when the server's reply to the held command has been passed back to the client. */
  readonly landed: Promise<void>;
  close(): Promise<void>;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export async function startCommandGate(upstreamPort: number, match: (body: Doc) => boolean): Promise<CommandGate> {
  const held = deferred<Doc>();
  const landed = deferred<void>();
  let heldOnce = false;
  let released = false;
  const flushers: Array<() => void> = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const splitter = new MessageSplitter();
    // Messages of this connection queued behind a held one (order on a connection is kept).
    let queue: Buffer[] | null = null;
    let awaitingReply = false;

    client.on('data', (chunk: Buffer) => {
      for (const message of splitter.push(chunk)) {
        if (queue !== null) {
          queue.push(message);
          continue;
        }
        if (!heldOnce && !released) {
          const { body } = parseMessage(message);
          if (match(body)) {
            heldOnce = true;
            queue = [message];
            flushers.push(() => {
              awaitingReply = true;
              for (const m of queue ?? []) upstream.write(m);
              queue = null;
            });
            held.resolve(body);
            continue;
          }
        }
        upstream.write(message);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (awaitingReply) {
        awaitingReply = false;
        landed.resolve();
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  return {
    uri: `mongodb://127.0.0.1:${port}`,
    held: held.promise,
    landed: landed.promise,
    release() {
      released = true;
      for (const flush of flushers.splice(0)) flush();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
