import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createAuth, createRecommendedIndexes, RECOMMENDED_INDEXES } from 'ayz-auth';
import {
  seedOrganization,
  seedOrgMembership,
  seedTeam,
  seedTeamMembership,
  seedUser,
} from 'ayz-auth/testing';
import { useContextFixture, type Scenario } from './context-fixture.js';
import { rejection } from '../support/errors.js';

const fixture = useContextFixture();
const scenario = fixture.scenario;

const M = 'member-test-m1';
const O = 'organization-test-o1';
const O2 = 'organization-test-o2';

function tokenFor(memberId: string, organizationId: string): string {
  return fixture.issuer.sessionJwt({ memberId, organizationId });
}

async function login(s: Scenario, memberId = M, organizationId = O) {
  s.resetCommands();
  const token = tokenFor(memberId, organizationId);
  const ctx = await s.auth.authenticate(token);
  s.logs.expectNoSecrets(token);
  // Every scenario, whatever its data: at most two round trips, plus one write when corrected.
  expect(roundTrips(s)).toBeLessThanOrEqual(2);
  expect(s.commands().filter((c) => c.name === 'update').length).toBeLessThanOrEqual(1);
  return ctx;
}

function roundTrips(s: Scenario) {
  return s.commands().filter((c) => c.name !== 'update').length;
}

/** org O with one member M: user, active membership, a team in O as current team. */
async function seedBasic(s: Scenario, user: { currentTeamId?: ObjectId | string | null; membership?: boolean } = {}) {
  const orgId = await seedOrganization(s.db, {
    stytchOrgId: O,
    entitlements: ['foresight', 'byod'],
    subscriptionTier: 'premium',
    subscriptionLimits: { max_projects: 50, max_users: 100 },
  });
  const teamId = await seedTeam(s.db, { organizationId: orgId, name: 'Team X' });
  const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: 'currentTeamId' in user ? user.currentTeamId : teamId });
  if (user.membership !== false) await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
  await seedTeamMembership(s.db, { userId, teamId });
  return { orgId, teamId, userId };
}

describe('building the context (behaviour.md, scenarios of the context issue)', () => {
  it('resolves a member through the membership in two round trips, reading org, user and team', async () => {
    const s = scenario();
    const { orgId, teamId, userId } = await seedBasic(s);
    const ctx = await login(s);
    expect(ctx).toMatchObject({
      memberId: M,
      stytchOrgId: O,
      mongoUserId: userId.toHexString(),
      orgId: orgId.toHexString(),
      currentTeamId: teamId.toHexString(),
      currentTeamName: 'Team X',
      entitlements: ['foresight', 'byod'],
      subscriptionTier: 'premium',
      subscriptionLimits: { max_projects: 50, max_users: 100 },
    });
    expect(roundTrips(s)).toBe(2);
    expect(s.commands().map((c) => c.name)).toEqual(['aggregate', 'aggregate']);
    expect(s.logs.find('Falling back')).toHaveLength(0);
  });

  it('1. single-org user without a membership row: found by the fallback, WARN logged', async () => {
    const s = scenario();
    const { userId, teamId } = await seedBasic(s, { membership: false });
    const ctx = await login(s);
    expect(ctx.mongoUserId).toBe(userId.toHexString());
    expect(ctx.currentTeamId).toBe(teamId.toHexString());
    const warn = s.logs.find(`No org membership found for stytch_member_id=${M}, org=${O}. Falling back to direct user lookup.`, 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O });
    expect(roundTrips(s)).toBeLessThanOrEqual(2);
  });

  it('2. multi-org member: each organization resolves its own user', async () => {
    const s = scenario();
    const orgA = await seedOrganization(s.db, { stytchOrgId: O, entitlements: ['a'] });
    const orgB = await seedOrganization(s.db, { stytchOrgId: O2, entitlements: ['b'] });
    // The legacy users.stytch_member_id names neither of these members' users.
    const userA = await seedUser(s.db, { stytchMemberId: 'member-test-legacy' });
    const userB = await seedUser(s.db, { stytchMemberId: 'member-test-legacy-2' });
    await seedOrgMembership(s.db, { userId: userA, organizationId: orgA, stytchMemberId: 'member-test-in-a' });
    await seedOrgMembership(s.db, { userId: userB, organizationId: orgB, stytchMemberId: 'member-test-in-b' });
    const inA = await login(s, 'member-test-in-a', O);
    const inB = await login(s, 'member-test-in-b', O2);
    expect([inA.mongoUserId, inA.orgId, inA.entitlements]).toEqual([userA.toHexString(), orgA.toHexString(), ['a']]);
    expect([inB.mongoUserId, inB.orgId, inB.entitlements]).toEqual([userB.toHexString(), orgB.toHexString(), ['b']]);
    // A membership in org A is never used for org B.
    const crossed = await login(s, 'member-test-in-a', O2);
    expect(crossed.mongoUserId).toBeNull();
    expect(s.logs.find('No org membership found for stytch_member_id=member-test-in-a, org=organization-test-o2', 'warn')).toHaveLength(1);
  });

  it('3. a membership whose status is not active is a removal: no user, no fallback (not Python: it fell back)', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const viaMembership = await seedUser(s.db, { stytchMemberId: 'member-test-someone' });
    await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId: viaMembership, organizationId: orgId, stytchMemberId: M, status: 'inactive' });
    const ctx = await login(s);
    expect(ctx.mongoUserId).toBeNull();
    expect(s.logs.find('Falling back to direct user lookup', 'warn')).toHaveLength(0);
    const warn = s.logs.find(`Membership of stytch_member_id=${M} in org=${O} is inactive; no user (membership inactive)`, 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O, orgId: orgId.toHexString(), membershipStatus: 'inactive' });
  });

  it('4. a membership whose user document is gone: fallback', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const direct = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId: new ObjectId(), organizationId: orgId, stytchMemberId: M });
    const ctx = await login(s);
    expect(ctx.mongoUserId).toBe(direct.toHexString());
    expect(s.logs.find('No org membership found', 'warn')).toHaveLength(1);
  });

  it('5. unknown organization: Mongo org fields null, WARN, identity still returned, one round trip', async () => {
    const s = scenario();
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: new ObjectId() });
    const ctx = await login(s, M, 'organization-test-zzz');
    expect(ctx).toMatchObject({
      memberId: M,
      stytchOrgId: 'organization-test-zzz',
      orgId: null,
      entitlements: null,
      subscriptionTier: null,
      subscriptionLimits: null,
      currentTeamId: null,
      currentTeamName: null,
      mongoUserId: userId.toHexString(),
    });
    expect(s.logs.find('Organization not found for stytch_org_id: organization-test-zzz. Falling back to direct user lookup.', 'warn')).toHaveLength(1);
    expect(roundTrips(s)).toBe(1);
  });

  it('6. current team in the current org: kept, no write', async () => {
    const s = scenario();
    const { teamId } = await seedBasic(s);
    const ctx = await login(s);
    expect(ctx.currentTeamId).toBe(teamId.toHexString());
    expect(s.commands().some((c) => c.name === 'update')).toBe(false);
  });

  it('7. current team of another org: stale WARN, first active team of this org, written back as ObjectId, INFO', async () => {
    const s = scenario();
    const orgA = await seedOrganization(s.db, { stytchOrgId: O });
    const orgB = await seedOrganization(s.db, { stytchOrgId: O2 });
    const teamA = await seedTeam(s.db, { organizationId: orgA, name: 'Team A' });
    const teamB1 = await seedTeam(s.db, { organizationId: orgB, name: 'Team B1' });
    const teamB2 = await seedTeam(s.db, { organizationId: orgB, name: 'Team B2' });
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: teamA });
    await seedOrgMembership(s.db, { userId, organizationId: orgA, stytchMemberId: M });
    await seedOrgMembership(s.db, { userId, organizationId: orgB, stytchMemberId: M });
    await seedTeamMembership(s.db, { userId, teamId: teamA });
    await seedTeamMembership(s.db, { userId, teamId: teamB2 }); // oldest membership in org B
    await seedTeamMembership(s.db, { userId, teamId: teamB1 });

    const ctx = await login(s, M, O2);
    expect(ctx.currentTeamId).toBe(teamB2.toHexString());
    expect(ctx.currentTeamName).toBe('Team B2');
    const stale = s.logs.find(
      `MULTI-ORG FIX: Stale team_id detected for user ${M}. Team ${teamA.toHexString()} belongs to org ${orgA.toHexString()}, but user is in org ${orgB.toHexString()}`,
      'warn',
    );
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O2, teamId: teamA.toHexString(), userId: userId.toHexString() });
    expect(s.logs.find(`Found valid team ${teamB2.toHexString()} for user ${M} in org ${O2}`, 'info')).toHaveLength(1);
    expect(s.logs.find(`Auto-corrected User.current_team_id in MongoDB: user ${userId.toHexString()} -> team ${teamB2.toHexString()}`, 'info')).toHaveLength(1);
    expect(roundTrips(s)).toBe(2);
    expect(s.commands().filter((c) => c.name === 'update')).toHaveLength(1);
    const stored = await s.db.collection('users').findOne({ _id: userId });
    expect(stored?.current_team_id).toBeInstanceOf(ObjectId);
    expect((stored?.current_team_id as ObjectId).equals(teamB2)).toBe(true);

    // The next request finds the corrected team valid: no second write.
    const again = await login(s, M, O2);
    expect(again.currentTeamId).toBe(teamB2.toHexString());
    expect(s.commands().some((c) => c.name === 'update')).toBe(false);
  });

  it('7b. with write-back off the team is corrected in the context only', async () => {
    const s = scenario({ context: { writeBackTeam: false } });
    const orgA = await seedOrganization(s.db, { stytchOrgId: O });
    const other = await seedOrganization(s.db, { stytchOrgId: O2 });
    const foreignTeam = await seedTeam(s.db, { organizationId: other });
    const teamA = await seedTeam(s.db, { organizationId: orgA });
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: foreignTeam });
    await seedOrgMembership(s.db, { userId, organizationId: orgA, stytchMemberId: M });
    await seedTeamMembership(s.db, { userId, teamId: teamA });
    const ctx = await login(s);
    expect(ctx.currentTeamId).toBe(teamA.toHexString());
    expect(s.commands().some((c) => c.name === 'update')).toBe(false);
    expect(((await s.db.collection('users').findOne({ _id: userId }))?.current_team_id as ObjectId).equals(foreignTeam)).toBe(true);
  });

  it('8. stale team and no team in this org: null, WARN "No teams found"', async () => {
    const s = scenario();
    const orgA = await seedOrganization(s.db, { stytchOrgId: O });
    const orgB = await seedOrganization(s.db, { stytchOrgId: O2 });
    const teamB = await seedTeam(s.db, { organizationId: orgB });
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: teamB });
    await seedOrgMembership(s.db, { userId, organizationId: orgA, stytchMemberId: M });
    await seedTeamMembership(s.db, { userId, teamId: teamB });
    const ctx = await login(s);
    expect(ctx.currentTeamId).toBeNull();
    expect(ctx.currentTeamName).toBeNull();
    expect(s.logs.find('MULTI-ORG FIX: Stale team_id detected', 'warn')).toHaveLength(1);
    expect(s.logs.find(`No teams found for user ${M} in org ${O}`, 'warn')).toHaveLength(1);
    expect(s.commands().some((c) => c.name === 'update')).toBe(false);
  });

  describe('9. current_team_id stored in other forms', () => {
    it('as a 24-hex string: valid, kept as is, no write', async () => {
      const s = scenario();
      const orgId = await seedOrganization(s.db, { stytchOrgId: O });
      const teamId = await seedTeam(s.db, { organizationId: orgId, name: 'Hex' });
      const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: teamId.toHexString() });
      await seedOrgMembership(s.db, { userId: userId.toHexString(), organizationId: orgId.toHexString(), stytchMemberId: M });
      const ctx = await login(s);
      expect([ctx.mongoUserId, ctx.currentTeamId, ctx.currentTeamName]).toEqual([userId.toHexString(), teamId.toHexString(), 'Hex']);
      expect(s.commands().some((c) => c.name === 'update')).toBe(false);
    });

    it('as a malformed string: logged, treated as absent, replaced', async () => {
      const s = scenario();
      const orgId = await seedOrganization(s.db, { stytchOrgId: O });
      const teamId = await seedTeam(s.db, { organizationId: orgId });
      const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: 'abc' });
      await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
      await seedTeamMembership(s.db, { userId: userId.toHexString(), teamId: teamId.toHexString() });
      const ctx = await login(s);
      expect(ctx.currentTeamId).toBe(teamId.toHexString());
      expect(s.logs.find('Invalid ObjectId format: abc', 'warn')).toHaveLength(1);
      expect(((await s.db.collection('users').findOne({ _id: userId }))?.current_team_id as ObjectId).equals(teamId)).toBe(true);
    });

    it('pointing to a deleted team: logged, replaced', async () => {
      const s = scenario();
      const orgId = await seedOrganization(s.db, { stytchOrgId: O });
      const teamId = await seedTeam(s.db, { organizationId: orgId });
      const gone = new ObjectId();
      const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: gone });
      await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
      await seedTeamMembership(s.db, { userId, teamId: gone });
      await seedTeamMembership(s.db, { userId, teamId });
      const ctx = await login(s);
      expect(ctx.currentTeamId).toBe(teamId.toHexString());
      expect(s.logs.find(`Team ${gone.toHexString()} not found in MongoDB`, 'warn')).toHaveLength(1);
    });

    it('absent: the first team of the org is chosen and written back', async () => {
      const s = scenario();
      const { teamId, userId } = await seedBasic(s, { currentTeamId: undefined });
      await s.db.collection('users').updateOne({ _id: userId }, { $unset: { current_team_id: '' } });
      const ctx = await login(s);
      expect(ctx.currentTeamId).toBe(teamId.toHexString());
      expect(((await s.db.collection('users').findOne({ _id: userId }))?.current_team_id as ObjectId).equals(teamId)).toBe(true);
    });
  });

  it('10. inactive team memberships are skipped when choosing the replacement', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const left = await seedTeam(s.db, { organizationId: orgId, name: 'Left' });
    const current = await seedTeam(s.db, { organizationId: orgId, name: 'Current' });
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: null });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
    await seedTeamMembership(s.db, { userId, teamId: left, status: 'inactive' });
    await seedTeamMembership(s.db, { userId, teamId: current });
    const ctx = await login(s);
    expect(ctx.currentTeamName).toBe('Current');
  });

  describe('11. organization fields', () => {
    it('missing fields give [] / null / {}', async () => {
      const s = scenario();
      await seedOrganization(s.db, { stytchOrgId: O, entitlements: undefined, subscriptionTier: undefined, subscriptionLimits: undefined });
      const ctx = await login(s);
      expect([ctx.entitlements, ctx.subscriptionTier, ctx.subscriptionLimits]).toEqual([[], null, {}]);
    });

    it('explicit nulls stay null (Python parity)', async () => {
      const s = scenario();
      await seedOrganization(s.db, { stytchOrgId: O, extra: { entitlements: null, subscription_limits: null, subscription_tier: null } });
      const ctx = await login(s);
      expect([ctx.entitlements, ctx.subscriptionTier, ctx.subscriptionLimits]).toEqual([null, null, null]);
    });

    it('bad values are dropped with a WARN, never a 500', async () => {
      const s = scenario();
      await seedOrganization(s.db, {
        stytchOrgId: O,
        extra: { entitlements: ['ok', 7, null], subscription_tier: 3, subscription_limits: { max_projects: null, max_users: 10, seats: '5', ratio: 0.5 } },
      });
      const ctx = await login(s);
      expect(ctx.entitlements).toEqual(['ok']);
      expect(ctx.subscriptionTier).toBeNull();
      expect(ctx.subscriptionLimits).toEqual({ max_users: 10, ratio: 0.5 });
      expect(s.logs.find('Invalid entitlements', 'warn')).toHaveLength(1);
      expect(s.logs.find('Invalid subscription_tier', 'warn')).toHaveLength(1);
      expect(s.logs.find('Invalid subscription_limits', 'warn')).toHaveLength(2);
    });
  });

  it('13. concurrent cold requests for one member share one directory lookup', async () => {
    const s = scenario();
    await seedBasic(s);
    s.resetCommands();
    const tokens = Array.from({ length: 200 }, () => tokenFor(M, O));
    const contexts = await Promise.all(tokens.map((t) => s.auth.authenticate(t)));
    expect(new Set(contexts.map((c) => c.mongoUserId)).size).toBe(1);
    const orgLookups = s.commands().filter((c) => c.name === 'aggregate' && c.collection === 'organizations');
    expect(orgLookups).toHaveLength(1);
  });

  it('a team switch shows on the next request (team fresh by default)', async () => {
    const s = scenario();
    const { orgId, userId } = await seedBasic(s);
    await login(s);
    const other = await seedTeam(s.db, { organizationId: orgId, name: 'Switched' });
    await s.db.collection('users').updateOne({ _id: userId }, { $set: { current_team_id: other } });
    const ctx = await login(s);
    expect(ctx.currentTeamName).toBe('Switched');
    // Warm: the directory is cached, the team read is the only database work.
    expect(s.commands().map((c) => c.collection)).toEqual(['users']);
  });

  it('caches the team too when asked, until invalidated', async () => {
    const s = scenario({ context: { cacheTeam: true, teamTtlSec: 3600 } });
    const { orgId, userId } = await seedBasic(s);
    await login(s);
    const other = await seedTeam(s.db, { organizationId: orgId, name: 'Switched' });
    await s.db.collection('users').updateOne({ _id: userId }, { $set: { current_team_id: other } });
    const cached = await login(s);
    expect(cached.currentTeamName).toBe('Team X');
    expect(s.commands()).toHaveLength(0);
    s.auth.invalidate({ memberId: M });
    expect((await login(s)).currentTeamName).toBe('Switched');
  });

  it('14. after invalidate, the next request sees the new plan', async () => {
    const s = scenario({ context: { directoryTtlSec: 3600 } });
    await seedBasic(s);
    expect((await login(s)).entitlements).toEqual(['foresight', 'byod']);
    await s.db.collection('organizations').updateOne({ stytch_org_id: O }, { $set: { entitlements: ['byod'] } });
    expect((await login(s)).entitlements).toEqual(['foresight', 'byod']);
    s.auth.invalidate({ stytchOrgId: O });
    expect((await login(s)).entitlements).toEqual(['byod']);
  });

  it('values from tokens reach filters only as plain strings', async () => {
    const s = scenario();
    await seedBasic(s);
    s.resetCommands();
    const error = await rejection(s.auth.authenticate(fixture.issuer.sessionJwt({ memberId: M, claims: { sub: { $gt: '' } } })));
    expect(error.code).toBe('token_invalid');
    expect(s.commands()).toHaveLength(0);
  });
});

describe('recommended indexes', () => {
  it('createRecommendedIndexes creates every index the queries need, idempotently', async () => {
    const s = scenario();
    const names = await createRecommendedIndexes(s.db);
    expect(names).toEqual(RECOMMENDED_INDEXES.map((i) => i.name));
    await createRecommendedIndexes(s.db);
    for (const index of RECOMMENDED_INDEXES) {
      const existing = await s.db.collection(index.collection).listIndexes().toArray();
      expect(existing.filter((e) => e.name === index.name)).toHaveLength(1);
      expect(existing.find((e) => e.name === index.name)?.key).toEqual(index.keys);
    }
  });
});

describe('12. MongoDB failing', () => {
  const closedPort = 'mongodb://127.0.0.1:9/ayz';

  it('fails closed with 503 context_unavailable by default', async () => {
    const s = scenario();
    const auth = createAuth({
      stytch: fixture.issuer.authOptions,
      mongo: { uri: closedPort, clientOptions: { serverSelectionTimeoutMS: 300 } },
      logger: s.logs.logger,
    });
    const token = tokenFor(M, O);
    const error = await rejection(auth.authenticate(token));
    expect(error.code).toBe('context_unavailable');
    expect(error.status).toBe(503);
    s.logs.expectNoSecrets(token);
    await auth.close();
  });

  it('with onUnavailable: degrade, answers the identity with null Mongo fields and a WARN', async () => {
    const s = scenario();
    const auth = createAuth({
      stytch: fixture.issuer.authOptions,
      mongo: { uri: closedPort, clientOptions: { serverSelectionTimeoutMS: 300 } },
      context: { onUnavailable: 'degrade' },
      logger: s.logs.logger,
    });
    const ctx = await auth.authenticate(tokenFor(M, O));
    expect(ctx).toMatchObject({ memberId: M, stytchOrgId: O, mongoUserId: null, orgId: null, currentTeamId: null, entitlements: null });
    expect(s.logs.find('Continuing without directory data', 'warn')).toHaveLength(1);
    await auth.close();
  });

  it('without a mongo option: identity only, no database at all', async () => {
    const auth = createAuth({ stytch: fixture.issuer.authOptions });
    const ctx = await auth.authenticate(tokenFor(M, O));
    expect([ctx.mongoUserId, ctx.orgId, ctx.entitlements, ctx.currentTeamId]).toEqual([null, null, null, null]);
  });
});
