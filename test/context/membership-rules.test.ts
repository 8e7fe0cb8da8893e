/**
 * Memberships as the context reads them (the organization lookup and the membership-or-fallback user lookup):
 * an explicitly non-active organization membership is a removal (no fallback), and a current
 * team is checked against the user's active team memberships (WARN; stale with
 * `context.requireTeamMembership`). Real driver, test MongoDB, issuer tokens through
 * `createAuth` + `auth.authenticate`.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  seedOrganization,
  seedOrgMembership,
  seedTeam,
  seedTeamMembership,
  seedUser,
} from 'ayz-auth/testing';
import { useContextFixture, type Scenario } from './context-fixture.js';

const fixture = useContextFixture();
const scenario = fixture.scenario;

const M = 'member-test-rules';
const O = 'organization-test-rules';
const O2 = 'organization-test-rules-2';

async function login(s: Scenario, memberId = M, organizationId = O) {
  s.resetCommands();
  const token = fixture.issuer.sessionJwt({ memberId, organizationId });
  const ctx = await s.auth.authenticate(token);
  s.logs.expectNoSecrets(token);
  return ctx;
}

const reads = (s: Scenario) => s.commands().filter((c) => c.name !== 'update');
const writes = (s: Scenario) => s.commands().filter((c) => c.name === 'update');

describe('an explicitly non-active organization membership is a removal', () => {
  const removalLine = (status: string) => `Membership of stytch_member_id=${M} in org=${O} is ${status}; no user (membership inactive)`;

  it('no user, no fallback, a WARN with the ids and the status, one round trip', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    // The legacy users.stytch_member_id would resolve this member: the removal must win.
    const userId = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M, status: 'removed' });

    const ctx = await login(s);
    expect(ctx).toMatchObject({ memberId: M, stytchOrgId: O, orgId: orgId.toHexString(), mongoUserId: null, currentTeamId: null, currentTeamName: null });
    const warn = s.logs.find(removalLine('removed'), 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O, orgId: orgId.toHexString(), membershipStatus: 'removed' });
    expect(s.logs.find('Falling back')).toHaveLength(0);
    expect(s.logs.find('Found user via fallback')).toHaveLength(0);
    // No user: no team round trip.
    expect(s.commands().map((c) => c.name)).toEqual(['aggregate']);
  });

  it('a row without status counts as non-active: removal, logged as without status', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const userId = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M, status: undefined });

    const ctx = await login(s);
    expect(ctx.mongoUserId).toBeNull();
    const warn = s.logs.find(removalLine('without status'), 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O, orgId: orgId.toHexString(), membershipStatus: null });
    expect(s.logs.find('Falling back')).toHaveLength(0);
  });

  it('an active row and a non-active row for the same member and org: the active one wins', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const userId = await seedUser(s.db, { stytchMemberId: 'member-test-other-legacy' });
    // The non-active row is the older one, so it sorts first by _id.
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M, status: 'inactive' });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });

    const ctx = await login(s);
    expect(ctx.mongoUserId).toBe(userId.toHexString());
    expect(s.logs.find('membership inactive')).toHaveLength(0);
    expect(s.logs.find('Falling back')).toHaveLength(0);
    expect(reads(s).length).toBeLessThanOrEqual(2);
  });

  it('an active row whose user is gone still falls back (with its WARN), even beside a non-active row', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const direct = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId: direct, organizationId: orgId, stytchMemberId: M, status: 'suspended' });
    await seedOrgMembership(s.db, { userId: new ObjectId(), organizationId: orgId, stytchMemberId: M });

    const ctx = await login(s);
    expect(ctx.mongoUserId).toBe(direct.toHexString());
    const warn = s.logs.find(`No org membership found for stytch_member_id=${M}, org=${O}. Falling back to direct user lookup.`, 'warn');
    expect(warn).toHaveLength(1);
    expect(s.logs.find('membership inactive')).toHaveLength(0);
  });

  it('a non-active row in another organization does not remove the member from this one', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const otherOrg = await seedOrganization(s.db, { stytchOrgId: O2 });
    const direct = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId: direct, organizationId: otherOrg, stytchMemberId: M, status: 'removed' });

    const ctx = await login(s);
    expect(ctx.orgId).toBe(orgId.toHexString());
    expect(ctx.mongoUserId).toBe(direct.toHexString());
    expect(s.logs.find('Falling back to direct user lookup', 'warn')).toHaveLength(1);
    expect(s.logs.find('membership inactive')).toHaveLength(0);
  });

  it('with provisioning on, the removed member is neither resolved nor re-provisioned', async () => {
    const s = scenario({ provisioning: { enabled: true, checkIndexes: false } });
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const userId = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M, status: 'removed' });

    const ctx = await login(s);
    expect(ctx.mongoUserId).toBeNull();
    expect(s.logs.find(removalLine('removed'), 'warn')).toHaveLength(1);
    // Provisioning ran, and refused to resurrect the membership.
    expect(s.logs.find(`Provisioning skipped: the membership of stytch_member_id=${M} in org ${O} is not active`, 'warn')).toHaveLength(1);
    expect(await s.db.collection('users').countDocuments()).toBe(1);
    expect(await s.db.collection('user_organization_memberships').countDocuments({ status: 'active' })).toBe(0);
  });

  it('matches the non-active row with ids stored as hex strings', async () => {
    const s = scenario();
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const userId = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId: userId.toHexString(), organizationId: orgId.toHexString(), stytchMemberId: M, status: 'deactivated' });

    const ctx = await login(s);
    expect(ctx.mongoUserId).toBeNull();
    expect(s.logs.find(removalLine('deactivated'), 'warn')).toHaveLength(1);
  });
});

describe('the current team is checked against the user’s active team memberships', () => {
  /** Org O, user of M (active membership), current team T in O; `teamStatus` of the user's membership of T. */
  async function seedRemovedFromTeam(s: Scenario, teamStatus: string | null, others: { name: string }[] = []) {
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const teamId = await seedTeam(s.db, { organizationId: orgId, name: 'Left team' });
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: teamId });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
    if (teamStatus !== null) await seedTeamMembership(s.db, { userId, teamId, status: teamStatus });
    const otherIds: ObjectId[] = [];
    for (const other of others) {
      const id = await seedTeam(s.db, { organizationId: orgId, name: other.name });
      await seedTeamMembership(s.db, { userId, teamId: id });
      otherIds.push(id);
    }
    return { orgId, teamId, userId, otherIds };
  }

  const noMembershipLine = (teamHex: string) => `No active team membership of user ${M} for current team ${teamHex} in org ${O}`;

  it('by default (Python parity) the team is kept, with a WARN naming the ids', async () => {
    const s = scenario();
    const { orgId, teamId, userId } = await seedRemovedFromTeam(s, 'removed', [{ name: 'Other' }]);
    const ctx = await login(s);
    expect([ctx.currentTeamId, ctx.currentTeamName]).toEqual([teamId.toHexString(), 'Left team']);
    const warn = s.logs.find(`${noMembershipLine(teamId.toHexString())}; kept (requireTeamMembership is off)`, 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O, userId: userId.toHexString(), orgId: orgId.toHexString(), teamId: teamId.toHexString() });
    expect(reads(s)).toHaveLength(2);
    expect(writes(s)).toHaveLength(0);
  });

  it('with requireTeamMembership the team is stale: replaced by the first active team, written back, in 2 round trips', async () => {
    const s = scenario({ context: { requireTeamMembership: true } });
    const { teamId, userId, otherIds } = await seedRemovedFromTeam(s, 'removed', [{ name: 'First' }, { name: 'Second' }]);
    const first = otherIds[0]!;
    const ctx = await login(s);
    expect([ctx.currentTeamId, ctx.currentTeamName]).toEqual([first.toHexString(), 'First']);
    const warn = s.logs.find(`${noMembershipLine(teamId.toHexString())}; treated as stale (requireTeamMembership)`, 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O, userId: userId.toHexString(), teamId: teamId.toHexString() });
    expect(s.logs.find(`Found valid team ${first.toHexString()} for user ${M} in org ${O}`, 'info')).toHaveLength(1);
    expect(reads(s)).toHaveLength(2);
    expect(writes(s)).toHaveLength(1);
    const stored = await s.db.collection('users').findOne({ _id: userId });
    expect((stored?.current_team_id as ObjectId).equals(first)).toBe(true);

    // The corrected team is valid on the next request: no WARN, no write.
    s.logs.clear();
    const again = await login(s);
    expect(again.currentTeamId).toBe(first.toHexString());
    expect(s.logs.find('No active team membership')).toHaveLength(0);
    expect(writes(s)).toHaveLength(0);
  });

  it('with requireTeamMembership and no other team: null, "No teams found", nothing written', async () => {
    const s = scenario({ context: { requireTeamMembership: true } });
    const { teamId, userId } = await seedRemovedFromTeam(s, null);
    const ctx = await login(s);
    expect([ctx.currentTeamId, ctx.currentTeamName]).toEqual([null, null]);
    expect(s.logs.find(noMembershipLine(teamId.toHexString()), 'warn')).toHaveLength(1);
    expect(s.logs.find(`No teams found for user ${M} in org ${O}`, 'warn')).toHaveLength(1);
    expect(writes(s)).toHaveLength(0);
    expect(((await s.db.collection('users').findOne({ _id: userId }))?.current_team_id as ObjectId).equals(teamId)).toBe(true);
  });

  it('with requireTeamMembership and write-back off, the team is replaced in the context only', async () => {
    const s = scenario({ context: { requireTeamMembership: true, writeBackTeam: false } });
    const { teamId, userId, otherIds } = await seedRemovedFromTeam(s, 'inactive', [{ name: 'Only' }]);
    const ctx = await login(s);
    expect(ctx.currentTeamId).toBe(otherIds[0]!.toHexString());
    expect(writes(s)).toHaveLength(0);
    expect(((await s.db.collection('users').findOne({ _id: userId }))?.current_team_id as ObjectId).equals(teamId)).toBe(true);
  });

  it('an active membership of the current team, stored with hex-string ids (upper case too), is found: kept, no WARN', async () => {
    const s = scenario({ context: { requireTeamMembership: true } });
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const teamId = await seedTeam(s.db, { organizationId: orgId, name: 'Hex team' });
    const userId = await seedUser(s.db, { stytchMemberId: M, currentTeamId: teamId.toHexString() });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
    await seedTeamMembership(s.db, { userId: userId.toHexString(), teamId: teamId.toHexString().toUpperCase() });
    const ctx = await login(s);
    expect([ctx.currentTeamId, ctx.currentTeamName]).toEqual([teamId.toHexString(), 'Hex team']);
    expect(s.logs.find('No active team membership')).toHaveLength(0);
    expect(writes(s)).toHaveLength(0);
  });

  it('the membership check of the current team is not defeated by the 500-membership cap of the candidates', async () => {
    const s = scenario({ context: { requireTeamMembership: true } });
    const orgId = await seedOrganization(s.db, { stytchOrgId: O });
    const userId = await seedUser(s.db, { stytchMemberId: M });
    await seedOrgMembership(s.db, { userId, organizationId: orgId, stytchMemberId: M });
    // 500 older active memberships (of teams elsewhere) fill the candidate list before the current team's.
    const elsewhere = await seedOrganization(s.db, { stytchOrgId: O2 });
    const older = Array.from({ length: 500 }, () => ({ _id: new ObjectId(), organization: elsewhere, name: 'Elsewhere' }));
    await s.db.collection('teams').insertMany(older);
    await s.db.collection('user_team_memberships').insertMany(older.map((t) => ({ _id: new ObjectId(), user_id: userId, team_id: t._id, status: 'active' })));
    const teamId = await seedTeam(s.db, { organizationId: orgId, name: 'Newest' });
    await seedTeamMembership(s.db, { userId, teamId });
    await s.db.collection('users').updateOne({ _id: userId }, { $set: { current_team_id: teamId } });

    const ctx = await login(s);
    expect([ctx.currentTeamId, ctx.currentTeamName]).toEqual([teamId.toHexString(), 'Newest']);
    expect(s.logs.find('No active team membership')).toHaveLength(0);
    expect(reads(s)).toHaveLength(2);
  });
});
