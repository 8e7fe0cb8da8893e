/**
 * The route outcomes every adapter must produce, written once and run against Express 4,
 * Express 5, Fastify 4 and Fastify 5. Each framework's test file builds an app with the routes
 * of `AdapterApp` (same paths, same middleware order) on the real core and a real HTTP port;
 * these scenarios only speak HTTP to it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthContext } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from './http-client.js';

/** A context another middleware forged onto the request: it must never be trusted. */
export const FORGED_CONTEXT = Object.freeze({
  memberId: 'member-forged',
  stytchOrgId: 'organization-forged',
  entitlements: ['reports', 'exports'],
  authenticationFactors: ['totp'],
  customClaims: { tenant: 'forged' },
  roles: ['stytch_admin'],
}) as unknown as AuthContext;

export interface AppDeps {
  /** The Auth every route uses. */
  auth: Auth;
  /** Counts the route handlers that ran, by path. */
  handled: Map<string, number>;
}

/**
 * Routes each framework's app must serve (all GET, all handlers count themselves in `handled`
 * and answer JSON):
 * - `/me`: verifyAuth → `{ auth: req.auth, memberId: getAuth(req).memberId, log: <authLog bindings> }`
 * - `/optional`: verifyAuthOptional → `{ auth }`
 * - `/optional/get-auth`: verifyAuthOptional → `{ thrown: <getAuth's error message> | null }`
 * - `/ent/one` `/ent/any` `/ent/all`: verifyAuth + requireEntitlement('reports') /
 *   requireAnyEntitlement(['reports','exports']) / requireAllEntitlements(['reports','exports']) → `{ ok: true }`
 * - `/optional/ent`: verifyAuthOptional + requireEntitlement('reports') → `{ ok: true }`
 * - `/factors`: verifyAuth + requireFactors(['totp']); `/claims`: verifyAuth + requireClaims(['tenant'])
 * - `/forged/ent`: a middleware sets `auth = FORGED_CONTEXT`, then verifyAuth + requireEntitlement('reports')
 * - `/forged/me`: forges, then verifyAuth → `{ auth }`
 * - `/forged/unverified`: forges, then requireEntitlement('reports') without verifyAuth (a wiring bug)
 * - `/unverified/get-auth`: no verifyAuth → `{ thrown, isAuthError }` from calling getAuth
 * - `/expose`: a middleware sets `Access-Control-Expose-Headers: X-Request-Id`, then verifyAuth
 * A second app, on an Auth whose issuer's JWKS endpoint is down (cold key cache), serves the
 * 503 scenarios through its `/me` and `/optional`.
 */
export type StartApp = (deps: AppDeps) => Promise<{ url: string; close(): Promise<void> }>;

const BEARER_REALM = 'Bearer realm="ayz-auth"';

function expectAuthError(res: HttpResponse, status: number, code: string): void {
  expect({ status: res.status, error: res.json?.error }).toEqual({ status, error: code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(typeof res.json.message).toBe('string');
  expect(res.json.message.length).toBeGreaterThan(0);
  expect(res.headers['cache-control']).toBe('no-store');
  if (status === 401 || status === 403) {
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="ayz-auth"/);
  }
  expect(res.headers.location).toBeUndefined();
}

export interface ScenarioKit {
  issuer: () => TestIssuer;
  url: () => string;
  downIssuer: () => TestIssuer;
  downHandled: () => Map<string, number>;
  logs: () => CapturedLog;
  handled: () => Map<string, number>;
  get(path: string, headers?: Record<string, string | string[]>): Promise<HttpResponse>;
  /** A request to the app whose Auth cannot fetch its keys. */
  getDown(path: string, headers?: Record<string, string | string[]>): Promise<HttpResponse>;
}

/** Starts an issuer, the real core (identity-only: no MongoDB) and the app; closes all after. */
export function useAdapterApp(start: StartApp): ScenarioKit {
  let issuer: TestIssuer;
  let downIssuer: TestIssuer;
  let auth: Auth;
  let downAuth: Auth;
  let app: { url: string; close(): Promise<void> };
  let downApp: { url: string; close(): Promise<void> };
  let logs: CapturedLog;
  const handled = new Map<string, number>();
  const downHandled = new Map<string, number>();

  beforeAll(async () => {
    issuer = await createTestIssuer();
    downIssuer = await createTestIssuer();
    downIssuer.setJwksMode('down');
    logs = captureLogs();
    auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
    downAuth = createAuth({ stytch: downIssuer.authOptions, logger: logs.logger });
    app = await start({ auth, handled });
    downApp = await start({ auth: downAuth, handled: downHandled });
  });

  afterAll(async () => {
    await app?.close();
    await downApp?.close();
    await auth?.close();
    await downAuth?.close();
    await issuer?.close();
    await downIssuer?.close();
  });

  return {
    issuer: () => issuer,
    url: () => app.url,
    logs: () => logs,
    handled: () => handled,
    downIssuer: () => downIssuer,
    downHandled: () => downHandled,
    get: (path, headers) => httpRequest(`${app.url}${path}`, headers === undefined ? {} : { headers }),
    getDown: (path, headers) => httpRequest(`${downApp.url}${path}`, headers === undefined ? {} : { headers }),
  };
}

/** The identity-only scenarios (no MongoDB): every route outcome but granted entitlements. */
export function describeAdapterScenarios(start: StartApp): void {
  const kit = useAdapterApp(start);
  const { get, getDown } = kit;
  const runs = (path: string) => kit.handled().get(path) ?? 0;

  describe('verifyAuth', () => {
    it('answers 200 with the verified context, and getAuth returns it', async () => {
      const jwt = kit.issuer().sessionJwt({
        memberId: 'member-test-alice',
        organizationId: 'organization-test-acme',
        roles: ['stytch_member', 'admin'],
        customClaims: { tenant: 'acme' },
      });
      const res = await get('/me', bearer(jwt));
      expect(res.status).toBe(200);
      expect(res.json.memberId).toBe('member-test-alice');
      expect(res.json.auth).toMatchObject({
        memberId: 'member-test-alice',
        stytchOrgId: 'organization-test-acme',
        roles: ['stytch_member', 'admin'],
        customClaims: { tenant: 'acme' },
        // identity-only mode: no MongoDB
        mongoUserId: null,
        orgId: null,
        currentTeamId: null,
        entitlements: null,
      });
      expect(typeof res.json.auth.authenticatedAt).toBe('string');
      expect(res.headers['stytch-session-jwt']).toBeUndefined();
    });

    it('binds the per-request logger to the ids of the context, never the token', async () => {
      const jwt = kit.issuer().sessionJwt({ memberId: 'member-test-logged', organizationId: 'organization-test-logs' });
      const res = await get('/me', bearer(jwt));
      expect(res.status).toBe(200);
      expect(res.json.log).toMatchObject({
        memberId: 'member-test-logged',
        stytchOrgId: 'organization-test-logs',
        userId: null,
        orgId: null,
        teamId: null,
      });
      expect(JSON.stringify(res.json.log)).not.toContain(jwt.slice(-24));
      kit.logs().expectNoSecrets(jwt);
    });

    const cases: [string, () => Record<string, string | string[]> | undefined, string, string | null][] = [
      ['no Authorization header', () => undefined, 'token_missing', null],
      ['another scheme', () => ({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' }), 'scheme_invalid', 'invalid_request'],
      ['an empty bearer token', () => ({ authorization: 'Bearer ' }), 'token_empty', 'invalid_request'],
      ['two tokens in one header', () => ({ authorization: `Bearer ${kit.issuer().sessionJwt()} ${kit.issuer().sessionJwt()}` }), 'token_multiple', 'invalid_request'],
      [
        'two Authorization headers',
        () => ({ authorization: [`Bearer ${kit.issuer().sessionJwt()}`, `Bearer ${kit.issuer().sessionJwt()}`] }),
        'token_multiple',
        'invalid_request',
      ],
      ['a malformed token', () => bearer('not-a-token'), 'token_malformed', 'invalid_token'],
      ['a token signed by another key', () => bearer(kit.issuer().wrongKeySessionJwt()), 'token_invalid', 'invalid_token'],
      ['an expired token of an unknown session', () => bearer(kit.issuer().expiredSessionJwt()), 'token_expired', 'invalid_token'],
    ];

    it.each(cases)('answers 401 for %s, and the handler does not run', async (_label, headers, code, bearerError) => {
      const before = runs('/me');
      const res = await get('/me', headers());
      expectAuthError(res, 401, code);
      expect(Object.keys(res.json).sort()).toEqual(['error', 'message']);
      if (bearerError === null) expect(res.headers['www-authenticate']).toBe(BEARER_REALM);
      else expect(res.headers['www-authenticate']).toContain(`error="${bearerError}"`);
      expect(runs('/me')).toBe(before);
    });

    it('answers 401, never a 5xx, to odd Authorization values', async () => {
      const garbageJwt = `${'a'.repeat(30)}.${'b'.repeat(30)}.${'c'.repeat(30)}`;
      const values = [
        'Bearer',
        'Bearer\ttoo-short',
        `Bearer ${garbageJwt}`,
        `Bearer ${'x'.repeat(9000)}`,
        `Bearer ${kit.issuer().sessionJwt({ header: { alg: 'none' } })}`,
        `Bearer ${kit.issuer().sessionJwt({ header: { alg: 'HS256' } })}`,
        `Bearer ${kit.issuer().sessionJwt({ audience: 'project-test-someone-else' })}`,
        `Bearer ${kit.issuer().notYetValidSessionJwt()}`,
        'Bearer sess_tok_unknownunknownunknownunknownunknownunknownab',
        'Bearer "quoted-token-value-xxxxxxxxxxxxx"',
        'Token abc, Bearer def',
      ];
      for (const authorization of values) {
        const res = await get('/me', { authorization });
        expect(res.status, authorization.slice(0, 40)).toBe(401);
        expect(res.json.error).toMatch(/^[a-z_]+$/);
      }
    });

    it('sees every Authorization header even when the first one is valid', async () => {
      const jwt = kit.issuer().sessionJwt();
      const res = await get('/me', { authorization: [`Bearer ${jwt}`, 'Basic dXNlcjpwYXNzd29yZA=='] });
      expectAuthError(res, 401, 'token_multiple');
    });

    it('answers 503 jwks_unavailable with Retry-After when the keys cannot be fetched (cold cache)', async () => {
      const res = await getDown('/me', bearer(kit.downIssuer().sessionJwt()));
      expectAuthError(res, 503, 'jwks_unavailable');
      expect(res.headers['retry-after']).toBe('5');
      expect(kit.downHandled().get('/me')).toBeUndefined();
    });

    it('hands back a renewed JWT for an expired JWT of a live session', async () => {
      const session = kit.issuer().registerSession({ memberId: 'member-test-renewed' });
      const expired = kit.issuer().expiredSessionJwt({ sessionId: session.sessionId });
      const res = await get('/me', bearer(expired));
      expect(res.status).toBe(200);
      expect(res.json.auth.memberId).toBe('member-test-renewed');
      const renewed = res.headers['stytch-session-jwt'];
      expect(renewed).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(renewed).not.toBe(expired);
      expect(res.headers['access-control-expose-headers']).toBe('Stytch-Session-Jwt');
      // A response carrying a session credential is never stored by a cache on the way.
      expect(res.headers['cache-control']).toBe('no-store');
      // The renewed JWT is itself accepted.
      const again = await get('/me', bearer(renewed as string));
      expect(again.status).toBe(200);
      expect(again.json.auth.memberId).toBe('member-test-renewed');
      kit.logs().expectNoSecrets(expired, renewed as string);
    });

    it('adds the renewed JWT header to an existing Access-Control-Expose-Headers', async () => {
      const session = kit.issuer().registerSession();
      const res = await get('/expose', bearer(kit.issuer().expiredSessionJwt({ sessionId: session.sessionId })));
      expect(res.status).toBe(200);
      expect(res.headers['stytch-session-jwt']).toBeTypeOf('string');
      expect(res.headers['access-control-expose-headers']).toBe('X-Request-Id, Stytch-Session-Jwt');
    });
  });

  describe('verifyAuthOptional', () => {
    it('lets a request without a token through as anonymous (auth null)', async () => {
      const res = await get('/optional');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ auth: null });
    });

    it('sets the context when a valid token is sent', async () => {
      const res = await get('/optional', bearer(kit.issuer().sessionJwt({ memberId: 'member-test-opt' })));
      expect(res.status).toBe(200);
      expect(res.json.auth.memberId).toBe('member-test-opt');
    });

    it.each([
      ['a malformed token', 'token_malformed', () => bearer('not-a-token')],
      ['another scheme', 'scheme_invalid', () => ({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' })],
      ['an expired token', 'token_expired', () => bearer(kit.issuer().expiredSessionJwt())],
      ['a forged signature', 'token_invalid', () => bearer(kit.issuer().wrongKeySessionJwt())],
    ])('answers 401 for %s: a bad token is never anonymous', async (_label, code, headers) => {
      const before = runs('/optional');
      const res = await get('/optional', headers());
      expectAuthError(res, 401, code);
      expect(runs('/optional')).toBe(before);
    });

    it('answers 503 when the keys are unavailable: an outage is never anonymous', async () => {
      const res = await getDown('/optional', bearer(kit.downIssuer().sessionJwt()));
      expectAuthError(res, 503, 'jwks_unavailable');
      expect(kit.downHandled().get('/optional')).toBeUndefined();
    });

    it('still lets an anonymous request through while the keys are down (nothing to verify)', async () => {
      const res = await getDown('/optional');
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ auth: null });
    });

    it('getAuth throws on an anonymous request', async () => {
      const res = await get('/optional/get-auth');
      expect(res.status).toBe(200);
      expect(res.json.thrown).toMatch(/anonymous/);
    });

    it('a guard after optional auth answers 401 token_missing to an anonymous request', async () => {
      const res = await get('/optional/ent');
      expectAuthError(res, 401, 'token_missing');
      expect(runs('/optional/ent')).toBe(0);
    });
  });

  describe('a context set by someone else', () => {
    it('is not trusted by requireEntitlement (no MongoDB here: the wiring error, never a grant)', async () => {
      const res = await get('/forged/ent', bearer(kit.issuer().sessionJwt()));
      expect(res.status).toBe(500);
      expect(runs('/forged/ent')).toBe(0);
    });

    it('is replaced by the verified context', async () => {
      const res = await get('/forged/me', bearer(kit.issuer().sessionJwt({ memberId: 'member-test-real' })));
      expect(res.status).toBe(200);
      expect(res.json.auth.memberId).toBe('member-test-real');
      expect(res.json.auth.entitlements).toBeNull();
    });

    it('is not reused when the token is missing', async () => {
      const before = runs('/forged/me');
      const res = await get('/forged/me');
      expectAuthError(res, 401, 'token_missing');
      expect(runs('/forged/me')).toBe(before);
    });

    it('never satisfies a guard that runs without verifyAuth (a wiring bug: 500, handler not run)', async () => {
      const res = await get('/forged/unverified', bearer(kit.issuer().sessionJwt()));
      expect(res.status).toBe(500);
      expect(runs('/forged/unverified')).toBe(0);
    });

    it('getAuth throws a plain Error when verifyAuth did not run', async () => {
      const res = await get('/unverified/get-auth', bearer(kit.issuer().sessionJwt()));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ thrown: expect.stringMatching(/did not authenticate/), isAuthError: false });
    });
  });

  describe('entitlements without MongoDB (identity only)', () => {
    // Without a directory nobody's plan is known: a wiring error of the service (500 through the
    // framework's error handler), never a 403 telling a paying customer to upgrade.
    it.each(['/ent/one', '/ent/any', '/ent/all'])('%s answers the wiring error (500), never 403 upgrade_required', async (path) => {
      const res = await get(path, bearer(kit.issuer().sessionJwt()));
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('upgrade_required');
      expect(runs(path)).toBe(0);
      // Said once per Auth, however many requests and guards meet it.
      expect(kit.logs().find('needs MongoDB', 'error')).toHaveLength(1);
    });

    it('a guard still answers 401 first when the token is bad', async () => {
      const res = await get('/ent/one', bearer(kit.issuer().wrongKeySessionJwt()));
      expectAuthError(res, 401, 'token_invalid');
    });
  });

  describe('requireFactors / requireClaims', () => {
    it('passes a session that used every required factor', async () => {
      const res = await get('/factors', bearer(kit.issuer().sessionJwt({ authenticationFactors: ['magic_link', 'totp'] })));
      expect(res.status).toBe(200);
    });

    it('answers 403 factor_missing without the step-up factor', async () => {
      const res = await get('/factors', bearer(kit.issuer().sessionJwt({ authenticationFactors: ['magic_link'] })));
      expectAuthError(res, 403, 'factor_missing');
      expect(res.json).toMatchObject({ required_factors: ['totp'], missing_factors: ['totp'] });
      expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    });

    it('passes a session that carries every required claim', async () => {
      const res = await get('/claims', bearer(kit.issuer().sessionJwt({ customClaims: { tenant: 'acme' } })));
      expect(res.status).toBe(200);
    });

    it('answers 403 claim_missing without the claim', async () => {
      const res = await get('/claims', bearer(kit.issuer().sessionJwt({ customClaims: { other: 1 } })));
      expectAuthError(res, 403, 'claim_missing');
      expect(res.json).toMatchObject({ required_claims: ['tenant'], missing_claims: ['tenant'] });
    });
  });

  it('never logs a token', () => {
    kit.logs().expectNoSecrets(kit.issuer().secret);
  });
}
