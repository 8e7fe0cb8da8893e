/**
 * The loopback MongoDB server (tier 3): a TCP listener on 127.0.0.1 speaking the wire
 * protocol, so the official driver connects to it like to any standalone mongod.
 *
 * Messages of one connection are handled in order (a driver never pipelines on a
 * connection); each command executes synchronously, so commands from different
 * connections never interleave halfway.
 *
 * `pause()` makes the server unavailable (listener closed, every connection destroyed)
 * and `resume()` brings it back on the same port with the same data: that is "MongoDB
 * stopped during a run, and came back".
 */
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { type Doc, isPlainObject } from './bson-values.js';
import { CommandDispatcher, HANDSHAKE_COMMANDS } from './commands.js';
import { encodeReply, MessageSplitter, parseMessage, type Request } from './wire.js';

export interface LoopbackServerOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Keep a log of every command received (default true). */
  logCommands?: boolean;
  /** Change streams (default true); false refuses them like a standalone mongod. */
  changeStreams?: boolean;
}

export interface CommandLogEntry {
  /** Command name, e.g. "find", "aggregate", "hello". */
  command: string;
  db: string;
  /** The command document as received (document sequences merged in). */
  body: Doc;
  connectionId: number;
}

interface ConnectionState {
  id: number;
  appName: string | undefined;
  /** Aborted when the socket closes, so a waiting change-stream getMore stops waiting. */
  closed: AbortController;
}

export class LoopbackMongoServer {
  readonly dispatcher: CommandDispatcher;
  readonly commandLog: CommandLogEntry[] = [];
  private listener: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private currentPort: number;
  private nextConnectionId = 1;
  private readonly logCommands: boolean;

  constructor(opts: LoopbackServerOptions = {}) {
    this.currentPort = opts.port ?? 0;
    this.logCommands = opts.logCommands ?? true;
    this.dispatcher = new CommandDispatcher({ changeStreams: opts.changeStreams ?? true });
  }

  get port(): number {
    return this.currentPort;
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** `mongodb://127.0.0.1:PORT[/db]` */
  uri(dbName?: string): string {
    return `mongodb://${this.host}:${this.port}${dbName ? `/${dbName}` : ''}`;
  }

  get isRunning(): boolean {
    return this.listener !== undefined;
  }

  /** Number of open client connections. */
  get connectionCount(): number {
    return this.sockets.size;
  }

  async start(): Promise<void> {
    if (this.listener) return;
    const listener = net.createServer((socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.currentPort, this.host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    this.currentPort = (listener.address() as net.AddressInfo).port;
    this.listener = listener;
  }

  /** Stop answering: close the listener and drop every connection. Data is kept. */
  async pause(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  /** Listen again on the same port. */
  async resume(): Promise<void> {
    await this.start();
  }

  /** Shut down for good: no listener, no connections, no cursors. */
  async stop(): Promise<void> {
    await this.pause();
    this.dispatcher.cursors.clear();
    this.dispatcher.changeStreams.clear();
  }

  clearCommandLog(): void {
    this.commandLog.length = 0;
  }

  private onConnection(socket: net.Socket): void {
    if (!this.listener) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const conn: ConnectionState = { id: this.nextConnectionId++, appName: undefined, closed: new AbortController() };
    const splitter = new MessageSplitter();
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = splitter.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) {
        queue = queue.then(() => this.handle(socket, conn, m)).catch(() => {
          socket.destroy();
        });
      }
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      conn.closed.abort();
    });
    socket.on('error', () => {
      /* a client going away is not an error of the server */
    });
  }

  private async handle(socket: net.Socket, conn: ConnectionState, raw: Buffer): Promise<void> {
    if (socket.destroyed) return;
    let req: Request;
    try {
      req = parseMessage(raw);
    } catch {
      socket.destroy();
      return;
    }
    const command = Object.keys(req.body)[0] ?? '';
    if (HANDSHAKE_COMMANDS.has(command)) {
      const client = req.body['client'];
      const app = isPlainObject(client) && isPlainObject(client['application']) ? client['application']['name'] : undefined;
      if (typeof app === 'string') conn.appName = app;
    }
    if (this.logCommands) this.commandLog.push({ command, db: req.db, body: req.body, connectionId: conn.id });

    const failPoint = this.dispatcher.takeFailPoint(command, conn.appName);
    if (failPoint) {
      if (failPoint.blockTimeMS > 0) await delay(failPoint.blockTimeMS);
      if (failPoint.closeConnection) {
        socket.destroy();
        return;
      }
      if (failPoint.errorCode !== undefined) {
        this.reply(socket, req, {
          ok: 0,
          code: failPoint.errorCode,
          errmsg: failPoint.errmsg ?? "Failing command via 'failCommand' failpoint",
        });
        return;
      }
    }
    const reply = await this.dispatcher.execute(req.body, { db: req.db, connectionId: conn.id, port: this.port, signal: conn.closed.signal });
    this.reply(socket, req, reply);
  }

  private reply(socket: net.Socket, req: Request, reply: Doc): void {
    if (req.noReply || socket.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = encodeReply(req, reply);
    } catch (e) {
      bytes = encodeReply(req, { ok: 0, code: 10334, codeName: 'BSONObjectTooLarge', errmsg: `reply could not be encoded: ${(e as Error).message}` });
    }
    socket.write(bytes);
  }
}
