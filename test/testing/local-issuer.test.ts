import { jwtVerify, decodeJwt } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuth, type AuthOptions } from 'ayz-auth';
import { createLocalTestIssuer, createTestIssuer, DEFAULT_TEST_PROJECT_ID, type LocalTestIssuer } from 'ayz-auth/testing';

const SESSION = 'https://stytch.com/session';
const ORGANIZATION = 'https://stytch.com/organization';

let issuer: LocalTestIssuer;
beforeAll(async () => {
  issuer = await createLocalTestIssuer();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('createLocalTestIssuer: tokens without a server', () => {
  it('exposes options ready for createAuth', () => {
    expect(issuer.projectId).toBe(DEFAULT_TEST_PROJECT_ID);
    expect(issuer.issuer).toBe(`stytch.com/${DEFAULT_TEST_PROJECT_ID}`);
    expect(issuer.authOptions).toEqual({ projectId: DEFAULT_TEST_PROJECT_ID });
    expect(issuer.jwksOptions.keys()).toEqual({ keys: issuer.jwks() });
    expect(issuer.jwks()[0]).toMatchObject({ alg: 'RS256', kty: 'RSA', use: 'sig', kid: issuer.kid });
  });

  it('mints Stytch-shaped session JWTs that verify against its key set', async () => {
    const jwt = issuer.sessionJwt({ memberId: 'member-test-a', orgId: 'organization-test-a', roles: ['admin'] });
    const { payload, protectedHeader } = await jwtVerify(jwt, issuer.keySet(), {
      algorithms: ['RS256'],
      audience: issuer.projectId,
      issuer: issuer.issuer,
      typ: 'JWT',
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: issuer.kid });
    expect(payload.sub).toBe('member-test-a');
    expect(payload[ORGANIZATION]).toMatchObject({ organization_id: 'organization-test-a' });
    expect(payload[SESSION]).toMatchObject({ roles: ['admin'] });
  });

  it('mints expired, not-yet-valid and wrongly-signed tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(decodeJwt(issuer.expiredSessionJwt()).exp).toBeLessThan(now - 500);
    expect(decodeJwt(issuer.notYetValidSessionJwt()).nbf).toBeGreaterThan(now + 500);
    await expect(jwtVerify(issuer.wrongKeySessionJwt(), issuer.keySet())).rejects.toThrow(/signature/);
  });

  it('rotates keys', async () => {
    const local = await createLocalTestIssuer();
    const old = local.kid;
    const kid = await local.rotateKeys();
    expect(kid).not.toBe(old);
    expect(local.jwks().map((k) => k.kid)).toEqual([kid, old]);
    await local.rotateKeys({ keepOld: false });
    expect(local.jwks()).toHaveLength(1);
  });
});

describe('sessionJwt input: orgId is an alias of organizationId', () => {
  it('on the local issuer', () => {
    const claims = decodeJwt(issuer.sessionJwt({ orgId: 'organization-test-alias' }));
    expect(claims[ORGANIZATION]).toMatchObject({ organization_id: 'organization-test-alias' });
    expect(claims).not.toHaveProperty('orgId');
  });

  it('on the loopback issuer, including registered sessions', async () => {
    const loopback = await createTestIssuer();
    try {
      const claims = decodeJwt(loopback.sessionJwt({ orgId: 'organization-test-alias' }));
      expect(claims[ORGANIZATION]).toMatchObject({ organization_id: 'organization-test-alias' });
      expect(loopback.registerSession({ orgId: 'organization-test-registered' }).organizationId).toBe('organization-test-registered');
    } finally {
      await loopback.close();
    }
  });

  it('refuses two different values', () => {
    expect(() => issuer.sessionJwt({ orgId: 'organization-test-a', organizationId: 'organization-test-b' })).toThrow(/alias/);
    expect(() => issuer.sessionJwt({ orgId: 'organization-test-a', organizationId: 'organization-test-a' })).not.toThrow();
  });
});

describe('createLocalTestIssuer with createAuth (jwks.keys)', () => {
  const options = (local: LocalTestIssuer, extra: Partial<AuthOptions> = {}): AuthOptions => ({
    stytch: local.authOptions,
    jwks: { ...local.jwksOptions, ...extra.jwks },
    logLevel: 'silent',
  });

  it('authenticates its tokens without any HTTP request', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const auth = createAuth(options(issuer));
    const ctx = await auth.authenticate(issuer.sessionJwt({ memberId: 'member-test-local', orgId: 'organization-test-local', roles: ['owner'] }));
    expect(ctx).toMatchObject({ memberId: 'member-test-local', stytchOrgId: 'organization-test-local', roles: ['owner'], mongoUserId: null });
    expect(fetchSpy).not.toHaveBeenCalled();
    await auth.close();
  });

  it('refuses expired, not-yet-valid, wrongly-signed and opaque tokens with their codes', async () => {
    const auth = createAuth(options(issuer));
    await expect(auth.authenticate(issuer.expiredSessionJwt())).rejects.toMatchObject({ code: 'token_expired', status: 401 });
    await expect(auth.authenticate(issuer.notYetValidSessionJwt())).rejects.toMatchObject({ code: 'token_not_yet_valid' });
    await expect(auth.authenticate(issuer.wrongKeySessionJwt())).rejects.toMatchObject({ code: 'token_invalid' });
    await expect(auth.authenticate('sess_tok_opaque_0123456789abcdefghijklmnop')).rejects.toMatchObject({ code: 'token_unsupported' });
    await auth.close();
  });

  it('sees a rotation (the provider is asked again for an unknown kid)', async () => {
    const local = await createLocalTestIssuer();
    const auth = createAuth(options(local, { jwks: { cooldownMs: 0 } }));
    await auth.authenticate(local.sessionJwt());
    await local.rotateKeys({ keepOld: false });
    await expect(auth.authenticate(local.sessionJwt())).resolves.toMatchObject({ roles: ['stytch_member'] });
    await auth.close();
  });

  it('keeps two issuers apart: one Auth never accepts the other’s tokens', async () => {
    const other = await createLocalTestIssuer();
    const auth = createAuth(options(issuer));
    const otherAuth = createAuth(options(other));
    await expect(auth.authenticate(other.sessionJwt())).rejects.toMatchObject({ code: 'token_invalid' });
    await expect(otherAuth.authenticate(other.sessionJwt())).resolves.toBeDefined();
    await auth.close();
    await otherAuth.close();
  });

  it('accepts a static key set too, and rejects a malformed jwks.keys at start-up', async () => {
    const auth = createAuth({ stytch: issuer.authOptions, jwks: { keys: { keys: issuer.jwks() } }, logLevel: 'silent' });
    await expect(auth.authenticate(issuer.sessionJwt())).resolves.toBeDefined();
    expect(() => createAuth({ stytch: issuer.authOptions, jwks: { keys: 'nope' as never } })).toThrow(/jwks\.keys/);
    await auth.close();
  });
});
