import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COLLECTIONS,
  seedMember,
  seedOrganization,
  seedOrgMembership,
  seedTeam,
  seedTeamMembership,
  seedUser,
} from 'ayz-auth/testing';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

let t: TestDb;
beforeAll(async () => {
  t = await connectTestDb('kit_seed');
});
afterAll(() => t.close());

describe('seed helpers: the collections of behaviour.md, with the ids they created', () => {
  it('use the exact collection names', () => {
    expect(COLLECTIONS).toEqual({
      organizations: 'organizations',
      users: 'users',
      orgMemberships: 'user_organization_memberships',
      teams: 'teams',
      teamMemberships: 'user_team_memberships',
    });
  });

  it('each helper returns the ObjectId of the document it wrote, with the data model’s field names', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: 'organization-test-seed', entitlements: ['x'] });
    const userId = await seedUser(t.db, { stytchMemberId: 'member-test-seed' });
    const membershipId = await seedOrgMembership(t.db, { userId, organizationId: orgId, stytchMemberId: 'member-test-seed' });
    const teamId = await seedTeam(t.db, { organizationId: orgId, name: 'Seeds' });
    const teamMembershipId = await seedTeamMembership(t.db, { userId, teamId });
    for (const id of [orgId, userId, membershipId, teamId, teamMembershipId]) expect(id).toBeInstanceOf(ObjectId);

    expect(await t.db.collection('organizations').findOne({ _id: orgId })).toMatchObject({
      stytch_org_id: 'organization-test-seed',
      entitlements: ['x'],
      subscription_tier: 'free',
      subscription_limits: {},
    });
    expect(await t.db.collection('users').findOne({ _id: userId })).toMatchObject({ stytch_member_id: 'member-test-seed' });
    expect(await t.db.collection('user_organization_memberships').findOne({ _id: membershipId })).toMatchObject({
      stytch_member_id: 'member-test-seed',
      organization_id: orgId,
      user_id: userId,
      status: 'active',
    });
    expect(await t.db.collection('teams').findOne({ _id: teamId })).toMatchObject({ organization: orgId, name: 'Seeds' });
    expect(await t.db.collection('user_team_memberships').findOne({ _id: teamMembershipId })).toMatchObject({
      user_id: userId,
      team_id: teamId,
      status: 'active',
    });
  });

  it('seedMember returns every id of the member it built, and reuses an existing organization', async () => {
    const first = await seedMember(t.db, { stytchOrgId: 'organization-test-shared' });
    const second = await seedMember(t.db, { stytchOrgId: 'organization-test-shared' });
    expect(first.organizationCreated).toBe(true);
    expect(second.organizationCreated).toBe(false);
    expect(second.organizationId).toEqual(first.organizationId);
    expect(await t.db.collection('users').findOne({ _id: first.userId })).toMatchObject({ current_team_id: first.teamId });
  });
});
