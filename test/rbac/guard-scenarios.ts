/**
 * `requirePermission` and `requireFactors(types, { within })` over real HTTP, written once and
 * run on Express 4 and 5 and Fastify 4 and 5 (see ./guard-apps.ts for the routes). The core is
 * real, the policy and the sessions come from the testing kit's loopback Stytch server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth, type RbacPolicy } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { captureLogs } from '../support/log-capture.js';
import type { StartGuardApp } from './guard-apps.js';

export const DOCUMENTS_POLICY: RbacPolicy = {
  roles: [
    { role_id: 'stytch_member', description: 'every member', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    { role_id: 'editor', description: 'edits documents', permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] },
    { role_id: 'documents_admin', description: 'everything on documents', permissions: [{ resource_id: 'documents', actions: ['*'] }] },
  ],
  resources: [
    { resource_id: 'stytch.self', description: 'Stytch default', actions: [] },
    { resource_id: 'documents', description: 'documents', actions: ['read', 'write', 'delete'] },
  ],
  scopes: [],
};

const MINUTE_MS = 60_000;

export function describeGuardScenarios(start: StartGuardApp): void {
  let issuer: TestIssuer;
  const opened: { close(): Promise<unknown> | unknown }[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer({ rbacPolicy: DOCUMENTS_POLICY });
  });
  afterAll(async () => {
    for (const o of opened.reverse()) await o.close();
    await issuer?.close();
  });

  /** A new Auth (so a new, cold policy store) and an app on it. */
  async function appOn(auth: Auth = newAuth()) {
    const handled = new Map<string, number>();
    const app = await start({ auth, handled });
    opened.push(app);
    return { handled, get: (path: string, headers: Record<string, string> = {}) => httpRequest(`${app.url}${path}`, { headers }) };
  }
  function newAuth(): Auth {
    // Short back-off so a recovery is seen within the test's deadline.
    const auth = createAuth({ stytch: issuer.authOptions, logger: captureLogs().logger, rbac: { maxBackoffMs: 100 } });
    opened.push(auth);
    return auth;
  }
  const jwt = (roles: string[]) => bearer(issuer.sessionJwt({ roles: ['stytch_member', ...roles] }));
  const stepUpJwt = (factors: Record<string, number>) =>
    bearer(
      issuer.sessionJwt({
        authenticationFactors: Object.keys(factors),
        factorAuthenticatedAt: Object.fromEntries(Object.entries(factors).map(([type, agoMs]) => [type, new Date(Date.now() - agoMs)])),
      }),
    );

  function expectRefusal(res: HttpResponse, status: number, body: Record<string, unknown>): void {
    expect({ status: res.status, body: res.json }).toEqual({ status, body: { message: expect.any(String), ...body } });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
  }

  it('lets a granted permission through and refuses a missing one with the roles that would grant it', async () => {
    const { get, handled } = await appOn();
    expect((await get('/perm/read', jwt(['editor']))).status).toBe(200);
    const refused = await get('/perm/delete', jwt(['editor']));
    expectRefusal(refused, 403, {
      error: 'permission_missing',
      required_permission: { resource: 'documents', action: 'delete' },
      granting_roles: ['documents_admin'],
    });
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="ayz-auth", error="insufficient_scope"/);
    expect(handled.get('/perm/delete')).toBeUndefined();
    // The wildcard action grants delete; a member without a documents role is refused read.
    expect((await get('/perm/delete', jwt(['documents_admin']))).status).toBe(200);
    expectRefusal(await get('/perm/read', jwt([])), 403, {
      error: 'permission_missing',
      required_permission: { resource: 'documents', action: 'read' },
      granting_roles: ['editor', 'documents_admin'],
    });
    expect(handled).toEqual(new Map([['/perm/read', 1], ['/perm/delete', 1]]));
  });

  it('makes the first concurrent checks of a cold process wait for one policy fetch, then decides locally', async () => {
    const { get, handled } = await appOn();
    const before = issuer.requests.rbacPolicy;
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => get(i % 2 === 0 ? '/perm/read' : '/perm/delete', jwt(['editor'])).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? 200 : 403)));
    expect(issuer.requests.rbacPolicy - before).toBe(1);
    expect(handled.get('/perm/read')).toBe(6);
    // Warm: more checks, no more fetches.
    expect((await get('/perm/read', jwt(['editor']))).status).toBe(200);
    expect(issuer.requests.rbacPolicy - before).toBe(1);
  });

  it('answers 503 rbac_unavailable, never an allow, while there is no policy yet and Stytch is down; recovers after', async () => {
    issuer.setRbacPolicyMode('down');
    try {
      const { get, handled } = await appOn();
      for (const path of ['/perm/read', '/custom/perm']) {
        const res = await get(path, jwt(['documents_admin']));
        expectRefusal(res, 503, { error: 'rbac_unavailable' });
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      expect(handled.size).toBe(0);
      issuer.setRbacPolicyMode('ok');
      // The store backs off (at most 100 ms here) before its next fetch: poll with a deadline.
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) status = (await get('/perm/read', jwt(['documents_admin']))).status;
      expect(status).toBe(200);
      // The service's own synchronous check decides too, once the policy is in.
      expect((await get('/custom/perm', jwt(['editor']))).status).toBe(200);
    } finally {
      issuer.setRbacPolicyMode('ok');
    }
  });

  it('refuses an anonymous request of an optional route with 401, without fetching the policy', async () => {
    const { get, handled } = await appOn();
    const before = issuer.requests.rbacPolicy;
    expectRefusal(await get('/optional/perm'), 401, { error: 'token_missing' });
    expect(issuer.requests.rbacPolicy).toBe(before);
    expect(handled.size).toBe(0);
  });

  it('treats requirePermission on an Auth without the Stytch secret as a wiring error (500), not a refusal', async () => {
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logLevel: 'silent' });
    opened.push(auth);
    const { get, handled } = await appOn(auth);
    const res = await get('/perm/read', jwt(['editor']));
    expect({ status: res.status, body: res.json }).toEqual({ status: 500, body: { error: 'wiring' } });
    expect(handled.size).toBe(0);
  });

  it('step-up: passes a factor authenticated within the window, refuses a stale one with its age (403 factor_stale)', async () => {
    const { get, handled } = await appOn();
    expect((await get('/stepup', stepUpJwt({ magic_link: 0, totp: 5 * MINUTE_MS }))).status).toBe(200);

    const stale = await get('/stepup', stepUpJwt({ magic_link: 0, totp: 15 * MINUTE_MS }));
    expectRefusal(stale, 403, {
      error: 'factor_stale',
      required_factors: ['totp'],
      max_age_sec: 600,
      stale_factors: [{ type: 'totp', age_sec: expect.any(Number) }],
    });
    const age = (stale.json as { stale_factors: { age_sec: number }[] }).stale_factors[0]!.age_sec;
    // Minted 15 minutes back (Stytch's timestamps are whole seconds): the age is that, not the window.
    expect(age).toBeGreaterThanOrEqual(15 * 60 - 1);
    expect(age).toBeLessThan(16 * 60);
    // RFC 9470's challenge, so a step-up-aware client knows what to ask for.
    expect(stale.headers['www-authenticate']).toMatch(/error="insufficient_user_authentication"/);
    expect(stale.headers['www-authenticate']).toMatch(/, max_age="600"$/);

    // Never used in the session: the existing factor_missing.
    expectRefusal(await get('/stepup', stepUpJwt({ magic_link: 0 })), 403, {
      error: 'factor_missing',
      required_factors: ['totp'],
      missing_factors: ['totp'],
    });
    expect(handled.get('/stepup')).toBe(1);
  });

  it('step-up with two factors names only the stale one; a window in seconds works like one in minutes', async () => {
    const { get } = await appOn();
    expect((await get('/stepup/two', stepUpJwt({ magic_link: 9 * MINUTE_MS, totp: 0 }))).status).toBe(200);
    const res = await get('/stepup/two', stepUpJwt({ magic_link: 11 * MINUTE_MS, totp: 0 }));
    expect(res.status).toBe(403);
    expect(res.json.stale_factors).toEqual([{ type: 'magic_link', age_sec: expect.any(Number) }]);
  });

  it('step-up reads the same factor times from an opaque session token (sessions/authenticate)', async () => {
    const { get } = await appOn();
    const at = (agoMs: number) => new Date(Date.now() - agoMs);
    const fresh = issuer.registerSession({ authenticationFactors: ['magic_link', 'totp'], factorAuthenticatedAt: { totp: at(MINUTE_MS) } });
    const stale = issuer.registerSession({ authenticationFactors: ['magic_link', 'totp'], factorAuthenticatedAt: { totp: at(20 * MINUTE_MS) } });
    expect((await get('/stepup', bearer(fresh.sessionToken))).status).toBe(200);
    const res = await get('/stepup', bearer(stale.sessionToken));
    expect({ status: res.status, error: res.json.error, stale: res.json.stale_factors.map((f: { type: string }) => f.type) }).toEqual({
      status: 403,
      error: 'factor_stale',
      stale: ['totp'],
    });
  });
}
