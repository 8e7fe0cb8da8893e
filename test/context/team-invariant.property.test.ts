import fc from 'fast-check';
import { ObjectId, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useContextFixture } from './context-fixture.js';

const ORGS = ['organization-test-p0', 'organization-test-p1', 'organization-test-p2'] as const;
const M = 'member-test-prop';

const idForm = fc.constantFrom('oid' as const, 'hex' as const);
const world = fc.record({
  teams: fc.array(fc.record({ org: fc.integer({ min: -1, max: 2 }), orgForm: idForm }), { minLength: 0, maxLength: 6 }),
  current: fc.oneof(
    fc.constant({ kind: 'absent' as const }),
    fc.constant({ kind: 'null' as const }),
    fc.constant({ kind: 'malformed' as const }),
    fc.constant({ kind: 'dangling' as const }),
    fc.record({ kind: fc.constant('team' as const), index: fc.nat(5), form: idForm }),
  ),
  teamMemberships: fc.array(fc.record({ index: fc.integer({ min: -1, max: 5 }), active: fc.boolean(), form: idForm }), { maxLength: 6 }),
  orgMemberships: fc.tuple(...ORGS.map(() => fc.constantFrom('none', 'active', 'inactive', 'no-status'))),
  legacyMemberId: fc.boolean(),
  authOrg: fc.integer({ min: 0, max: 2 }),
  requireTeamMembership: fc.boolean(),
});

describe('invariant over random multi-org data', () => {
  const fixture = useContextFixture();
  const scenario = fixture.scenario;

  it('currentTeamId is null or a team whose organization is orgId; the user is never another org’s', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const s = scenario({ context: { directoryTtlSec: 0, requireTeamMembership: w.requireTeamMembership } });
        const orgIds = ORGS.map(() => new ObjectId());
        await s.db.collection('organizations').insertMany(ORGS.map((o, i) => ({ _id: orgIds[i], stytch_org_id: o })));
        const teamIds = w.teams.map(() => new ObjectId());
        const teams: Document[] = w.teams.map((t, i) => {
          const org = t.org === -1 ? undefined : orgIds[t.org];
          return { _id: teamIds[i], name: `T${i}`, ...(org ? { organization: t.orgForm === 'hex' ? org.toHexString() : org } : {}) };
        });
        if (teams.length) await s.db.collection('teams').insertMany(teams);

        const userId = new ObjectId();
        const cur = w.current;
        const currentTeam =
          cur.kind === 'team' && teamIds[cur.index] ? (cur.form === 'hex' ? teamIds[cur.index]!.toHexString() : teamIds[cur.index]) : undefined;
        const user: Document = { _id: userId, stytch_member_id: w.legacyMemberId ? M : 'member-test-someone-else' };
        if (cur.kind === 'null') user.current_team_id = null;
        if (cur.kind === 'malformed') user.current_team_id = 'zz-not-an-id';
        if (cur.kind === 'dangling') user.current_team_id = new ObjectId();
        if (currentTeam !== undefined) user.current_team_id = currentTeam;
        await s.db.collection('users').insertOne(user);

        const memberships = w.teamMemberships.map((m) => {
          const team = m.index >= 0 ? teamIds[m.index] : undefined;
          const teamId = team ?? new ObjectId();
          return { user_id: userId, team_id: m.form === 'hex' ? teamId.toHexString() : teamId, status: m.active ? 'active' : 'inactive' };
        });
        if (memberships.length) await s.db.collection('user_team_memberships').insertMany(memberships);
        const orgRows = w.orgMemberships
          .map((status, i) => ({ status, i }))
          .filter((m) => m.status !== 'none')
          .map((m) => ({ stytch_member_id: M, organization_id: orgIds[m.i], user_id: userId, ...(m.status === 'no-status' ? {} : { status: m.status }) }));
        if (orgRows.length) await s.db.collection('user_organization_memberships').insertMany(orgRows);

        const ctx = await s.auth.authenticate(fixture.issuer.sessionJwt({ memberId: M, organizationId: ORGS[w.authOrg] }));
        const orgHex = orgIds[w.authOrg]!.toHexString();
        expect(ctx.orgId).toBe(orgHex);

        // A non-active row (or one without status) is a removal: never resolved through the fallback.
        const orgMembership = w.orgMemberships[w.authOrg];
        const resolvable = orgMembership === 'active' || (orgMembership === 'none' && w.legacyMemberId);
        expect(ctx.mongoUserId).toBe(resolvable ? userId.toHexString() : null);
        const removed = orgMembership === 'inactive' || orgMembership === 'no-status';
        expect(s.logs.find('no user (membership inactive)', 'warn')).toHaveLength(removed ? 1 : 0);
        if (removed) expect(s.logs.find('Falling back')).toHaveLength(0);

        if (ctx.currentTeamId !== null) {
          const team = teams.find((t) => (t._id as ObjectId).toHexString() === ctx.currentTeamId);
          expect(team).toBeDefined();
          expect(String(team?.organization instanceof ObjectId ? team.organization.toHexString() : team?.organization)).toBe(orgHex);
        }
        const activeMemberOf = (teamHex: string) =>
          w.teamMemberships.some((m) => m.active && m.index >= 0 && teamIds[m.index]?.toHexString() === teamHex);
        // With requireTeamMembership, the team is also one the user is an active member of.
        if (w.requireTeamMembership && ctx.currentTeamId !== null) expect(activeMemberOf(ctx.currentTeamId)).toBe(true);
        // A current team that belongs to this org is kept (with the option: if the user is a member of it).
        const currentIndex = cur.kind === 'team' ? cur.index : -1;
        const currentInOrg = resolvable && currentIndex >= 0 && currentIndex < w.teams.length && w.teams[currentIndex]!.org === w.authOrg;
        const currentIsMember = currentInOrg && activeMemberOf(teamIds[currentIndex]!.toHexString());
        const currentValid = currentInOrg && (currentIsMember || !w.requireTeamMembership);
        if (currentValid) expect(ctx.currentTeamId).toBe(teamIds[currentIndex]!.toHexString());
        // A current team of the org without an active membership is always reported.
        expect(s.logs.find('No active team membership', 'warn')).toHaveLength(currentInOrg && !currentIsMember ? 1 : 0);
        // A replacement is only ever the team of an active membership.
        if (ctx.currentTeamId !== null && !currentValid) {
          expect(w.teamMemberships.some((m) => m.active && m.index >= 0 && teamIds[m.index]?.toHexString() === ctx.currentTeamId)).toBe(true);
        }
        expect(s.commands().filter((c) => c.name === 'aggregate').length).toBeLessThanOrEqual(2);
      }),
      { numRuns: 60 },
    );
  });
});
