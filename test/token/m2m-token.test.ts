import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { JwksStore } from '../../src/token/jwks-store.js';
import { verifySessionJwt, type SessionJwtPolicy } from '../../src/token/session-jwt.js';
import { acceptError, jwtKindHint, verifyM2mToken } from '../../src/token/m2m-token.js';
import { m2mContext, memberContext } from '../../src/auth-context-union.js';
import { identityFromClaims } from '../../src/token/identity.js';
import { EMPTY_DIRECTORY_CONTEXT } from '../../src/auth-context.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { rejection } from '../support/errors.js';

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('M2M access tokens verified against the project JWKS served over HTTP', () => {
  let issuer: TestIssuer;
  let store: JwksStore;
  let policy: SessionJwtPolicy;
  let logs: CapturedLog;
  const tokens: string[] = [];
  const mint = (t: string) => (tokens.push(t), t);

  beforeAll(async () => {
    issuer = await createTestIssuer();
    logs = captureLogs();
    store = new JwksStore(issuer.jwksUrl, { timeoutMs: 5_000, cooldownMs: 30_000, maxAgeMs: 600_000, staleIfErrorMs: 3_600_000 }, logs.logger);
    policy = { projectId: issuer.projectId, issuers: [`stytch.com/${issuer.projectId}`, issuer.baseUrl], clockToleranceSec: 5, maxTokenAgeSec: null };
  });
  afterAll(() => issuer.close());
  afterEach(() => logs.expectNoSecrets(...tokens, issuer.secret));

  it('maps a minted M2M token to a machine identity: client id, scopes in order, custom claims', async () => {
    const token = mint(
      issuer.m2mToken({
        clientId: 'm2m-client-test-billing',
        scopes: ['read:users', 'write:invoices', 'read:users'],
        customClaims: { team: 'billing', __proto__: { polluted: true } as unknown as string },
      }),
    );
    const identity = await verifyM2mToken(token, store, policy);
    expect(identity).toMatchObject({
      clientId: 'm2m-client-test-billing',
      scopes: ['read:users', 'write:invoices'],
      customClaims: { team: 'billing' },
    });
    expect(identity.tokenId).toMatch(/^m2m-token-test-/);
    expect(identity.tokenExpiresAt.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    expect(Object.keys(identity.customClaims)).toEqual(['team']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.isFrozen(identity.scopes)).toBe(true);
  });

  it('yields a frozen m2m context whose member, org-directory and team fields are all null or empty', async () => {
    const identity = await verifyM2mToken(mint(issuer.m2mToken({ scopes: ['read:users'] })), store, policy);
    const ctx = m2mContext(identity);
    expect(ctx).toMatchObject({
      kind: 'm2m',
      scopes: ['read:users'],
      memberId: null,
      sessionId: null,
      stytchOrgId: null,
      orgSlug: null,
      memberEmail: null,
      memberName: null,
      roles: [],
      authenticationFactors: [],
      sessionStartedAt: null,
      sessionExpiresAt: null,
      sessionLastAccessedAt: null,
      mongoUserId: null,
      orgId: null,
      currentTeamId: null,
      currentTeamName: null,
      entitlements: null,
      subscriptionTier: null,
      subscriptionLimits: null,
    });
    expect(Object.isFrozen(ctx)).toBe(true);
    // Every key a member context has, a machine context has too: nothing reads `undefined`.
    const session = await verifySessionJwt(mint(issuer.sessionJwt()), store, policy);
    if (!session.ok) throw new Error('expected a valid session');
    const member = memberContext({ ...identityFromClaims(session.payload), ...EMPTY_DIRECTORY_CONTEXT, authenticatedAt: new Date() });
    expect(member.kind).toBe('member');
    expect(member.clientId).toBeNull();
    expect(Object.keys(member).filter((k) => !(k in ctx))).toEqual([]);
  });

  it('accepts the base URL as issuer, and aud as a plain string', async () => {
    await expect(verifyM2mToken(mint(issuer.m2mToken({ issuer: issuer.baseUrl })), store, policy)).resolves.toBeTruthy();
    await expect(verifyM2mToken(mint(issuer.m2mToken({ audience: issuer.projectId })), store, policy)).resolves.toBeTruthy();
  });

  it('refuses a member session JWT as an M2M token, even one whose sub claims to be an M2M client', async () => {
    const err = await rejection(verifyM2mToken(mint(issuer.sessionJwt()), store, policy));
    expect([err.code, err.reason]).toEqual(['token_invalid', 'a member session JWT, not an M2M access token']);
    const disguised = await rejection(verifyM2mToken(mint(issuer.sessionJwt({ memberId: 'm2m-client-test-x', claims: { scope: 'read:users' } })), store, policy));
    expect(disguised.code).toBe('token_invalid');
  });

  it('refuses an M2M token as a member session (the session verifier is unchanged)', async () => {
    const err = await rejection(verifySessionJwt(mint(issuer.m2mToken({ scopes: ['read:users'] })), store, policy));
    expect(err.code).toBe('token_invalid');
    expect(err.reason).toMatch(/OAuth access token/);
  });

  it('refuses a Connected App access token (a member as sub, a scope, a client_id): not a machine', async () => {
    const token = mint(issuer.m2mToken({ clientId: 'member-test-alice', scopes: ['openid'], claims: { client_id: 'connected-app-test-1' } }));
    const err = await rejection(verifyM2mToken(token, store, policy));
    expect([err.code, err.reason]).toEqual(['token_invalid', 'claim sub is not an M2M client id: not an M2M access token']);
  });

  it('refuses tokens for another project or issuer, other algorithms, unknown keys, tampered claims', async () => {
    const cases: [string, string][] = [
      [issuer.m2mToken({ audience: 'project-test-other' }), 'claim aud mismatch'],
      [issuer.m2mToken({ issuer: 'stytch.com/project-test-other' }), 'claim iss mismatch'],
      [issuer.m2mToken({ header: { alg: 'HS256' } }), 'alg HS256 not allowed (RS256 only)'],
      [issuer.m2mToken({ header: { alg: 'none' } }), 'alg none not allowed (RS256 only)'],
      [issuer.m2mToken({ header: { typ: 'at+jwt' } }), 'typ at+jwt not accepted (JWT required)'],
      [issuer.m2mToken({ claims: { exp: undefined } }), 'claim exp missing'],
    ];
    for (const [token, reason] of cases) {
      const err = await rejection(verifyM2mToken(mint(token), store, policy));
      expect([err.code, err.reason], reason).toEqual(['token_invalid', reason]);
    }
    const [h, , s] = mint(issuer.m2mToken({ scopes: ['read:users'] })).split('.');
    const widened = `${h}.${b64url({ sub: 'm2m-client-test-1', scope: 'admin:*', aud: [issuer.projectId], iss: issuer.issuer, exp: 4102476900 })}.${s}`;
    const err = await rejection(verifyM2mToken(mint(widened), store, policy));
    expect([err.code, err.reason]).toEqual(['token_invalid', 'signature verification failed']);
  });

  it('refuses a scope claim that is missing, not a string, or malformed', async () => {
    for (const scope of [undefined, ['read:users'], 'read:users \u0000admin']) {
      const err = await rejection(verifyM2mToken(mint(issuer.m2mToken({ claims: { scope } })), store, policy));
      expect(err.code).toBe('token_invalid');
      expect(err.reason).toMatch(/^claim scope /);
    }
  });

  it('calls an expired M2M token expired (never renewable), and a future one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await rejection(verifyM2mToken(mint(issuer.m2mToken({ issuedAt: now - 7200, expiresInSec: 3600 })), store, policy));
    expect(expired.code).toBe('token_expired');
    expect(expired.reason).toMatch(/^the M2M access token expired \d+ s ago$/);
    const future = await rejection(verifyM2mToken(mint(issuer.m2mToken({ notBefore: now + 600 })), store, policy));
    expect(future.code).toBe('token_not_yet_valid');
    // An expired member session handed to the M2M verifier is a wrong kind, not an expired token.
    const expiredSession = await rejection(verifyM2mToken(mint(issuer.expiredSessionJwt()), store, policy));
    expect([expiredSession.code, expiredSession.reason]).toEqual(['token_invalid', 'a member session JWT, not an M2M access token']);
  });

  it('applies jwt.maxTokenAgeSec to M2M tokens too', async () => {
    const now = Math.floor(Date.now() / 1000);
    const err = await rejection(verifyM2mToken(mint(issuer.m2mToken({ issuedAt: now - 1200 })), store, { ...policy, maxTokenAgeSec: 600 }));
    expect(err.code).toBe('token_too_old');
  });

  it('routes tokens by an unverified hint, and refuses the kinds a route does not accept', () => {
    const m2m = mint(issuer.m2mToken());
    const session = mint(issuer.sessionJwt());
    expect(jwtKindHint(m2m)).toBe('m2m');
    expect(jwtKindHint(session)).toBe('session');
    expect(jwtKindHint('not.a.jwt')).toBe('session');
    // A session claim keeps a token on the session path whatever its sub says.
    expect(jwtKindHint(mint(issuer.sessionJwt({ memberId: 'm2m-client-test-x' })))).toBe('session');

    const table: [Parameters<typeof acceptError>[0], Parameters<typeof acceptError>[1], string | null][] = [
      ['m2m', ['session'], 'token_invalid'],
      ['m2m', ['m2m'], null],
      ['m2m', ['session', 'm2m'], null],
      ['session', ['m2m'], 'token_invalid'],
      ['opaque', ['m2m'], 'token_invalid'],
      ['session', ['session', 'm2m'], null],
      ['opaque', ['session'], null],
    ];
    for (const [kind, accept, code] of table) expect(acceptError(kind, accept)?.code ?? null, `${kind} on ${accept.join('+')}`).toBe(code);
  });
});
