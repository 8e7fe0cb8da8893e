import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MongoClient, type Db, type ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createAuth, currentAuth, scopeFilter, type Auth } from 'ayz-auth';
import { requireTeam, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, seedMember, seedTeam, seedTeamMembership, type SeededMember, type TestIssuer } from 'ayz-auth/testing';

// The service's repository: it reads the caller from currentAuth(), no `req` passed down.
function boardsRepository(db: Db) {
  return {
    listForCurrentTeam: async () => {
      const boards = await db.collection('boards').find(scopeFilter(currentAuth(), {}, { by: 'team' })).toArray();
      return boards.map((b) => b.name);
    },
  };
}

// The service's routes: the team is the one the request names in X-Team-Id.
function boardsApp(auth: Auth, db: Db) {
  const boards = boardsRepository(db);
  const app = express();
  app.get('/boards', verifyAuth(auth, { currentAuth: true }), requireTeam(), async (_req, res) => {
    res.json({ team: currentAuth().currentTeamName, boards: await boards.listForCurrentTeam() });
  });
  return app;
}

// The test: one member in two teams of one organization, and a team of another organization.
describe('boards (team from the request, currentAuth)', () => {
  let issuer: TestIssuer;
  let client: MongoClient;
  let db: Db;
  let auth: Auth;
  let server: Server;
  let url: string;
  let alice: SeededMember; // org A, stored team Alpha, also a member of Beta
  let beta: ObjectId;
  let otherOrgTeam: ObjectId;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    client = await MongoClient.connect(inject('mongoUri'));
    db = client.db(`team_header_${Date.now()}`);
    alice = await seedMember(db, { stytchOrgId: 'organization-test-a', stytchMemberId: 'member-test-alice', teamName: 'Alpha' });
    beta = await seedTeam(db, { organizationId: alice.organizationId, name: 'Beta' });
    await seedTeamMembership(db, { userId: alice.userId, teamId: beta });
    otherOrgTeam = (await seedMember(db, { stytchOrgId: 'organization-test-b', teamName: 'Gamma' })).teamId;
    await db.collection('boards').insertMany([
      { name: 'Alpha roadmap', team_id: alice.teamId },
      { name: 'Beta sprint', team_id: beta },
    ]);

    auth = createAuth({
      stytch: issuer.authOptions,
      mongo: { db },
      context: { team: { from: 'header', header: 'X-Team-Id' } }, // 'header-or-stored' while clients migrate
      logLevel: 'silent',
    });
    server = createServer(boardsApp(auth, db)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await auth.close();
    await db.dropDatabase();
    await client.close();
    await issuer.close();
  });

  const asAlice = (team?: string) => ({
    authorization: `Bearer ${issuer.sessionJwt({ memberId: alice.stytchMemberId, orgId: alice.stytchOrgId })}`,
    ...(team === undefined ? {} : { 'x-team-id': team }),
  });

  it('works in the team each request names, and never changes the stored team', async () => {
    const [inBeta, inAlpha] = await Promise.all([
      fetch(`${url}/boards`, { headers: asAlice(beta.toHexString()) }), // two tabs, two teams, at once
      fetch(`${url}/boards`, { headers: asAlice(alice.teamId.toHexString()) }),
    ]);
    expect(await inBeta.json()).toEqual({ team: 'Beta', boards: ['Beta sprint'] });
    expect(await inAlpha.json()).toEqual({ team: 'Alpha', boards: ['Alpha roadmap'] });
    expect((await db.collection('users').findOne({ _id: alice.userId }))?.current_team_id).toEqual(alice.teamId);
  });

  it('refuses a team that is not the caller’s (403) and a malformed header (400); no header: no team (400)', async () => {
    const forbidden = await fetch(`${url}/boards`, { headers: asAlice(otherOrgTeam.toHexString()) });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ error: 'team_forbidden' });
    const malformed = await fetch(`${url}/boards`, { headers: asAlice('not-a-team-id') });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'team_header_invalid' });
    expect(await (await fetch(`${url}/boards`, { headers: asAlice() })).json()).toMatchObject({ error: 'team_required' });
  });
});
