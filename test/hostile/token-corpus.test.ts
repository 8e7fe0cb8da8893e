/**
 * The hostile corpus (corpus.ts) through the real adapters — Express 4 and 5, Fastify 4 and 5 —
 * over real HTTP, on the real core with MongoDB. Each case must get its exact status and error
 * code; no case may cause a 5xx; no response and no log line (library or framework) may carry
 * any piece of any token sent.
 */
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { uniqueDbName } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs, expectNoSecretIn, type CapturedLog } from '../support/log-capture.js';
import { httpRequest } from '../adapters/http-client.js';
import { FRAMEWORKS, startApp, type RunningApp } from './apps.js';
import { rawRequest } from './raw-http.js';
import { ACME, ALICE, BETA, BOB, CORPUS, secretsOf, type CorpusCase, type CorpusKit } from './corpus.js';

let issuer: TestIssuer;
let evil: TestIssuer;
let client: MongoClient;
let db: Db;
let auth: Auth;
let logs: CapturedLog;
let aliceIds: { userId: string; orgId: string; teamId: string };
const apps = new Map<string, { normal: RunningApp; big: RunningApp }>();
const sentSecrets = new Set<string>();
let frozenNow = 0;

beforeAll(async () => {
  issuer = await createTestIssuer();
  evil = await createTestIssuer({ projectId: issuer.projectId });
  client = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 5_000 });
  db = client.db(uniqueDbName('hostile_corpus'));
  const alice = await seedMember(db, { stytchMemberId: ALICE, stytchOrgId: ACME, entitlements: ['reports'] });
  await seedMember(db, { stytchMemberId: BOB, stytchOrgId: BETA, entitlements: [] });
  aliceIds = { userId: alice.userId.toHexString(), orgId: alice.organizationId.toHexString(), teamId: alice.teamId.toHexString() };
  logs = captureLogs();
  // No secret: an expired JWT is a plain 401 and an opaque token is refused, both without Stytch.
  auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, mongo: { db }, logger: logs.logger });
  for (const name of FRAMEWORKS) {
    apps.set(name, {
      normal: await startApp(name, auth, logs.logger),
      big: await startApp(name, auth, logs.logger, { maxHeaderSize: 64 * 1024 }),
    });
  }
});

afterAll(async () => {
  for (const { normal, big } of apps.values()) {
    await normal.close();
    await big.close();
  }
  await auth?.close();
  await db?.dropDatabase().catch(() => undefined);
  await client?.close();
  await issuer?.close();
  await evil?.close();
});

const kit = (): CorpusKit => ({
  issuer,
  evil,
  jwt: (input = {}) => issuer.sessionJwt({ memberId: ALICE, organizationId: ACME, ...input }),
  nowSec: () => Math.floor(Date.now() / 1000),
});

const cases = (bug: boolean) => CORPUS.filter((c) => (c.knownBug !== undefined) === bug).map((c) => [c.name, c] as const);

describe.each(FRAMEWORKS)('%s', (framework) => {
  const run = async (c: CorpusCase): Promise<void> => {
    if (c.frozenClock) {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(frozenNow || (frozenNow = Math.floor(Date.now() / 1000) * 1000 + 500));
    }
    try {
      const request = c.request(kit());
      const secrets = secretsOf(request);
      secrets.forEach((s) => sentSecrets.add(s));
      const app = apps.get(framework)!;
      const base = request.bigHeaders ? app.big.url : app.normal.url;
      const path = request.path ?? '/me';
      const res = request.raw
        ? await rawRequest(base, path, request.raw)
        : await httpRequest(`${base}${path}`, { headers: request.headers ?? {} });
      // Every header line as received (raw client), or every value Node kept (Node's client).
      const headerText = 'head' in res ? res.head : JSON.stringify(res.headers);
      const bodyText = 'text' in res ? res.text : res.body;

      expect(res.status, `${framework} answered ${res.status}: ${bodyText.slice(0, 200)}`).toBeLessThan(500);
      expect({ status: res.status, code: c.expect.code === null ? null : res.json?.error }).toEqual({ status: c.expect.status, code: c.expect.code });
      if (res.status === 200) {
        expect(res.json).toMatchObject({ memberId: c.expect.member ?? ALICE, stytchOrgId: ACME, mongoUserId: aliceIds.userId, orgId: aliceIds.orgId, currentTeamId: aliceIds.teamId });
        c.expect.check?.(res.json);
      } else if (c.expect.code !== null) {
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        if (res.status === 401 || res.status === 403) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="ayz-auth"/);
      }
      // No piece of any token sent comes back, in a refusal or in a 200 (which echoes only the
      // verified context): every 16-character window of every token, in the body and every header.
      expectNoSecretIn(`${framework} response body`, bodyText, secrets);
      expectNoSecretIn(`${framework} response headers`, headerText, secrets);
    } finally {
      if (c.frozenClock) vi.useRealTimers();
    }
  };
  it.each(cases(false))('%s', (_name, c) => run(c));
  it('the corpus has no case marked as a known bug', () => expect(cases(true)).toEqual([]));
});

describe('after the whole corpus', () => {
  it('no log line (library or framework) holds any token or a piece of one', () => {
    expect(sentSecrets.size).toBeGreaterThan(CORPUS.length);
    logs.expectNoSecrets(...sentSecrets);
    // and the key-carrying headers never made us fetch anything from the attacker
    expect(evil.requests).toEqual({ jwks: 0, authenticate: 0, rbacPolicy: 0, rbacOrgPolicy: 0, other: 0 });
    expect(issuer.requests.other).toBe(0);
    // one fetch at start, at most one more for an unknown kid within the 30 s cooldown
    expect(issuer.requests.jwks).toBeLessThanOrEqual(2);
    // nothing reached a framework error handler
    expect(logs.find('unhandled error in app')).toEqual([]);
    expect(logs.records().filter((r) => r.level >= 50)).toEqual([]);
  });

  it('nothing polluted Object.prototype', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
