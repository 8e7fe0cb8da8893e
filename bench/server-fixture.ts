/**
 * What a single-server bench script (profile-http, instructions) needs to start
 * bench/http-server.ts: a test MongoDB with a seeded member, a session JWT of that member from
 * the test issuer, and the server's environment. `npm run bench` runs its MongoDB in a process
 * of its own instead, pinned away from the servers.
 */
import { MongoClient } from 'mongodb';
import { createTestIssuer, seedMember } from 'ayz-auth/testing';
import { startTestMongo } from '../tools/mongo-wire-server/harness.js';

export interface ServerFixture {
  /** The bearer token every route is loaded with (valid for an hour). */
  readonly token: string;
  /** The environment of bench/http-server.ts for one framework and major. */
  serverEnv(framework: string, major: string, extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startServerFixture(dbPrefix: string): Promise<ServerFixture> {
  const mongo = await startTestMongo();
  const issuer = await createTestIssuer();
  const client = new MongoClient(mongo.uri);
  await client.connect();
  const dbName = `${dbPrefix}_${Date.now().toString(36)}`;
  const member = await seedMember(client.db(dbName), { entitlements: ['reports'], subscriptionTier: 'premium' });
  return {
    token: issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, expiresInSec: 3600 }),
    serverEnv: (framework, major, extra = {}) => ({
      BENCH_FRAMEWORK: framework,
      BENCH_MAJOR: major,
      BENCH_MONGO_URI: mongo.uri,
      BENCH_DB: dbName,
      BENCH_STYTCH: JSON.stringify(issuer.authOptions),
      BENCH_JOSE: JSON.stringify({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: issuer.projectId }),
      ...extra,
    }),
    async close() {
      await client.db(dbName).dropDatabase();
      await client.close();
      await issuer.close();
      await mongo.stop();
    },
  };
}
