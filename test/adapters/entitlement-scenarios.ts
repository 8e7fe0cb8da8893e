/**
 * Entitlements, team and per-request log ids through each adapter, with the real core reading
 * a real MongoDB (the run's tier, see tools/mongo-wire-server). Same app routes as ./scenarios.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, seedMember, type SeededMember, type TestIssuer } from 'ayz-auth/testing';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { captureLogs } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from './http-client.js';
import type { StartApp } from './scenarios.js';

type Plan = 'both' | 'reportsOnly' | 'exportsOnly' | 'none';

export function describeEntitlementScenarios(start: StartApp): void {
  let issuer: TestIssuer;
  let testDb: TestDb;
  let auth: Auth;
  let app: { url: string; close(): Promise<void> };
  const handled = new Map<string, number>();
  const members = {} as Record<Plan, SeededMember>;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    testDb = await connectTestDb('adapters_ent');
    auth = createAuth({ stytch: issuer.authOptions, mongo: { db: testDb.db }, logger: captureLogs().logger });
    members.both = await seedMember(testDb.db, { entitlements: ['reports', 'exports'], subscriptionTier: 'pro', teamName: 'Analytics' });
    members.reportsOnly = await seedMember(testDb.db, { entitlements: ['reports'], subscriptionTier: 'basic' });
    members.exportsOnly = await seedMember(testDb.db, { entitlements: ['exports'], subscriptionTier: 'starter' });
    members.none = await seedMember(testDb.db, { entitlements: [], subscriptionTier: 'free' });
    app = await start({ auth, handled });
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await testDb?.close();
    await issuer?.close();
  });

  const tokenOf = (m: Pick<SeededMember, 'stytchMemberId' | 'stytchOrgId'>) =>
    issuer.sessionJwt({ memberId: m.stytchMemberId, organizationId: m.stytchOrgId });
  const get = (path: string, plan: Plan): Promise<HttpResponse> =>
    httpRequest(`${app.url}${path}`, { headers: bearer(tokenOf(members[plan])) });

  /** A refusal: 403 JSON with these fields, and the route's handler did not run. */
  async function expect403(path: string, plan: Plan, fields: Record<string, unknown>): Promise<void> {
    const before = handled.get(path) ?? 0;
    const res = await get(path, plan);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.json).toEqual({ error: 'entitlement_missing', message: expect.any(String), upgrade_required: true, ...fields });
    expect(handled.get(path) ?? 0).toBe(before);
  }

  it('puts the MongoDB context on the request, and its ids on the request logger', async () => {
    const m = members.both;
    const res = await get('/me', 'both');
    expect(res.status).toBe(200);
    expect(res.json.auth).toMatchObject({
      memberId: m.stytchMemberId,
      stytchOrgId: m.stytchOrgId,
      mongoUserId: m.userId.toHexString(),
      orgId: m.organizationId.toHexString(),
      currentTeamId: m.teamId.toHexString(),
      currentTeamName: 'Analytics',
      entitlements: ['reports', 'exports'],
      subscriptionTier: 'pro',
    });
    expect(res.json.log).toMatchObject({
      memberId: m.stytchMemberId,
      userId: m.userId.toHexString(),
      orgId: m.organizationId.toHexString(),
      teamId: m.teamId.toHexString(),
    });
  });

  describe('requireEntitlement', () => {
    it('passes an organization that holds it', async () => {
      expect((await get('/ent/one', 'both')).status).toBe(200);
      expect((await get('/ent/one', 'reportsOnly')).status).toBe(200);
    });

    it('answers 403 with the fields clients of the Python library read', async () => {
      await expect403('/ent/one', 'exportsOnly', {
        required_entitlement: 'reports',
        missing_entitlements: ['reports'],
        current_tier: 'starter',
      });
      await expect403('/ent/one', 'none', {
        required_entitlement: 'reports',
        missing_entitlements: ['reports'],
        current_tier: 'free',
      });
    });
  });

  describe('requireAnyEntitlement', () => {
    it('passes an organization that holds one of them', async () => {
      for (const plan of ['both', 'reportsOnly', 'exportsOnly'] as const) {
        expect((await get('/ent/any', plan)).status, plan).toBe(200);
      }
    });

    it('answers 403 when it holds none', async () => {
      await expect403('/ent/any', 'none', {
        required_entitlements: ['reports', 'exports'],
        missing_entitlements: ['reports', 'exports'],
        current_tier: 'free',
      });
    });
  });

  describe('requireAllEntitlements', () => {
    it('passes an organization that holds all of them', async () => {
      expect((await get('/ent/all', 'both')).status).toBe(200);
    });

    it('answers 403 naming what is missing', async () => {
      await expect403('/ent/all', 'reportsOnly', {
        required_entitlements: ['reports', 'exports'],
        missing_entitlements: ['exports'],
        current_tier: 'basic',
      });
      await expect403('/ent/all', 'exportsOnly', {
        required_entitlements: ['reports', 'exports'],
        missing_entitlements: ['reports'],
        current_tier: 'starter',
      });
    });
  });

  it('an organization unknown to MongoDB fails every requirement (entitlements null)', async () => {
    const token = issuer.sessionJwt({ memberId: 'member-test-nowhere', organizationId: 'organization-test-unknown' });
    for (const path of ['/ent/one', '/ent/any', '/ent/all']) {
      const res = await httpRequest(`${app.url}${path}`, { headers: bearer(token) });
      expect(res.status, path).toBe(403);
      expect(res.json).toMatchObject({ error: 'entitlement_missing', current_tier: null, upgrade_required: true });
    }
  });

  it('a forged context with every entitlement is not trusted, even with MongoDB on', async () => {
    await expect403('/forged/ent', 'exportsOnly', { required_entitlement: 'reports', missing_entitlements: ['reports'], current_tier: 'starter' });
    const me = await get('/forged/me', 'none');
    expect(me.json.auth.entitlements).toEqual([]);
  });
}
