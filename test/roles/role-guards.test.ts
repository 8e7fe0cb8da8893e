import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest } from '../adapters/http-client.js';
import { contextOf } from '../tenancy/context-of.js';
import { GUARD_APP_KINDS, type RunningApp } from './guard-apps.js';

let issuer: TestIssuer;
let auth: Auth;
beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
});
afterAll(async () => {
  await auth.close();
  await issuer.close();
});

// Routes: viewer / member / admin / owner with the hierarchy owner > admin > member > viewer.
const LADDER = ['viewer', 'member', 'admin', 'owner'] as const;

describe.each(GUARD_APP_KINDS)('role guards over HTTP: $name', (kind) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await kind.start(auth, contextOf({ roles: ['owner'] }));
  });
  afterAll(() => app.close());

  const get = (path: string, roles?: string[]) =>
    httpRequest(`${app.url}${path}`, roles === undefined ? {} : { headers: bearer(issuer.sessionJwt({ roles })) });

  it.each(LADDER)('a %s reaches exactly the routes at or below its rank', async (held) => {
    for (const route of LADDER) {
      const res = await get(`/role/${route}`, ['stytch_member', held]);
      const allowed = LADDER.indexOf(held) >= LADDER.indexOf(route);
      expect(res.status, `${held} → /role/${route}`).toBe(allowed ? 200 : 403);
      if (!allowed) {
        expect(res.json).toEqual({
          error: 'role_missing',
          message: `This action requires the '${route}' role or a higher one`,
          required_roles: [route],
          current_roles: ['stytch_member', held],
        });
        expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
        expect(res.headers['cache-control']).toBe('no-store');
      }
    }
  });

  it('a session with Stytch’s default role only reaches nothing of the hierarchy', async () => {
    expect((await get('/role/viewer', ['stytch_member'])).status).toBe(403);
  });

  it('without a hierarchy the role must be held exactly', async () => {
    expect((await get('/role/exact-admin', ['owner'])).status).toBe(403);
    expect((await get('/role/exact-admin', ['admin'])).status).toBe(200);
  });

  it('requireAnyRole: one of the roles (or a higher one with a hierarchy)', async () => {
    expect((await get('/role/any', ['billing'])).status).toBe(200);
    expect((await get('/role/any', ['owner'])).status).toBe(200);
    const refused = await get('/role/any', ['member']);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'role_missing', required_roles: ['billing', 'admin'], current_roles: ['member'] });
    expect((await get('/role/any-flat', ['owner'])).status).toBe(403);
    expect((await get('/role/any-flat', ['admin'])).status).toBe(200);
  });

  it('401 before any role check: no token, bad token', async () => {
    expect((await get('/role/viewer')).status).toBe(401);
    const bad = await httpRequest(`${app.url}/role/viewer`, { headers: bearer(issuer.wrongKeySessionJwt({ roles: ['owner'] })) });
    expect(bad.status).toBe(401);
    expect(bad.json.error).toBe('token_invalid');
  });

  it('an anonymous request on an optional route is a 401 token_missing at the role guard', async () => {
    const res = await get('/optional/role');
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('token_missing');
    expect((await get('/optional/role', ['viewer'])).status).toBe(200);
  });

  it('a context put on the request by other code is never trusted', async () => {
    // Without verifyAuth: a wiring bug (500), never a pass on the forged owner role.
    const unverified = await get('/unverified/role');
    expect(unverified.status).toBe(500);
    expect(unverified.json.bug).toMatch(/requireRole must run after/);
    // verifyAuth replaces the forged context with the token's.
    expect((await get('/forged/role', ['viewer'])).status).toBe(403);
  });
});
