/**
 * MongoDB stops during a run (the loopback server's listener closes and every connection
 * drops), then comes back. Through the real Express adapter, with traffic running throughout:
 * every answer is either the exact expected identity or 503 `context_unavailable` (default) —
 * never another member's, org's or team's — and the service recovers by itself once MongoDB
 * is back. With `onUnavailable: 'degrade'`, the token's identity with null (or cached, correct)
 * directory fields, at WARN.
 */
import express from 'express';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { startLoopbackMongo, type LoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { startExpress } from '../adapters/express/express-app.js';

interface Expected {
  memberId: string;
  stytchOrgId: string;
  mongoUserId: string;
  orgId: string;
  currentTeamId: string;
}

const DB = 'faults_mongo';
let mongo: LoopbackMongo;
let seedClient: MongoClient;
let issuer: TestIssuer;
const expected: Expected[] = [];
const tokens: string[] = [];
const owner = new Map<string, Expected>();

async function until(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  mongo = await startLoopbackMongo();
  seedClient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2_000 });
  const db = seedClient.db(DB);
  issuer = await createTestIssuer();
  const orgs = ['organization-test-fault-a', 'organization-test-fault-b'];
  for (let i = 0; i < 4; i++) {
    const s = await seedMember(db, { stytchMemberId: `member-test-fault-${i}`, stytchOrgId: orgs[i % 2], entitlements: ['reports'] });
    expected.push({ memberId: s.stytchMemberId, stytchOrgId: s.stytchOrgId, mongoUserId: s.userId.toHexString(), orgId: s.organizationId.toHexString(), currentTeamId: s.teamId.toHexString() });
  }
  // One person in both organizations: the team must follow the organization of the token.
  const first = await seedMember(db, { stytchMemberId: 'member-test-fault-multi', stytchOrgId: orgs[0] });
  const second = await seedMember(db, { stytchMemberId: 'member-test-fault-multi', stytchOrgId: orgs[1], userId: first.userId });
  for (const s of [first, second]) {
    expected.push({ memberId: s.stytchMemberId, stytchOrgId: s.stytchOrgId, mongoUserId: first.userId.toHexString(), orgId: s.organizationId.toHexString(), currentTeamId: s.teamId.toHexString() });
  }
});

afterAll(async () => {
  await seedClient?.close(true);
  await mongo?.stop();
  await issuer?.close();
});

function tokenOf(e: Expected): string {
  const jwt = issuer.sessionJwt({ memberId: e.memberId, organizationId: e.stytchOrgId, expiresInSec: 3600 });
  tokens.push(jwt);
  owner.set(jwt, e);
  return jwt;
}

async function startService(options: { degrade: boolean }): Promise<{ auth: Auth; logs: CapturedLog; url: string; close(): Promise<void> }> {
  const logs = captureLogs();
  const auth = createAuth({
    stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
    mongo: { uri: mongo.uri, dbName: DB, clientOptions: { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300, socketTimeoutMS: 2_000 } },
    logger: logs.logger,
    ...(options.degrade ? { context: { onUnavailable: 'degrade' as const } } : {}),
  });
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    res.json(getAuth(req));
  });
  const server = await startExpress(app);
  return { auth, logs, url: server.url, close: async () => { await server.close(); await auth.close(); } };
}

type Verdict = 'ok' | 'unavailable' | 'degraded';

/** Classifies one answer; throws on a wrong identity or an unexpected status. */
function judge(res: HttpResponse, e: Expected, degrade: boolean): Verdict {
  if (res.status === 200) {
    const ctx = res.json;
    expect(ctx.memberId).toBe(e.memberId);
    expect(ctx.stytchOrgId).toBe(e.stytchOrgId);
    const full = { mongoUserId: ctx.mongoUserId, orgId: ctx.orgId, currentTeamId: ctx.currentTeamId };
    if (full.currentTeamId !== null) {
      expect(full).toEqual({ mongoUserId: e.mongoUserId, orgId: e.orgId, currentTeamId: e.currentTeamId });
      return 'ok';
    }
    // degraded: what is known is right, the rest is null; never someone else's
    expect(degrade, `a 200 without its team in fail mode: ${JSON.stringify(full)}`).toBe(true);
    expect([null, e.mongoUserId]).toContain(full.mongoUserId);
    expect([null, e.orgId]).toContain(full.orgId);
    return 'degraded';
  }
  expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'context_unavailable' });
  expect(res.headers['retry-after']).toBe('5');
  return 'unavailable';
}

async function outageRun(degrade: boolean) {
  const svc = await startService({ degrade });
  const counts = { ok: 0, unavailable: 0, degraded: 0 };
  let stop = false;
  const failures: unknown[] = [];
  try {
    // warm: everyone once, all correct
    for (const e of expected) expect(judge(await httpRequest(`${svc.url}/me`, { headers: bearer(tokenOf(e)) }), e, degrade)).toBe('ok');

    const worker = async (n: number) => {
      let i = n;
      while (!stop) {
        const e = expected[i++ % expected.length]!;
        // a new token half of the time: the cold path (no verified-token cache) too
        const token = i % 2 === 0 ? tokenOf(e) : tokens[tokens.length - 1 - (i % 7)]!;
        try {
          const res = await httpRequest(`${svc.url}/me`, { headers: bearer(token) });
          counts[judge(res, owner.get(token)!, degrade)]++;
        } catch (error) {
          failures.push(error);
          stop = true;
        }
      }
    };
    const workers = [0, 1, 2, 3].map(worker);
    await until('traffic before the outage', () => counts.ok >= 10);
    await mongo.pause();
    const before = { ...counts };
    await until('answers during the outage', () => counts.unavailable + counts.degraded >= before.unavailable + before.degraded + 12);
    await mongo.resume();
    const atResume = counts.ok;
    await until('recovery after MongoDB is back', () => counts.ok >= atResume + 20 || failures.length > 0);
    stop = true;
    await Promise.all(workers);
    if (failures.length) throw failures[0];
    // and afterwards every member is served whole again, each with their own context
    for (const e of expected) expect(judge(await httpRequest(`${svc.url}/me`, { headers: bearer(tokenOf(e)) }), e, degrade)).toBe('ok');
    svc.logs.expectNoSecrets(...tokens);
    return { counts, logs: svc.logs };
  } finally {
    stop = true;
    await svc.close();
  }
}

describe('MongoDB stopped during a run', () => {
  it('default (fail closed): 503 context_unavailable while down, no wrong identity, recovers by itself', async () => {
    const { counts, logs } = await outageRun(false);
    expect(counts.unavailable).toBeGreaterThan(0);
    expect(counts.degraded).toBe(0);
    expect(logs.find('Failed to load context from MongoDB', 'error').length).toBeGreaterThan(0);
    console.log(`[faults] mongo outage (fail): ${JSON.stringify(counts)}`);
  }, 60_000);

  it("onUnavailable 'degrade': the token's identity with null directory fields at WARN, then whole again", async () => {
    const { counts, logs } = await outageRun(true);
    expect(counts.degraded).toBeGreaterThan(0);
    expect(counts.unavailable).toBe(0);
    expect(logs.find('Continuing without directory data', 'warn').length).toBeGreaterThan(0);
    console.log(`[faults] mongo outage (degrade): ${JSON.stringify(counts)}`);
  }, 60_000);
});
