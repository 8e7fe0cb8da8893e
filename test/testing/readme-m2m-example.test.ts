import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, forAnyCaller, roleError, scopeError, type Auth } from 'ayz-auth';
import ayzAuth, { getCaller, toHook } from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';

// The service's code under test: reports for members of an organization and for other services.
async function buildApp(auth: Auth): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(ayzAuth, { auth });
  const membersOrMachines = app.verifyAuthWith({ accept: ['session', 'm2m'] });

  // Machines only, with a scope.
  app.get('/internal/reports', { preHandler: [app.verifyAuthWith({ accept: ['m2m'] }), app.requireScopes(['read:reports'])] }, async (request) => {
    const caller = getCaller(request);
    return { client: caller.clientId, scopes: caller.scopes };
  });
  // Members and machines on one route: `kind` says which.
  app.get('/reports', { preHandler: membersOrMachines }, async (request) => {
    const caller = getCaller(request);
    return caller.kind === 'm2m' ? { for: caller.clientId } : { for: caller.memberId, org: caller.stytchOrgId };
  });
  // A member guard refuses a machine (403 member_required), even on a route that accepts both.
  app.delete('/reports/:id', { preHandler: [membersOrMachines, app.requireAnyRole(['admin'])] }, async () => ({ deleted: true }));
  // A rule of your own for both kinds: forAnyCaller lets it see machines.
  const writers = forAnyCaller((ctx) => (ctx.kind === 'm2m' ? scopeError(ctx, ['write:reports']) : roleError(ctx, ['admin'])));
  app.post('/reports', { preHandler: [membersOrMachines, toHook(writers, 'writers')] }, async () => ({ created: true }));
  return app;
}

// The test: the issuer mints M2M access tokens with the same keys as session JWTs.
describe('reports (M2M tokens)', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  let app: FastifyInstance;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    app = await buildApp(auth);
  });

  afterAll(async () => {
    await app.close();
    await auth.close();
    await issuer.close();
  });

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const machine = (scopes: string[]) => bearer(issuer.m2mToken({ clientId: 'm2m-client-test-billing', scopes }));
  const member = () => bearer(issuer.sessionJwt({ memberId: 'member-test-alice', orgId: 'organization-test-a', roles: ['admin'] }));

  it('serves a machine holding the scope, refuses one without it (403 scope_missing) and a member (401)', async () => {
    const ok = await app.inject({ method: 'GET', url: '/internal/reports', headers: machine(['read:reports', 'write:invoices']) });
    expect(ok.json()).toEqual({ client: 'm2m-client-test-billing', scopes: ['read:reports', 'write:invoices'] });
    const noScope = await app.inject({ method: 'GET', url: '/internal/reports', headers: machine(['write:invoices']) });
    expect(noScope.statusCode).toBe(403);
    expect(noScope.json()).toMatchObject({ error: 'scope_missing', required_scopes: ['read:reports'] });
    expect((await app.inject({ method: 'GET', url: '/internal/reports', headers: member() })).statusCode).toBe(401);
  });

  it('tells members and machines apart on a route that accepts both', async () => {
    expect((await app.inject({ method: 'GET', url: '/reports', headers: machine([]) })).json()).toEqual({ for: 'm2m-client-test-billing' });
    expect((await app.inject({ method: 'GET', url: '/reports', headers: member() })).json()).toEqual({ for: 'member-test-alice', org: 'organization-test-a' });
  });

  it('keeps member guards for members: a machine gets 403 member_required', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/reports/r1', headers: machine(['read:reports']) });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'member_required' });
    expect((await app.inject({ method: 'DELETE', url: '/reports/r1', headers: member() })).json()).toEqual({ deleted: true });
  });

  it('lets a rule made with forAnyCaller decide for machines (scopes) and members (roles)', async () => {
    expect((await app.inject({ method: 'POST', url: '/reports', headers: machine(['write:reports']) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/reports', headers: machine(['read:reports']) })).json()).toMatchObject({ error: 'scope_missing' });
    expect((await app.inject({ method: 'POST', url: '/reports', headers: member() })).statusCode).toBe(200);
  });
});
