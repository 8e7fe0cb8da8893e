/**
 * The directory cache's shared loads, against the test MongoDB through a proxy that holds the
 * directory lookup (round trip 1) on the wire: a load overtaken by an invalidation is answered
 * but not kept, and `directoryTtlSec: 0` keeps nothing yet still shares a load in flight.
 * Lookups are counted from the driver's command events.
 */
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthOptions } from 'ayz-auth';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { startLoopbackMongo, type LoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { startCommandGate, type CommandGate } from '../lifecycle/command-gate.js';

const DB = 'context_shared_loads';
const MEMBER = 'member-test-shared-loads';
const ORG = 'organization-test-shared-loads';
let mongo: LoopbackMongo;
let seedClient: MongoClient;
let issuer: TestIssuer;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  mongo = await startLoopbackMongo({ logCommands: false });
  seedClient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2_000 });
  issuer = await createTestIssuer();
  await seedMember(seedClient.db(DB), { stytchMemberId: MEMBER, stytchOrgId: ORG, entitlements: ['reports'] });
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(async () => {
  await seedClient?.close(true);
  await mongo?.stop();
  await issuer?.close();
});

const isDirectoryLookup = (body: Record<string, unknown>) => body['aggregate'] === 'organizations';

/** A service whose MongoDB traffic goes through a gate holding the first directory lookup. */
async function service(context: AuthOptions['context']): Promise<{ auth: Auth; gate: CommandGate; lookups: () => number }> {
  const gate = await startCommandGate(mongo.port, isDirectoryLookup);
  const client = new MongoClient(gate.uri, { serverSelectionTimeoutMS: 2_000, monitorCommands: true });
  const events: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => events.push(e));
  const auth = createAuth({ stytch: issuer.authOptions, mongo: { db: client.db(DB) }, context, logLevel: 'silent' });
  cleanups.push(async () => {
    gate.release();
    await auth.close();
    await client.close(true);
    await gate.close();
  });
  return { auth, gate, lookups: () => events.filter((e) => e.commandName === 'aggregate' && e.command['aggregate'] === 'organizations').length };
}

const token = () => issuer.sessionJwt({ memberId: MEMBER, organizationId: ORG });

it('a directory load overtaken by invalidate() is answered but not kept', async () => {
  const { auth, gate, lookups } = await service({ directoryTtlSec: 3600 });
  const first = auth.authenticate(token());
  await gate.held;
  auth.invalidate({ stytchOrgId: ORG });
  gate.release();
  expect((await first).entitlements).toEqual(['reports']);
  expect(lookups()).toBe(1);
  // not kept: the next request looks the directory up again, then that one is kept
  await auth.authenticate(token());
  expect(lookups()).toBe(2);
  await auth.authenticate(token());
  expect(lookups()).toBe(2);
});

it('directoryTtlSec: 0 keeps nothing, yet concurrent requests share the load in flight', async () => {
  const { auth, gate, lookups } = await service({ directoryTtlSec: 0 });
  // Started together: the first lookup is held on the wire, so every other request finds it in flight.
  const together = Array.from({ length: 20 }, () => auth.authenticate(token()));
  await gate.held;
  gate.release();
  const contexts = await Promise.all(together);
  expect(contexts.map((c) => c.entitlements)).toEqual(Array.from({ length: 20 }, () => ['reports']));
  expect(lookups()).toBe(1);
  await auth.authenticate(token());
  await auth.authenticate(token());
  expect(lookups()).toBe(3);
});
