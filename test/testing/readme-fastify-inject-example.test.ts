import Fastify, { type FastifyInstance } from 'fastify';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createAuth, scopeFilter, type Auth } from 'ayz-auth';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import { createTestIssuer, seedMember, type SeededMember, type TestIssuer } from 'ayz-auth/testing';

// The service's code under test: the boards of the caller's current team.
async function boardsRoutes(app: FastifyInstance, { db }: { db: Db }) {
  app.get('/boards', { preHandler: [app.verifyAuth, app.requireTeam()] }, async (request) => {
    const ctx = getAuth(request);
    const boards = await db.collection('boards').find(scopeFilter(ctx, {}, { by: 'team' })).toArray();
    return { team: ctx.currentTeamName, boards: boards.map((b) => b.name) };
  });
}

async function buildApp(auth: Auth, db: Db): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(ayzAuth, { auth });
  await app.register(boardsRoutes, { db });
  return app;
}

// The test: no port, no HTTP client; app.inject runs the whole request lifecycle.
describe('boards routes (Fastify inject)', () => {
  let issuer: TestIssuer;
  let client: MongoClient;
  let db: Db;
  let auth: Auth;
  let app: FastifyInstance;
  let alice: SeededMember; // org A, team Alpha
  let amir: SeededMember; // org A, team Beta
  let nadia: SeededMember; // org A, no team

  beforeAll(async () => {
    issuer = await createTestIssuer();
    client = await MongoClient.connect(inject('mongoUri'));
    db = client.db(`boards_${Date.now()}`);
    alice = await seedMember(db, { stytchOrgId: 'organization-test-a', stytchMemberId: 'member-test-alice', teamName: 'Alpha' });
    amir = await seedMember(db, { stytchOrgId: 'organization-test-a', stytchMemberId: 'member-test-amir', teamName: 'Beta' });
    nadia = await seedMember(db, {
      stytchOrgId: 'organization-test-a',
      stytchMemberId: 'member-test-nadia',
      currentTeam: false,
      teamMembershipStatus: 'inactive',
    });
    await db.collection('boards').insertMany([
      { name: 'Alpha sprint', team_id: alice.teamId },
      { name: 'Beta sprint', team_id: amir.teamId },
    ]);

    auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: 'silent' });
    app = await buildApp(auth, db);
  });

  afterAll(async () => {
    await app.close();
    await auth.close();
    await db.dropDatabase();
    await client.close();
    await issuer.close();
  });

  const as = (member: SeededMember) => ({
    authorization: `Bearer ${issuer.sessionJwt({ memberId: member.stytchMemberId, orgId: member.stytchOrgId })}`,
  });

  it('lists the boards of the caller’s team only', async () => {
    const res = await app.inject({ method: 'GET', url: '/boards', headers: as(alice) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ team: 'Alpha', boards: ['Alpha sprint'] });
    expect((await app.inject({ method: 'GET', url: '/boards', headers: as(amir) })).json()).toEqual({ team: 'Beta', boards: ['Beta sprint'] });
  });

  it('refuses a caller without a team (400) and one without a token (401)', async () => {
    const noTeam = await app.inject({ method: 'GET', url: '/boards', headers: as(nadia) });
    expect(noTeam.statusCode).toBe(400);
    expect(noTeam.json()).toMatchObject({ error: 'team_required' });

    const anonymous = await app.inject({ method: 'GET', url: '/boards' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="ayz-auth"');
  });
});
