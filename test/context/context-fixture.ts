import { randomUUID } from 'node:crypto';
import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import { afterAll, beforeAll, inject } from 'vitest';
import { createAuth, type Auth, type AuthOptions } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';

/** Commands that are database work; handshakes and monitoring are not round trips of ours. */
const WORK = new Set(['find', 'aggregate', 'update', 'insert', 'delete', 'findAndModify', 'getMore', 'count', 'distinct']);

export interface MonitoredMongo {
  client: MongoClient;
  close(): Promise<void>;
}

export async function connectMonitored(): Promise<MonitoredMongo & { events: CommandStartedEvent[] }> {
  const client = new MongoClient(inject('mongoUri'), { monitorCommands: true, serverSelectionTimeoutMS: 5_000 });
  const events: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => {
    if (WORK.has(e.commandName)) events.push(e);
  });
  await client.connect();
  return { client, events, close: () => client.close() };
}

export interface Scenario {
  db: Db;
  auth: Auth;
  logs: CapturedLog;
  /** Database commands of this scenario's database since the last `resetCommands`. */
  commands(): { name: string; collection: unknown }[];
  resetCommands(): void;
}

export function scenarioFactory(mongo: MonitoredMongo & { events: CommandStartedEvent[] }, issuer: () => TestIssuer) {
  return (options: Partial<AuthOptions> = {}): Scenario => {
    const db = mongo.client.db(`ctx_${randomUUID().replace(/-/g, '').slice(0, 20)}`);
    const logs = captureLogs();
    const auth = createAuth({ stytch: issuer().authOptions, mongo: { db }, logger: logs.logger, ...options });
    let from = mongo.events.length;
    return {
      db,
      auth,
      logs,
      commands: () =>
        mongo.events
          .slice(from)
          .filter((e) => e.databaseName === db.databaseName)
          .map((e) => ({ name: e.commandName, collection: e.command[e.commandName] })),
      resetCommands: () => {
        from = mongo.events.length;
      },
    };
  };
}

/**
 * The issuer, the monitored client and the scenario factory of a test file (or `describe`
 * block), made in its `beforeAll` and closed in its `afterAll`; read them inside tests.
 */
export function useContextFixture(): { readonly issuer: TestIssuer; scenario(options?: Partial<AuthOptions>): Scenario } {
  let issuer: TestIssuer | undefined;
  let mongo: Awaited<ReturnType<typeof connectMonitored>> | undefined;
  let scenario: ReturnType<typeof scenarioFactory> | undefined;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    mongo = await connectMonitored();
    scenario = scenarioFactory(mongo, () => issuer as TestIssuer);
  });
  afterAll(async () => {
    await mongo?.close();
    await issuer?.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useContextFixture: read inside a test, after beforeAll');
    return value;
  };
  return {
    get issuer() {
      return ready(issuer);
    },
    scenario: (options) => ready(scenario)(options),
  };
}
