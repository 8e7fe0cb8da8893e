import type { Db, ObjectId } from 'mongodb';
import { seedOrganization, seedOrgMembership, seedTeam, seedTeamMembership, seedUser } from 'ayz-auth/testing';

export interface DemoMember {
  label: string;
  memberId: string;
  stytchOrgId: string;
}

/** A document of the service's own `projects` collection, tagged with its tenant like the shared data model. */
export interface Project {
  name: string;
  organization_id: ObjectId;
  team_id: ObjectId;
}

export const ACME = 'organization-test-demo-acme';
export const GLOBEX = 'organization-test-demo-globex';

export interface DemoData {
  alice: DemoMember;
  bob: DemoMember;
  carol: DemoMember;
  dave: DemoMember;
  teams: { research: ObjectId; design: ObjectId; ops: ObjectId };
  /** Project names by team, as `GET /team/projects` should list them (sorted). */
  projectsByTeam: { research: string[]; design: string[]; ops: string[] };
}

/**
 * Four members showing what the library does: Alice (a normal user), Bob (no membership row:
 * found by the fallback), Carol (her current team belongs to another org: corrected) and Dave
 * (no team at all: `requireTeam()` refuses him). Projects of three teams in two organizations
 * show that a team-scoped query returns only the caller's team's documents.
 */
export async function seedDemoData(db: Db): Promise<DemoData> {
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
  const design = await seedTeam(db, { organizationId: acme, name: 'Design' });
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

  // Dave belongs to Acme but to none of its teams.
  const dave = await seedUser(db, { stytchMemberId: 'member-test-demo-dave', email: 'dave@acme.test' });
  await seedOrgMembership(db, { userId: dave, organizationId: acme, stytchMemberId: 'member-test-demo-dave' });

  const projectsByTeam = {
    research: ['Lab notebook', 'Roadmap 2025'],
    design: ['Design system'],
    ops: ['Runbook'],
  };
  const projects: Project[] = [
    ...projectsByTeam.research.map((name) => ({ name, organization_id: acme, team_id: research })),
    ...projectsByTeam.design.map((name) => ({ name, organization_id: acme, team_id: design })),
    ...projectsByTeam.ops.map((name) => ({ name, organization_id: globex, team_id: ops })),
  ];
  await db.collection<Project>('projects').insertMany(projects);

  return {
    alice: { label: 'a normal user (Acme, team Research)', memberId: 'member-test-demo-alice', stytchOrgId: ACME },
    bob: { label: 'a member found by the fallback (no membership row)', memberId: 'member-test-demo-bob', stytchOrgId: GLOBEX },
    carol: { label: 'a stale team corrected (Acme team → Globex team Ops)', memberId: 'member-test-demo-carol', stytchOrgId: GLOBEX },
    dave: { label: 'a member of no team (Acme)', memberId: 'member-test-demo-dave', stytchOrgId: ACME },
    teams: { research, design, ops },
    projectsByTeam,
  };
}
