import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { rejection } from '../support/errors.js';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('session JWT verification against a JWKS served over HTTP', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  let logs: CapturedLog;
  const tokens: string[] = [];
  const mint = (t: string) => (tokens.push(t), t);

  beforeAll(async () => {
    issuer = await createTestIssuer();
    logs = captureLogs();
    // No secret: nothing here may ever reach sessions/authenticate.
    auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: logs.logger });
  });
  afterAll(async () => {
    await auth.close();
    await issuer.close();
  });
  afterEach(() => logs.expectNoSecrets(...tokens, issuer.secret));

  it('accepts a valid token and maps its claims to the identity', async () => {
    const token = mint(
      issuer.sessionJwt({
        memberId: 'member-test-abc',
        organizationId: 'organization-test-xyz',
        organizationSlug: 'acme',
        roles: ['stytch_member', 'admin'],
        authenticationFactors: ['magic_link', 'totp'],
        customClaims: { plan: 'gold', __proto__: { polluted: true } as unknown as string },
        sessionId: 'member-session-test-1',
      }),
    );
    const ctx = await auth.authenticate(token);
    expect(ctx).toMatchObject({
      memberId: 'member-test-abc',
      stytchOrgId: 'organization-test-xyz',
      orgSlug: 'acme',
      sessionId: 'member-session-test-1',
      roles: ['stytch_member', 'admin'],
      authenticationFactors: ['magic_link', 'totp'],
      customClaims: { plan: 'gold' },
      memberEmail: null,
      memberName: null,
      mongoUserId: null,
      orgId: null,
      currentTeamId: null,
      currentTeamName: null,
      entitlements: null,
      subscriptionTier: null,
      subscriptionLimits: null,
    });
    expect(ctx.authenticationFactorTimes.map((f) => [f.type, f.deliveryMethod, f.lastAuthenticatedAt?.getTime()])).toEqual([
      ['magic_link', 'email', ctx.sessionStartedAt?.getTime()],
      ['totp', 'authenticator_app', ctx.sessionStartedAt?.getTime()],
    ]);
    expect(ctx.sessionExpiresAt).toBeInstanceOf(Date);
    expect(ctx.authenticatedAt).toBeInstanceOf(Date);
    expect(Object.isFrozen(ctx)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(ctx).sort()).toEqual(
      [
        'memberId', 'sessionId', 'stytchOrgId', 'orgSlug', 'memberEmail', 'memberName', 'roles', 'authenticationFactors',
        'authenticationFactorTimes', 'sessionStartedAt', 'sessionExpiresAt', 'sessionLastAccessedAt', 'customClaims', 'authenticatedAt', 'mongoUserId',
        'orgId', 'currentTeamId', 'currentTeamName', 'entitlements', 'subscriptionTier', 'subscriptionLimits',
        // The member side of the AuthContext union (issue 17): tagged, no machine fields.
        'kind', 'clientId', 'scopes',
      ].sort(),
    );
    expect(ctx).toMatchObject({ kind: 'member', clientId: null, scopes: [] });
  });

  it('accepts the base URL as issuer (custom domains)', async () => {
    const ctx = await auth.authenticate(mint(issuer.sessionJwt({ issuer: issuer.baseUrl, memberId: 'member-test-cd' })));
    expect(ctx.memberId).toBe('member-test-cd');
  });

  it('accepts aud as a string and as an array containing the project', async () => {
    await expect(auth.authenticate(mint(issuer.sessionJwt({ audience: issuer.projectId })))).resolves.toBeTruthy();
    await expect(auth.authenticate(mint(issuer.sessionJwt({ audience: ['other', issuer.projectId] })))).resolves.toBeTruthy();
  });

  it.each([
    ['expired', (i: TestIssuer) => i.expiredSessionJwt(), 'token_expired'],
    ['not yet valid', (i: TestIssuer) => i.notYetValidSessionJwt(), 'token_not_yet_valid'],
    ['wrong iss', (i: TestIssuer) => i.sessionJwt({ issuer: 'stytch.com/project-test-someone-else' }), 'token_invalid'],
    ['wrong aud', (i: TestIssuer) => i.sessionJwt({ audience: 'project-test-someone-else' }), 'token_invalid'],
    ['wrong typ', (i: TestIssuer) => i.sessionJwt({ header: { typ: 'at+jwt' } }), 'token_invalid'],
    ['no typ', (i: TestIssuer) => i.sessionJwt({ header: { typ: undefined } }), 'token_invalid'],
    ['alg none', (i: TestIssuer) => i.sessionJwt({ header: { alg: 'none' } }), 'token_invalid'],
    ['HS256 keyed with the public key', (i: TestIssuer) => i.sessionJwt({ header: { alg: 'HS256' } }), 'token_invalid'],
    ['RS384', (i: TestIssuer) => i.sessionJwt({ header: { alg: 'RS384' } }), 'token_invalid'],
    ['wrong signing key', (i: TestIssuer) => i.wrongKeySessionJwt(), 'token_invalid'],
    ['sub missing', (i: TestIssuer) => i.sessionJwt({ claims: { sub: undefined } }), 'token_invalid'],
    ['sub an object', (i: TestIssuer) => i.sessionJwt({ claims: { sub: { $ne: null } } }), 'token_invalid'],
    ['sub starting with $', (i: TestIssuer) => i.sessionJwt({ memberId: '$where' }), 'token_invalid'],
    ['organization id an array', (i: TestIssuer) => i.sessionJwt({ claims: { 'https://stytch.com/organization': { organization_id: ['a'] } } }), 'token_invalid'],
    ['organization claim missing', (i: TestIssuer) => i.sessionJwt({ claims: { 'https://stytch.com/organization': undefined } }), 'token_invalid'],
    ['exp missing', (i: TestIssuer) => i.sessionJwt({ claims: { exp: undefined } }), 'token_invalid'],
  ])('refuses a token that is %s (%s)', async (_name, make, code) => {
    const error = await rejection(auth.authenticate(mint(make(issuer))));
    expect(error.code).toBe(code);
    expect(error.status).toBe(401);
    expect(error.headers['WWW-Authenticate']).toMatch(/^Bearer realm="ayz-auth", error="invalid_token"/);
  });

  it('refuses a hand-made HS256 token signed with the JWKS public key material', async () => {
    const [jwk] = issuer.jwks();
    const header = b64url({ alg: 'HS256', typ: 'JWT', kid: jwk?.kid });
    const now = Math.floor(Date.now() / 1000);
    const payload = b64url({
      sub: 'member-test-forged', aud: [issuer.projectId], iss: `stytch.com/${issuer.projectId}`, iat: now, nbf: now, exp: now + 300,
      'https://stytch.com/organization': { organization_id: 'organization-test-forged', slug: 'f' },
    });
    const signature = createHmac('sha256', JSON.stringify(jwk)).update(`${header}.${payload}`).digest('base64url');
    const error = await rejection(auth.authenticate(mint(`${header}.${payload}.${signature}`)));
    expect(error.code).toBe('token_invalid');
  });

  it.each([
    ['garbage', 'not-a-token-at-all-but-long-enough'],
    ['truncated', () => issuer.sessionJwt().slice(0, 120)],
    ['three garbage segments', 'aaaaaaaaaa.bbbbbbbbbb.cccccccccc'],
  ])('refuses %s tokens without a remote call', async (_name, value) => {
    const token = mint(typeof value === 'function' ? value() : value);
    const error = await rejection(auth.authenticateRequest({ authorization: `Bearer ${token}` }));
    expect(['token_invalid', 'token_unsupported', 'token_malformed']).toContain(error.code);
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('refuses an oversized token (≥ 16 KB) before any work', async () => {
    const big = `${issuer.sessionJwt()}${'A'.repeat(16_384)}`;
    const error = await rejection(auth.authenticateRequest({ authorization: `Bearer ${big}` }));
    expect(error.code).toBe('token_malformed');
  });

  it('checks exp and nbf with the configured leeway, to the second', async () => {
    const strict = createAuth({ stytch: issuer.authOptions, jwt: { clockToleranceSec: 30 }, logger: logs.logger });
    const now = Math.floor(Date.now() / 1000);
    // 20 s past exp is inside a 30 s leeway; 60 s past is not.
    await expect(strict.authenticate(mint(issuer.sessionJwt({ issuedAt: now - 100, expiresAt: now - 20 })))).resolves.toBeTruthy();
    expect((await rejection(strict.authenticate(mint(issuer.sessionJwt({ issuedAt: now - 100, expiresAt: now - 60 }))))).code).toBe('token_expired');
    await expect(strict.authenticate(mint(issuer.sessionJwt({ notBefore: now + 20 })))).resolves.toBeTruthy();
    expect((await rejection(strict.authenticate(mint(issuer.sessionJwt({ notBefore: now + 60 }))))).code).toBe('token_not_yet_valid');
    await strict.close();
  });

  it('enforces an optional max token age', async () => {
    const young = createAuth({ stytch: issuer.authOptions, jwt: { maxTokenAgeSec: 60 }, logger: logs.logger });
    const now = Math.floor(Date.now() / 1000);
    await expect(young.authenticate(mint(issuer.sessionJwt({ issuedAt: now - 10 })))).resolves.toBeTruthy();
    expect((await rejection(young.authenticate(mint(issuer.sessionJwt({ issuedAt: now - 120, expiresAt: now + 200 }))))).code).toBe('token_too_old');
    await young.close();
  });

  it('serves a repeated token from the verified-token cache', async () => {
    const token = mint(issuer.sessionJwt());
    const first = await auth.authenticate(token);
    const second = await auth.authenticate(token);
    expect(second.memberId).toBe(first.memberId);
    expect(second.authenticatedAt.getTime()).toBeGreaterThanOrEqual(first.authenticatedAt.getTime());
  });
});

describe('JWKS fetching', () => {
  it('makes exactly one JWKS fetch for many concurrent first requests', async () => {
    const issuer = await createTestIssuer();
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl } });
    const tokens = Array.from({ length: 100 }, (_, i) => issuer.sessionJwt({ memberId: `member-test-${i}` }));
    const contexts = await Promise.all(tokens.map((t) => auth.authenticate(t)));
    expect(contexts.map((c) => c.memberId)).toEqual(tokens.map((_, i) => `member-test-${i}`));
    expect(issuer.requests.jwks).toBe(1);
    await auth.close();
    await issuer.close();
  });

  it('shares one key cache per JWKS URL between Auth instances', async () => {
    const issuer = await createTestIssuer();
    const a = createAuth({ stytch: issuer.authOptions });
    const b = createAuth({ stytch: issuer.authOptions });
    await a.authenticate(issuer.sessionJwt());
    await b.authenticate(issuer.sessionJwt());
    expect(issuer.requests.jwks).toBe(1);
    await issuer.close();
  });

  it('refetches on an unknown kid (key rotation), at most once per cooldown', async () => {
    const issuer = await createTestIssuer();
    const logs = captureLogs();
    const auth = createAuth({ stytch: issuer.authOptions, jwks: { cooldownMs: 0 }, logger: logs.logger });
    await auth.authenticate(issuer.sessionJwt());
    await issuer.rotateKeys({ keepOld: false });
    const ctx = await auth.authenticate(issuer.sessionJwt({ memberId: 'member-test-rotated' }));
    expect(ctx.memberId).toBe('member-test-rotated');
    expect(issuer.requests.jwks).toBe(2);
    await issuer.close();

    const issuer2 = await createTestIssuer();
    const slow = createAuth({ stytch: issuer2.authOptions, jwks: { cooldownMs: 3_600_000 } });
    await slow.authenticate(issuer2.sessionJwt());
    const unknownKid = () => issuer2.sessionJwt({ header: { kid: `jwk-test-unknown-${Math.random()}` } });
    for (let i = 0; i < 20; i++) expect((await rejection(slow.authenticate(unknownKid()))).code).toBe('token_invalid');
    // Twenty unknown kids inside the cooldown: no refetch storm.
    expect(issuer2.requests.jwks).toBe(1);
    await issuer2.close();
  });

  it('keeps serving the last good keys when the JWKS endpoint fails, with a WARN', async () => {
    const issuer = await createTestIssuer();
    const logs = captureLogs();
    const auth = createAuth({ stytch: issuer.authOptions, jwks: { cooldownMs: 0 }, logger: logs.logger });
    await auth.authenticate(issuer.sessionJwt());
    issuer.setJwksMode('down');
    // An unknown kid forces a refetch, which fails: that token cannot be checked (503)…
    const error = await rejection(auth.authenticate(issuer.sessionJwt({ header: { kid: 'jwk-test-not-there' } })));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.status).toBe(503);
    expect(logs.find('JWKS refresh failed; serving the last good keys', 'warn').length).toBeGreaterThan(0);
    // …but tokens signed with the known key still verify.
    const ctx = await auth.authenticate(issuer.sessionJwt({ memberId: 'member-test-warm' }));
    expect(ctx.memberId).toBe('member-test-warm');
    issuer.setJwksMode('ok');
    await issuer.close();
  });

  it.each(['down', 'html', 'empty', 'error500'] as const)('answers 503 jwks_unavailable on a cold cache when the JWKS is %s', async (mode) => {
    const issuer = await createTestIssuer();
    issuer.setJwksMode(mode);
    const logs = captureLogs();
    const auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
    const token = issuer.sessionJwt();
    const error = await rejection(auth.authenticate(token));
    expect(error.code).toBe('jwks_unavailable');
    expect(error.status).toBe(503);
    expect(error.headers['Retry-After']).toBe('5');
    expect(logs.find('JWKS fetch failed', 'error').length).toBe(1);
    logs.expectNoSecrets(token);
    await issuer.close();
  });

  it('times out a slow JWKS endpoint', async () => {
    const issuer = await createTestIssuer();
    issuer.setJwksMode('slow', { slowMs: 30_000 });
    const auth = createAuth({ stytch: issuer.authOptions, jwks: { timeoutMs: 200 } });
    const started = Date.now();
    const error = await rejection(auth.authenticate(issuer.sessionJwt()));
    expect(error.code).toBe('jwks_unavailable');
    expect(Date.now() - started).toBeLessThan(5_000);
    await issuer.close();
  });
});
