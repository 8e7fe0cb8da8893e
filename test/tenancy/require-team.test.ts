import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, seedMember, seedOrganization, seedOrgMembership, seedUser, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest } from '../adapters/http-client.js';
import { GUARD_APP_KINDS, type RunningApp } from '../roles/guard-apps.js';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { contextOf } from './context-of.js';

let issuer: TestIssuer;
let t: TestDb;
let auth: Auth;
let withTeam: { memberId: string; organizationId: string; teamId: string };
let withoutTeam: { memberId: string; organizationId: string };

beforeAll(async () => {
  issuer = await createTestIssuer();
  t = await connectTestDb('tenancy_team');
  auth = createAuth({ stytch: issuer.authOptions, mongo: { db: t.db }, logLevel: 'silent' });
  const seeded = await seedMember(t.db, { stytchOrgId: 'organization-test-team-a', stytchMemberId: 'member-test-with-team' });
  withTeam = { memberId: seeded.stytchMemberId, organizationId: seeded.stytchOrgId, teamId: seeded.teamId.toHexString() };
  // A member of the same organization who belongs to no team.
  const userId = await seedUser(t.db, { stytchMemberId: 'member-test-no-team' });
  await seedOrgMembership(t.db, { userId, organizationId: seeded.organizationId, stytchMemberId: 'member-test-no-team' });
  withoutTeam = { memberId: 'member-test-no-team', organizationId: seeded.stytchOrgId };
  await seedOrganization(t.db, { stytchOrgId: 'organization-test-unused' });
});
afterAll(async () => {
  await auth.close();
  await t.close();
  await issuer.close();
});

describe.each(GUARD_APP_KINDS)('requireTeam over HTTP: $name', (kind) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await kind.start(auth, contextOf());
  });
  afterAll(() => app.close());

  it('lets a member with a current team through', async () => {
    const res = await httpRequest(`${app.url}/team`, { headers: bearer(issuer.sessionJwt(withTeam)) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ teamId: withTeam.teamId });
  });

  it('answers 400 team_required for a member without a team', async () => {
    const res = await httpRequest(`${app.url}/team`, { headers: bearer(issuer.sessionJwt(withoutTeam)) });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: 'team_required', message: 'No team selected. Please select a team in your organization.' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers 400 for a member the directory does not know (no team can be proven)', async () => {
    const res = await httpRequest(`${app.url}/team`, {
      headers: bearer(issuer.sessionJwt({ memberId: 'member-test-stranger', orgId: 'organization-test-unused' })),
    });
    expect(res.status).toBe(400);
  });

  it('401 for an anonymous request on an optional route; 500 when wired without verifyAuth', async () => {
    const anonymous = await httpRequest(`${app.url}/optional/team`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error).toBe('token_missing');
    const unverified = await httpRequest(`${app.url}/unverified/team`);
    expect(unverified.status).toBe(500);
    expect(unverified.json.bug).toMatch(/requireTeam must run after/);
  });
});
