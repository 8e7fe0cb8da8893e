import type { Db, ObjectId } from 'mongodb';
import { seedOrganization, seedOrgMembership, seedTeam, seedTeamMembership, seedUser } from 'ayz-auth/testing';

export interface DemoMember {
  label: string;
  memberId: string;
  stytchOrgId: string;
}

export const ACME = 'organization-test-demo-acme';
export const GLOBEX = 'organization-test-demo-globex';

/**
 * Three members showing what the library does: Alice (a normal user), Bob (no membership row:
 * found by the fallback) and Carol (her current team belongs to another org: corrected).
 */
export async function seedDemoData(db: Db): Promise<{ alice: DemoMember; bob: DemoMember; carol: DemoMember; teams: Record<string, ObjectId> }> {
  await db.dropDatabase();
  const acme = await seedOrganization(db, {
    stytchOrgId: ACME,
    name: 'Acme',
    entitlements: ['foresight', 'byod'],
    subscriptionTier: 'premium',
    subscriptionLimits: { max_projects: 50, max_users: 100 },
  });
  const globex = await seedOrganization(db, { stytchOrgId: GLOBEX, name: 'Globex', entitlements: ['byod'], subscriptionTier: 'standard' });
  const research = await seedTeam(db, { organizationId: acme, name: 'Research' });
  const ops = await seedTeam(db, { organizationId: globex, name: 'Ops' });

  const alice = await seedUser(db, { stytchMemberId: 'member-test-demo-alice', email: 'alice@acme.test', currentTeamId: research });
  await seedOrgMembership(db, { userId: alice, organizationId: acme, stytchMemberId: 'member-test-demo-alice' });
  await seedTeamMembership(db, { userId: alice, teamId: research });

  // Bob has no user_organization_memberships row: the fallback on users.stytch_member_id finds him.
  const bob = await seedUser(db, { stytchMemberId: 'member-test-demo-bob', email: 'bob@globex.test', currentTeamId: ops });
  await seedTeamMembership(db, { userId: bob, teamId: ops });

  // Carol works in Globex, but her current_team_id still names Acme's team.
  const carol = await seedUser(db, { stytchMemberId: 'member-test-demo-carol', email: 'carol@globex.test', currentTeamId: research });
  await seedOrgMembership(db, { userId: carol, organizationId: globex, stytchMemberId: 'member-test-demo-carol' });
  await seedTeamMembership(db, { userId: carol, teamId: research });
  await seedTeamMembership(db, { userId: carol, teamId: ops });

  return {
    alice: { label: 'a normal user (Acme, team Research)', memberId: 'member-test-demo-alice', stytchOrgId: ACME },
    bob: { label: 'a member found by the fallback (no membership row)', memberId: 'member-test-demo-bob', stytchOrgId: GLOBEX },
    carol: { label: 'a stale team corrected (Acme team → Globex team Ops)', memberId: 'member-test-demo-carol', stytchOrgId: GLOBEX },
    teams: { research, ops },
  };
}
