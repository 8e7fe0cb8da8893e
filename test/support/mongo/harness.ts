/**
 * Which MongoDB the tests run against (see /work/shared/spec/mongodb-in-tests.md), in
 * this order of preference:
 *   1. `MONGODB_URI` is set → that server (a developer's MongoDB, Atlas, a CI service);
 *   2. mongodb-memory-server finds or downloads a `mongod` (or `MONGOMS_SYSTEM_BINARY`)
 *      → a private mongod (`TEST_MONGO_REPLSET=1`: a one-member replica set, for
 *      transactions and change streams);
 *   3. otherwise → the loopback wire-protocol server in this folder (bson + mingo).
 * `TEST_MONGO_TIER=1|2|3` forces a tier (and fails instead of falling back).
 *
 * `startTestMongo()` prints one line naming the tier it chose.
 *
 * This module does not import vitest: examples and scripts use it too.
 */
import { MongoClient } from 'mongodb';
import type { CommandLogEntry } from './server.js';
import { LoopbackMongoServer } from './server.js';

export type MongoTier = 1 | 2 | 3;

/** What the server can do beyond CRUD/aggregation; tests needing more skip with a reason. */
export interface MongoCapabilities {
  transactions: boolean;
  changeStreams: boolean;
}

export interface TestMongo {
  /** Connection string without a database name in its path (tier 1: as given). */
  uri: string;
  tier: MongoTier;
  /** e.g. "tier 3: loopback wire server (bson + mingo) on mongodb://127.0.0.1:40123" */
  description: string;
  capabilities: MongoCapabilities;
  stop(): Promise<void>;
}

export interface LoopbackMongo extends TestMongo {
  tier: 3;
  port: number;
  server: LoopbackMongoServer;
  /** Make the server unavailable: listener closed, all connections dropped. Data is kept. */
  pause(): Promise<void>;
  /** Listen again on the same port, with the same data. */
  resume(): Promise<void>;
  /** Every command the server received, handshakes and monitoring included. */
  commandLog: readonly CommandLogEntry[];
  clearCommandLog(): void;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the one-line tier report goes (default: console.log). */
  log?: (line: string) => void;
}

const NO_CAPABILITIES: MongoCapabilities = { transactions: false, changeStreams: false };

/** Why tier 3 cannot do what a test asks, for skip messages (only what it lacks is listed). */
export const TIER3_LIMITS: Partial<Record<keyof MongoCapabilities, string>> = {
  transactions: 'the loopback server is a standalone without transactions',
};

/**
 * Always tier 3, on its own port: for fault tests (pause/resume) and server tests.
 * `changeStreams: false` makes it refuse change streams like a standalone mongod.
 */
export async function startLoopbackMongo(opts: { port?: number; logCommands?: boolean; changeStreams?: boolean } = {}): Promise<LoopbackMongo> {
  const server = new LoopbackMongoServer(opts);
  await server.start();
  const uri = server.uri();
  return {
    uri,
    tier: 3,
    description: `tier 3: loopback wire server (bson + mingo) on ${uri}`,
    capabilities: { transactions: false, changeStreams: server.dispatcher.changeStreamsEnabled },
    port: server.port,
    server,
    pause: () => server.pause(),
    resume: () => server.resume(),
    commandLog: server.commandLog,
    clearCommandLog: () => server.clearCommandLog(),
    stop: () => server.stop(),
  };
}

/** Picks a tier, starts what it needs and prints one line naming it. */
export async function startTestMongo(opts: StartOptions = {}): Promise<TestMongo> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => console.log(line));
  const forced = env['TEST_MONGO_TIER']?.trim();
  if (forced && !['1', '2', '3'].includes(forced)) throw new Error(`TEST_MONGO_TIER must be 1, 2 or 3, not "${forced}"`);

  const uri = env['MONGODB_URI']?.trim();
  if (forced === '1' || (!forced && uri)) {
    if (!uri) throw new Error('TEST_MONGO_TIER=1 needs MONGODB_URI');
    const mongo = await useExternal(uri);
    log(`[mongo] ${mongo.description}`);
    return mongo;
  }

  let tier2Failure = 'skipped (TEST_MONGO_TIER=3)';
  if (forced !== '3') {
    const attempt = await tryMemoryServer(env);
    if ('mongo' in attempt) {
      log(`[mongo] ${attempt.mongo.description}`);
      return attempt.mongo;
    }
    if (forced === '2') throw new Error(`TEST_MONGO_TIER=2 but mongodb-memory-server could not start: ${attempt.failure}`);
    tier2Failure = attempt.failure;
  }

  const loopback = await startLoopbackMongo({ logCommands: false });
  log(`[mongo] ${loopback.description} (tier 2 unavailable: ${tier2Failure})`);
  return loopback;
}

/** Tier 1: check the server answers, and ask it what it can do. */
async function useExternal(uri: string): Promise<TestMongo> {
  // A timeout in the URI wins (constructor options would override it).
  const client = new MongoClient(uri, /serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 10_000 });
  try {
    const hello = await client.db('admin').command({ hello: 1 });
    const replicated = typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid';
    return {
      uri,
      tier: 1,
      description: `tier 1: MONGODB_URI ${redact(uri)}`,
      capabilities: { transactions: replicated, changeStreams: replicated || (await opensChangeStream(client)) },
      stop: async () => {},
    };
  } catch (e) {
    throw new Error(`MONGODB_URI is set but ${redact(uri)} does not answer: ${(e as Error).message}`);
  } finally {
    await client.close();
  }
}

/**
 * Tier 2. `MongoBinary.getPath()` finds a mongod (system binary, cache, or download)
 * without mongodb-memory-server's noisy start-up warning, so a failure here is a quiet
 * fallback. `MONGOMS_MAX_RETRIES=1` (unless set) makes an unreachable download fail in
 * milliseconds rather than seconds.
 */
async function tryMemoryServer(env: NodeJS.ProcessEnv): Promise<{ mongo: TestMongo } | { failure: string }> {
  const hadRetries = process.env['MONGOMS_MAX_RETRIES'] !== undefined;
  if (!hadRetries) process.env['MONGOMS_MAX_RETRIES'] = '1';
  try {
    const mms = await import('mongodb-memory-server-core');
    const binary = await mms.MongoBinary.getPath();
    if (env['TEST_MONGO_REPLSET'] === '1') {
      const rs = await mms.MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger' } });
      const uri = rs.getUri();
      return {
        mongo: {
          uri,
          tier: 2,
          description: `tier 2: mongodb-memory-server replica set (${binary}) on ${uri}`,
          capabilities: { transactions: true, changeStreams: true },
          stop: async () => {
            await rs.stop({ doCleanup: true });
          },
        },
      };
    }
    const server = await mms.MongoMemoryServer.create();
    const uri = server.getUri();
    return {
      mongo: {
        uri,
        tier: 2,
        description: `tier 2: mongodb-memory-server (${binary}) on ${uri}`,
        capabilities: NO_CAPABILITIES,
        stop: async () => {
          await server.stop({ doCleanup: true });
        },
      },
    };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { failure: message.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? 'unknown error' };
  } finally {
    if (!hadRetries) delete process.env['MONGOMS_MAX_RETRIES'];
  }
}

/**
 * Whether the server opens a change stream (a replica set does, a standalone mongod
 * refuses with 40573, the loopback server does unless told not to): asked, not guessed
 * from the topology. The probe's cursor is closed at once.
 */
async function opensChangeStream(client: MongoClient): Promise<boolean> {
  try {
    const reply = await client.db(uniqueDbName('probe')).command({ aggregate: 1, pipeline: [{ $changeStream: {} }], cursor: { batchSize: 0 } });
    const cursor = reply['cursor'] as { id?: unknown; ns?: unknown } | undefined;
    const [db, ...coll] = String(cursor?.ns ?? '').split('.');
    if (cursor?.id !== undefined && db) await client.db(db).command({ killCursors: coll.join('.'), cursors: [cursor.id] }).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

let dbCounter = 0;

/**
 * A database name unique to this process and call, so test files (and tests) never
 * share data even when they run in parallel against one server. MongoDB limits names to
 * 63 bytes and forbids `/\. "$*<>:|?`.
 */
export function uniqueDbName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 24) || 'test';
  const suffix = [process.pid.toString(36), Date.now().toString(36), (dbCounter++).toString(36), Math.random().toString(36).slice(2, 6)].join('_');
  return `${clean}_${suffix}`;
}
