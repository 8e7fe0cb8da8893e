import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { attribution, createAuth, scopeFilter, type Auth } from 'ayz-auth';
import { getAuth, requireRole, requireTeam, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, seedMember, type SeededMember, type TestIssuer } from 'ayz-auth/testing';

const ROLES = { hierarchy: ['admin', 'member', 'viewer'] };

// The service's code under test.
function projectsRouter(auth: Auth, db: Db) {
  const router = express.Router();
  router.use(verifyAuth(auth), requireTeam());
  router.get('/projects', requireRole('viewer', ROLES), async (req, res) => {
    const ctx = getAuth(req);
    const projects = await db.collection('projects').find(scopeFilter(ctx, {}, { by: 'org' })).toArray();
    res.json(projects.map((p) => p.name));
  });
  router.post('/projects', express.json(), requireRole('member', ROLES), async (req, res) => {
    const ctx = getAuth(req);
    const who = attribution(ctx, { ids: 'objectId' });
    await db.collection('projects').insertOne({
      name: String(req.body.name),
      organization_id: who.orgId,
      team_id: who.teamId,
      created_by: who.userId,
    });
    res.status(201).json({ ok: true });
  });
  return router;
}

// The test.
describe('projects routes', () => {
  let issuer: TestIssuer;
  let client: MongoClient;
  let db: Db;
  let auth: Auth;
  let server: Server;
  let url: string;
  let alice: SeededMember; // org A
  let bob: SeededMember; // org B

  beforeAll(async () => {
    issuer = await createTestIssuer(); // keys + JWKS on 127.0.0.1
    client = await MongoClient.connect(inject('mongoUri')); // from the globalSetup
    db = client.db(`example_${Date.now()}`);
    alice = await seedMember(db, { stytchOrgId: 'organization-test-a', stytchMemberId: 'member-test-alice' });
    bob = await seedMember(db, { stytchOrgId: 'organization-test-b', stytchMemberId: 'member-test-bob' });
    await db.collection('projects').insertMany([
      { name: 'A1', organization_id: alice.organizationId },
      { name: 'B1', organization_id: bob.organizationId },
    ]);

    auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: 'silent' });
    const app = express();
    app.use(projectsRouter(auth, db));
    server = createServer(app).listen(0, '127.0.0.1');
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

  const as = (member: SeededMember, roles: string[]) => ({
    authorization: `Bearer ${issuer.sessionJwt({ memberId: member.stytchMemberId, orgId: member.stytchOrgId, roles })}`,
  });

  it('lists the projects of the caller’s organization only', async () => {
    const res = await fetch(`${url}/projects`, { headers: as(alice, ['viewer']) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(['A1']);
    expect(await (await fetch(`${url}/projects`, { headers: as(bob, ['viewer']) })).json()).toEqual(['B1']);
  });

  it('lets a member create a project, attributed to them', async () => {
    const res = await fetch(`${url}/projects`, {
      method: 'POST',
      headers: { ...as(alice, ['member']), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'A2' }),
    });
    expect(res.status).toBe(201);
    expect(await db.collection('projects').findOne({ name: 'A2' })).toMatchObject({
      organization_id: alice.organizationId,
      team_id: alice.teamId,
      created_by: alice.userId,
    });
  });

  it('refuses a viewer (403 role_missing) and a caller without a token (401)', async () => {
    const viewer = await fetch(`${url}/projects`, {
      method: 'POST',
      headers: { ...as(alice, ['viewer']), 'content-type': 'application/json' },
      body: '{"name":"nope"}',
    });
    expect(viewer.status).toBe(403);
    expect(await viewer.json()).toMatchObject({ error: 'role_missing', required_roles: ['member'] });
    expect((await fetch(`${url}/projects`)).status).toBe(401);
    expect((await fetch(`${url}/projects`, { headers: { authorization: `Bearer ${issuer.expiredSessionJwt()}` } })).status).toBe(401);
  });
});
