import type { Db, MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { logText } from '../log-messages.js';

/**
 * Where the context builder and provisioning get their `Db`, once per operation. The warm
 * path never asks (it answers from the caches).
 */
export interface DbSource {
  /** The database; rejects (at once while a reconnect is backing off) when MongoDB cannot be reached. */
  db(): Promise<Db>;
  /** Closes what this source opened; a caller's `Db` is left alone. */
  close(): Promise<void>;
}

/** A `Db` the caller made and owns: used as given, never reconnected, never closed here. */
export class CallerDb implements DbSource {
  private readonly handle: Promise<Db>;

  constructor(db: Db) {
    this.handle = Promise.resolve(db);
  }

  db(): Promise<Db> {
    return this.handle;
  }

  async close(): Promise<void> {}
}

export interface ReconnectBackoff {
  /** Wait after the first failed connect, in ms. */
  readonly initialMs: number;
  /** The wait doubles after each failure up to this, in ms. */
  readonly maxMs: number;
}

export const DEFAULT_RECONNECT_BACKOFF: ReconnectBackoff = { initialMs: 250, maxMs: 5_000 };

/** Why the last connect failed, while the next one waits for its turn. */
export class MongoBackoffError extends Error {
  override readonly name = 'MongoBackoffError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

/** The client of this `Auth` is closed. */
export class MongoConnectionClosedError extends Error {
  override readonly name = 'MongoConnectionClosedError';
  constructor() {
    super('The MongoDB connection of this Auth is closed');
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The MongoClient this `Auth` made from a URI, connected explicitly and one attempt at a time.
 *
 * Why not the driver's lazy connect: when the first connect fails (MongoDB not up yet at boot),
 * the driver closes that client's topology but keeps it, and every later operation fails with
 * "Topology is closed" for the life of the process. So a failed connect throws the client away
 * (a new one is made for the next attempt) and waits before trying again (250 ms doubling to
 * 5 s by default): requests meanwhile fail at once instead of each queueing a connect. Once
 * connected, the driver's own monitoring handles later outages and recoveries.
 */
export class MongoConnection implements DbSource {
  private client: MongoClient;
  /** Settled with the database once connected: handed out as is (no new promise per operation). */
  private connected: Promise<Db> | null = null;
  private connecting: Promise<Db> | null = null;
  private retryAt = 0;
  private delayMs = 0;
  private lastFailure: unknown = null;
  private closed = false;
  /** For log lines: hosts and database, never credentials. */
  private readonly where: { readonly mongoHosts: string; readonly database: string };

  constructor(
    private readonly makeClient: () => MongoClient,
    private readonly dbName: string,
    /** `host:port[,…]`, no credentials (see `mongoHosts`). */
    hosts: string,
    private readonly logger: Logger,
    private readonly backoff: ReconnectBackoff = DEFAULT_RECONNECT_BACKOFF,
  ) {
    this.where = { mongoHosts: hosts, database: dbName };
    // Made now so a bad connection string fails `createAuth`, as before.
    this.client = makeClient();
  }

  db(): Promise<Db> {
    if (this.connected !== null) return this.connected;
    if (this.closed) return Promise.reject(new MongoConnectionClosedError());
    if (this.connecting !== null) return this.connecting;
    const waitMs = this.retryAt - Date.now();
    if (waitMs > 0) {
      return Promise.reject(
        new MongoBackoffError(`MongoDB could not be reached (${describe(this.lastFailure)}); next connection attempt in ${waitMs} ms`, {
          cause: this.lastFailure,
        }),
      );
    }
    const attempt = this.connect();
    this.connecting = attempt;
    void attempt.then(
      () => (this.connecting = null),
      () => (this.connecting = null),
    );
    return attempt;
  }

  private async connect(): Promise<Db> {
    const client = this.client;
    try {
      await client.connect();
    } catch (error) {
      this.delayMs = this.delayMs === 0 ? this.backoff.initialMs : Math.min(this.backoff.maxMs, this.delayMs * 2);
      this.retryAt = Date.now() + this.delayMs;
      this.lastFailure = error;
      // The driver closed this client's topology for good: the next attempt needs a new client.
      if (!this.closed) this.client = this.makeClient();
      void client.close().catch(() => undefined);
      this.logger.warn(
        { ...this.where, err: describe(error), retryInMs: this.delayMs },
        logText('mongoConnectFailed', String(this.delayMs)),
      );
      throw error;
    }
    if (this.lastFailure !== null) this.logger.info(this.where, logText('mongoConnected'));
    this.lastFailure = null;
    this.delayMs = 0;
    const db = client.db(this.dbName);
    if (!this.closed) this.connected = Promise.resolve(db);
    return db;
  }

  /** Waits for a connect in flight, then closes the client. */
  async close(): Promise<void> {
    this.closed = true;
    this.connected = null;
    if (this.connecting !== null) await this.connecting.catch(() => undefined);
    await this.client.close();
  }
}
