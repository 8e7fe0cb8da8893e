import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, hasPermission, type Auth } from 'ayz-auth';
import { getAuth, requireFactors, requirePermission, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';

// The service's code under test: permissions from Stytch's RBAC policy, and a step-up route.
function documentsApp(auth: Auth) {
  const app = express();
  app.get('/documents/:id', verifyAuth(auth), requirePermission('documents', 'read'), (req, res) => {
    const ctx = getAuth(req);
    res.json({ id: req.params.id, canEdit: hasPermission(ctx, 'documents', 'write') });
  });
  app.delete('/documents/:id', verifyAuth(auth), requirePermission('documents', 'delete'), (_req, res) => {
    res.status(204).end();
  });
  // Payouts need a TOTP code entered in the last 10 minutes, not just once in the session.
  app.post('/payouts', verifyAuth(auth), requireFactors(['totp'], { within: '10m' }), (_req, res) => {
    res.status(201).json({ ok: true });
  });
  return app;
}

// The test: the issuer serves the RBAC policy (GET /v1/b2b/rbac/policy) beside its JWKS.
describe('documents and payouts (permissions, step-up)', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    issuer = await createTestIssuer({
      rbacPolicy: {
        roles: [
          { role_id: 'stytch_member', description: 'every member', permissions: [] },
          { role_id: 'editor', description: '', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
          { role_id: 'documents_admin', description: '', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
        ],
        resources: [{ resource_id: 'documents', description: '', actions: ['read', 'write', 'delete'] }],
        scopes: [],
      },
    });
    auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' }); // the secret reads the policy
    server = createServer(documentsApp(auth)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await auth.close();
    await issuer.close();
  });

  const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

  it('lets an editor read, and tells the page it may edit', async () => {
    const res = await fetch(`${url}/documents/d1`, { headers: bearer(issuer.sessionJwt({ roles: ['stytch_member', 'editor'] })) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'd1', canEdit: true });
  });

  it('refuses a delete with 403 permission_missing, naming the roles that would grant it', async () => {
    const res = await fetch(`${url}/documents/d1`, { method: 'DELETE', headers: bearer(issuer.sessionJwt({ roles: ['stytch_member', 'editor'] })) });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      error: 'permission_missing',
      required_permission: { resource: 'documents', action: 'delete' },
      granting_roles: ['documents_admin'],
    });
    const admin = bearer(issuer.sessionJwt({ roles: ['stytch_member', 'documents_admin'] }));
    expect((await fetch(`${url}/documents/d1`, { method: 'DELETE', headers: admin })).status).toBe(204);
  });

  it('asks for a fresh TOTP (403 factor_stale) when the last one is older than 10 minutes', async () => {
    const totpAt = (minutesAgo: number) =>
      bearer(issuer.sessionJwt({ authenticationFactors: ['magic_link', 'totp'], factorAuthenticatedAt: { totp: new Date(Date.now() - minutesAgo * 60_000) } }));
    const stale = await fetch(`${url}/payouts`, { method: 'POST', headers: totpAt(15) });
    expect(stale.status).toBe(403);
    expect(stale.headers.get('www-authenticate')).toContain('error="insufficient_user_authentication"');
    expect(stale.headers.get('www-authenticate')).toContain('max_age="600"');
    expect(await stale.json()).toMatchObject({ error: 'factor_stale', max_age_sec: 600, stale_factors: [{ type: 'totp' }] });
    expect((await fetch(`${url}/payouts`, { method: 'POST', headers: totpAt(2) })).status).toBe(201);
  });
});
