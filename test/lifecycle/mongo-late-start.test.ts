/**
 * MongoDB is not there when the service starts (a pod scheduled before its database, a
 * failover at boot) and appears a moment later on the same address. The driver closes its
 * topology after a failed first connect; the service must not keep that dead client but
 * connect again by itself — and never answer with a wrong identity meanwhile.
 */
import { createServer } from 'node:net';
import express from 'express';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { startLoopbackMongo, type LoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { startExpress } from '../adapters/express/express-app.js';

const DB = 'lifecycle_late';

/** A port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function pollUntil<T>(what: string, attempt: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function lateStart(degrade: boolean): Promise<void> {
  const port = await freePort();
  const issuer: TestIssuer = await createTestIssuer();
  cleanups.push(() => issuer.close());
  const logs = captureLogs();
  const auth: Auth = createAuth({
    stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
    mongo: { uri: `mongodb://127.0.0.1:${port}/${DB}?serverSelectionTimeoutMS=300&connectTimeoutMS=300` },
    logger: logs.logger,
    ...(degrade ? { context: { onUnavailable: 'degrade' as const } } : {}),
  });
  cleanups.push(() => auth.close());
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    res.json(getAuth(req));
  });
  const http = await startExpress(app);
  cleanups.push(() => http.close());

  const member = { memberId: 'member-test-late-1', organizationId: 'organization-test-late-1' };
  const token = issuer.sessionJwt({ ...member, expiresInSec: 3600 });
  const me = () => httpRequest(`${http.url}/me`, { headers: bearer(token) });

  // Nothing listens yet: 503, or (degrade) the token's identity with null directory fields.
  const first = await me();
  expectMeanwhile(first, degrade, member);

  // MongoDB appears on that port, with the member's data.
  const mongo: LoopbackMongo = await startLoopbackMongo({ port, logCommands: false });
  cleanups.push(() => mongo.stop());
  const seedClient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2_000 });
  cleanups.push(() => seedClient.close(true));
  const seeded = await seedMember(seedClient.db(DB), { stytchMemberId: member.memberId, stytchOrgId: member.organizationId });

  const answers: number[] = [];
  const ok = await pollUntil(
    'a 200 after MongoDB came up',
    async () => {
      const res = await me();
      answers.push(res.status);
      // Meanwhile: nothing else (no 500, no other identity, no partial directory).
      if (!(res.status === 200 && res.json?.currentTeamId !== null)) expectMeanwhile(res, degrade, member);
      return res;
    },
    (res) => res.status === 200 && res.json?.currentTeamId !== null,
    10_000,
  );
  expect(ok.json).toMatchObject({
    memberId: member.memberId,
    stytchOrgId: member.organizationId,
    mongoUserId: seeded.userId.toHexString(),
    orgId: seeded.organizationId.toHexString(),
    currentTeamId: seeded.teamId.toHexString(),
  });
  // And it stays up.
  expect((await me()).status).toBe(200);
  logs.expectNoSecrets(token);
  if (degrade) expect(logs.find('Continuing without directory data', 'warn').length).toBeGreaterThan(0);
}

function expectMeanwhile(res: HttpResponse, degrade: boolean, member: { memberId: string; organizationId: string }): void {
  if (!degrade) {
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'context_unavailable' });
    return;
  }
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({ memberId: member.memberId, stytchOrgId: member.organizationId, mongoUserId: null, orgId: null, currentTeamId: null });
}

describe('MongoDB down at start-up, up a moment later', () => {
  it('first 503 context_unavailable, then 200 with the right context once MongoDB answers, without a restart', async () => {
    await lateStart(false);
  }, 30_000);

  it("onUnavailable 'degrade': the token's identity with null directory fields, then the whole context", async () => {
    await lateStart(true);
  }, 30_000);
});
