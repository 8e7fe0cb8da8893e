/**
 * For test files: a driver connection to the run's MongoDB (whatever tier), on a database
 * of its own, recording the commands the code under test sends — so a test can assert
 * "this request took at most 2 round trips".
 */
import { type CommandStartedEvent, type Db, MongoClient, type MongoClientOptions } from 'mongodb';
import { inject, type TestContext } from 'vitest';
import { type MongoCapabilities, TIER3_LIMITS, uniqueDbName } from './harness.js';

/**
 * Commands that are connection housekeeping, not database work: they are not counted as
 * round trips of the code under test.
 */
export const HOUSEKEEPING_COMMANDS: ReadonlySet<string> = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'buildInfo',
  'buildinfo',
  'getParameter',
  'getCmdLineOpts',
  'endSessions',
  'killCursors',
  'saslStart',
  'saslContinue',
  'authenticate',
]);

export interface TestDb {
  client: MongoClient;
  db: Db;
  dbName: string;
  /** Database work sent since the last reset (housekeeping commands excluded). */
  commands: CommandStartedEvent[];
  /** Names of `commands`, e.g. ['aggregate', 'aggregate']. */
  commandNames(): string[];
  resetCommands(): void;
  /** Drops the database (unless `drop: false`) and closes the client. */
  close(opts?: { drop?: boolean }): Promise<void>;
}

export interface ConnectOptions {
  /** Defaults to the run's server: `inject('mongoUri')`. */
  uri?: string;
  clientOptions?: MongoClientOptions;
}

export async function connectTestDb(prefix: string, opts: ConnectOptions = {}): Promise<TestDb> {
  const uri = opts.uri ?? inject('mongoUri');
  if (!uri) throw new Error("no MongoDB for this run: vitest's globalSetup test/support/global-setup.ts did not provide 'mongoUri'");
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, ...opts.clientOptions, monitorCommands: true });
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => {
    if (!HOUSEKEEPING_COMMANDS.has(e.commandName)) commands.push(e);
  });
  await client.connect();
  const dbName = uniqueDbName(prefix);
  const db = client.db(dbName);
  return {
    client,
    db,
    dbName,
    commands,
    commandNames: () => commands.map((c) => c.commandName),
    resetCommands: () => {
      commands.length = 0;
    },
    close: async ({ drop = true } = {}) => {
      try {
        if (drop) await db.dropDatabase();
      } catch {
        // the server may be down on purpose (fault tests); closing must still work
      } finally {
        await client.close(true);
      }
    },
  };
}

const CAPABILITY_LABEL: Record<keyof MongoCapabilities, string> = {
  transactions: 'transactions (a replica set)',
  changeStreams: 'change streams (a replica set)',
};

/**
 * Skips the current test, with the reason, when the run's MongoDB lacks a capability
 * (e.g. transactions on tier 3). Call first thing in the test: `needsMongo(ctx, 'transactions')`.
 */
export function needsMongo(ctx: TestContext, capability: keyof MongoCapabilities): void {
  const caps = inject('mongoCapabilities') ?? { transactions: false, changeStreams: false };
  if (caps[capability]) return;
  const tier = inject('mongoTier');
  const why = (tier === 3 ? TIER3_LIMITS[capability] : undefined) ?? `tier ${tier} server is a standalone`;
  ctx.skip(`needs ${CAPABILITY_LABEL[capability]}: ${why}; run with MONGODB_URI of a replica set or TEST_MONGO_REPLSET=1`);
}
