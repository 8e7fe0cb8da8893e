import { createPublicKey, type JsonWebKey } from 'node:crypto';
import {
  compactVerify,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  jwtVerify,
  type JWTVerifyOptions,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, DEFAULT_TEST_PROJECT_ID, type TestIssuer } from 'ayz-auth/testing';

const SESSION = 'https://stytch.com/session';
const ORGANIZATION = 'https://stytch.com/organization';

function stytchOptions(issuer: TestIssuer, iss = `stytch.com/${issuer.projectId}`): JWTVerifyOptions {
  return { algorithms: ['RS256'], audience: issuer.projectId, issuer: iss, typ: 'JWT' };
}

async function verify(issuer: TestIssuer, jwt: string, options = stytchOptions(issuer)) {
  // A fresh key set per call: these tests are about what the server serves right now.
  return jwtVerify(jwt, createRemoteJWKSet(new URL(issuer.jwksUrl)), options);
}

describe('test issuer: JWKS endpoint', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer.close());

  it('listens on loopback and exposes ready-made auth options', () => {
    expect(issuer.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(issuer.projectId).toBe(DEFAULT_TEST_PROJECT_ID);
    expect(issuer.jwksUrl).toBe(`${issuer.baseUrl}/v1/b2b/sessions/jwks/${issuer.projectId}`);
    expect(issuer.secret).toMatch(/^secret-test-/);
    expect(issuer.authOptions).toEqual({ projectId: issuer.projectId, secret: issuer.secret, baseUrl: issuer.baseUrl });
    expect(issuer.kid).toMatch(/^jwk-test-[0-9a-f-]{36}$/);
  });

  it('serves Stytch’s JWKS shape', async () => {
    const response = await fetch(issuer.jwksUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      keys: [
        {
          alg: 'RS256',
          kty: 'RSA',
          use: 'sig',
          key_ops: ['verify'],
          kid: issuer.kid,
          n: expect.stringMatching(/^[A-Za-z0-9_-]{300,}$/),
          e: 'AQAB',
        },
      ],
      request_id: expect.stringMatching(/^request-id-test-/),
      status_code: 200,
    });
    const [key] = body.keys as Array<Record<string, unknown>>;
    expect(Object.keys(key ?? {})).not.toContain('d');
  });

  it('answers an unknown project id with a Stytch 404', async () => {
    const response = await fetch(`${issuer.baseUrl}/v1/b2b/sessions/jwks/project-test-nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      status_code: 404,
      request_id: expect.stringMatching(/^request-id-test-/),
      error_type: expect.any(String),
      error_message: expect.any(String),
      error_url: expect.stringMatching(/^https:\/\/stytch\.com\/docs\//),
    });
  });
});

describe('test issuer: session JWTs', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ projectId: 'project-test-11111111-2222-3333-4444-555555555555' });
  });
  afterAll(() => issuer.close());

  it('mints a Stytch-shaped JWT that jose verifies with the RS256 / typ / aud / iss pins', async () => {
    const jwt = issuer.sessionJwt();
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', kid: issuer.kid, typ: 'JWT' });

    const { payload, protectedHeader } = await verify(issuer, jwt);
    expect(protectedHeader.kid).toBe(issuer.kid);
    const now = Math.floor(Date.now() / 1000);
    expect(payload.sub).toMatch(/^member-test-[0-9a-f-]{36}$/);
    expect(payload.aud).toEqual([issuer.projectId]);
    expect(payload.iss).toBe(`stytch.com/${issuer.projectId}`);
    expect(Math.abs((payload.iat ?? 0) - now)).toBeLessThanOrEqual(2);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.exp).toBe((payload.iat ?? 0) + 300);
    expect(payload[SESSION]).toEqual({
      id: expect.stringMatching(/^member-session-test-/),
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      last_accessed_at: expect.stringMatching(/Z$/),
      expires_at: expect.stringMatching(/Z$/),
      attributes: { user_agent: '', ip_address: '' },
      authentication_factors: [
        {
          type: 'magic_link',
          delivery_method: 'email',
          last_authenticated_at: expect.stringMatching(/Z$/),
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      ],
      roles: ['stytch_member'],
    });
    expect(payload[ORGANIZATION]).toEqual({
      organization_id: expect.stringMatching(/^organization-test-[0-9a-f-]{36}$/),
      slug: expect.any(String),
    });
    const session = payload[SESSION] as { expires_at: string };
    expect(Date.parse(session.expires_at)).toBeGreaterThan(Date.now() + 50 * 60_000);
  });

  it('takes every field from the input, custom claims at the top level', async () => {
    const jwt = issuer.sessionJwt({
      memberId: 'member-test-abc',
      organizationId: 'organization-test-xyz',
      organizationSlug: 'acme',
      roles: ['stytch_admin', 'editor'],
      authenticationFactors: ['sso', 'totp'],
      customClaims: { plan: 'pro', flags: { beta: true }, sub: 'must-not-win' },
      sessionId: 'member-session-test-1',
      expiresInSec: 60,
    });
    const { payload } = await verify(issuer, jwt);
    expect(payload.sub).toBe('member-test-abc');
    expect(payload.plan).toBe('pro');
    expect(payload.flags).toEqual({ beta: true });
    expect(payload.exp).toBe((payload.iat ?? 0) + 60);
    expect(payload[ORGANIZATION]).toEqual({ organization_id: 'organization-test-xyz', slug: 'acme' });
    const session = payload[SESSION] as Record<string, unknown>;
    expect(session.id).toBe('member-session-test-1');
    expect(session.roles).toEqual(['stytch_admin', 'editor']);
    expect(session.authentication_factors).toMatchObject([
      { type: 'sso', delivery_method: 'sso_saml' },
      { type: 'totp', delivery_method: 'authenticator_app' },
    ]);
  });

  it('mints the base URL as iss when asked', async () => {
    const custom = await createTestIssuer({ issuer: 'baseUrl' });
    try {
      expect(custom.issuer).toBe(custom.baseUrl);
      const { payload } = await verify(custom, custom.sessionJwt(), stytchOptions(custom, custom.baseUrl));
      expect(payload.iss).toBe(custom.baseUrl);
      // Per token, too.
      const other = issuer.sessionJwt({ issuer: issuer.baseUrl });
      await expect(verify(issuer, other)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' });
    } finally {
      await custom.close();
    }
  });

  it('expiredSessionJwt fails on exp', async () => {
    const err = await verify(issuer, issuer.expiredSessionJwt()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.JWTExpired);
    expect(err).toMatchObject({ code: 'ERR_JWT_EXPIRED', claim: 'exp' });
    // Still expired with a generous leeway: it expired ten minutes ago.
    await expect(verify(issuer, issuer.expiredSessionJwt(), { ...stytchOptions(issuer), clockTolerance: 120 })).rejects.toBeInstanceOf(
      errors.JWTExpired,
    );
  });

  it('notYetValidSessionJwt fails on nbf', async () => {
    await expect(verify(issuer, issuer.notYetValidSessionJwt())).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'nbf',
    });
  });

  it('wrongKeySessionJwt names the real kid but fails the signature check', async () => {
    const jwt = issuer.wrongKeySessionJwt();
    expect(decodeProtectedHeader(jwt).kid).toBe(issuer.kid);
    await expect(verify(issuer, jwt)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('header and claim overrides produce the tokens a verifier must refuse', async () => {
    const noTyp = issuer.sessionJwt({ header: { typ: undefined } });
    expect(decodeProtectedHeader(noTyp)).toEqual({ alg: 'RS256', kid: issuer.kid });
    await expect(verify(issuer, noTyp)).rejects.toMatchObject({ claim: 'typ' });

    for (const alg of ['HS256', 'none', 'RS512', 'PS256']) {
      const jwt = issuer.sessionJwt({ header: { alg } });
      expect(decodeProtectedHeader(jwt).alg).toBe(alg);
      await expect(verify(issuer, jwt)).rejects.toBeInstanceOf(Error);
    }
    // They are really signed that way, so a verifier that forgets to pin RS256 would accept them.
    const [jwk] = issuer.jwks();
    const rsa = { kty: 'RSA', n: jwk?.n, e: jwk?.e };
    const ps = issuer.sessionJwt({ header: { alg: 'PS256' } });
    await expect(compactVerify(ps, await importJWK(rsa, 'PS256'))).resolves.toBeDefined();
    const confused = issuer.sessionJwt({ header: { alg: 'HS256' } });
    const pem = createPublicKey({ key: rsa as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    await expect(compactVerify(confused, new TextEncoder().encode(pem))).resolves.toBeDefined();
    expect(issuer.sessionJwt({ header: { alg: 'none' } }).endsWith('.')).toBe(true);

    const wrongAud = issuer.sessionJwt({ audience: 'project-test-other' });
    await expect(verify(issuer, wrongAud)).rejects.toMatchObject({ claim: 'aud' });

    const noSub = issuer.sessionJwt({ claims: { sub: undefined } });
    const { payload } = await verify(issuer, noSub);
    expect(payload.sub).toBeUndefined();

    expect(() => issuer.sessionJwt({ header: { alg: 'ES256' } })).toThrow(/cannot sign/);
  });
});

describe('test issuer: key rotation', () => {
  it('keeps the old key published by default, and drops it with keepOld: false', async () => {
    const issuer = await createTestIssuer();
    try {
      const firstKid = issuer.kid;
      const before = issuer.sessionJwt();

      const secondKid = await issuer.rotateKeys();
      expect(secondKid).not.toBe(firstKid);
      expect(issuer.kid).toBe(secondKid);
      const after = issuer.sessionJwt();
      expect(decodeProtectedHeader(after).kid).toBe(secondKid);

      let body = (await (await fetch(issuer.jwksUrl)).json()) as { keys: Array<{ kid: string }> };
      expect(body.keys.map((k) => k.kid)).toEqual([secondKid, firstKid]);
      await expect(verify(issuer, before)).resolves.toBeDefined();
      await expect(verify(issuer, after)).resolves.toBeDefined();

      const thirdKid = await issuer.rotateKeys({ keepOld: false });
      body = (await (await fetch(issuer.jwksUrl)).json()) as { keys: Array<{ kid: string }> };
      expect(body.keys.map((k) => k.kid)).toEqual([thirdKid]);
      expect(issuer.jwks().map((k) => k.kid)).toEqual([thirdKid]);
      await expect(verify(issuer, before)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
      await expect(verify(issuer, issuer.sessionJwt())).resolves.toBeDefined();

      // The stranger key follows the signing kid.
      expect(decodeProtectedHeader(issuer.wrongKeySessionJwt()).kid).toBe(thirdKid);
      await expect(verify(issuer, issuer.wrongKeySessionJwt())).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    } finally {
      await issuer.close();
    }
  });
});
