import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());
beforeEach(() => {
  issuer.clearFailures();
  issuer.resetCounters();
});

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function authenticate(body: unknown, authorization: string | null = basic(issuer.projectId, issuer.secret)) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== null) headers.authorization = authorization;
  const response = await fetch(`${issuer.baseUrl}/v1/b2b/sessions/authenticate`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function verifyLocally(jwt: string) {
  return jwtVerify(jwt, createRemoteJWKSet(new URL(issuer.jwksUrl)), {
    algorithms: ['RS256'],
    audience: issuer.projectId,
    issuer: `stytch.com/${issuer.projectId}`,
    typ: 'JWT',
  });
}

describe('POST /v1/b2b/sessions/authenticate', () => {
  it('accepts a registered session token and answers in Stytch’s shape', async () => {
    const session = issuer.registerSession({
      memberId: 'member-test-alice',
      organizationId: 'organization-test-acme',
      organizationSlug: 'acme',
      roles: ['stytch_member', 'admin'],
      authenticationFactors: ['magic_link', 'totp'],
      customClaims: { plan: 'pro' },
      email: 'alice@acme.test',
      name: 'Alice',
      organizationName: 'Acme',
    });
    expect(session.sessionToken).toMatch(/^sess_tok_[A-Za-z0-9_-]{44}$/);

    const { status, body } = await authenticate({ session_token: session.sessionToken });
    expect(status).toBe(200);
    expect(body).toEqual({
      request_id: expect.stringMatching(/^request-id-test-/),
      status_code: 200,
      member: expect.objectContaining({
        member_id: 'member-test-alice',
        email_address: 'alice@acme.test',
        name: 'Alice',
        organization_id: 'organization-test-acme',
        status: 'active',
        roles: [
          { role_id: 'stytch_member', sources: [{ type: 'direct_assignment', details: {} }] },
          { role_id: 'admin', sources: [{ type: 'direct_assignment', details: {} }] },
        ],
      }),
      member_session: {
        member_session_id: session.sessionId,
        member_id: 'member-test-alice',
        organization_id: 'organization-test-acme',
        organization_slug: 'acme',
        started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        last_accessed_at: expect.stringMatching(/Z$/),
        expires_at: expect.stringMatching(/Z$/),
        authentication_factors: [
          expect.objectContaining({ type: 'magic_link', delivery_method: 'email', last_authenticated_at: expect.any(String) }),
          expect.objectContaining({ type: 'totp', delivery_method: 'authenticator_app' }),
        ],
        custom_claims: { plan: 'pro' },
        roles: ['stytch_member', 'admin'],
      },
      organization: expect.objectContaining({
        organization_id: 'organization-test-acme',
        organization_name: 'Acme',
        organization_slug: 'acme',
      }),
      session_token: session.sessionToken,
      session_jwt: expect.any(String),
    });
    expect(Date.parse(body.member_session.expires_at)).toBe(Math.floor(session.expiresAt.getTime() / 1000) * 1000);

    const { payload } = await verifyLocally(body.session_jwt);
    expect(payload.sub).toBe('member-test-alice');
    expect(payload.plan).toBe('pro');
    expect(issuer.requests.authenticate).toBe(1);
  });

  it('accepts the session’s JWT, and an expired JWT of a live session, returning a fresh JWT', async () => {
    const session = issuer.registerSession({ sessionDurationMinutes: 120 });
    const ok = await authenticate({ session_jwt: session.sessionJwt });
    expect(ok.status).toBe(200);
    expect(ok.body.member_session.member_session_id).toBe(session.sessionId);

    const expired = issuer.expiredSessionJwt({ sessionId: session.sessionId });
    expect(decodeJwt(expired).sub).toBe(session.memberId);
    const refreshed = await authenticate({ session_jwt: expired });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.session_jwt).not.toBe(expired);
    const { payload } = await verifyLocally(refreshed.body.session_jwt);
    expect(payload.sub).toBe(session.memberId);
    expect((payload['https://stytch.com/session'] as { id: string }).id).toBe(session.sessionId);
    expect((payload.exp ?? 0) * 1000).toBeGreaterThan(Date.now());
  });

  it('rejects wrong or missing project credentials with 401 unauthorized_credentials', async () => {
    const session = issuer.registerSession();
    for (const authorization of [basic(issuer.projectId, 'nope'), basic('project-test-other', issuer.secret), null, `Bearer ${issuer.secret}`]) {
      const { status, body } = await authenticate({ session_token: session.sessionToken }, authorization);
      expect(status).toBe(401);
      expect(body).toEqual({
        status_code: 401,
        request_id: expect.stringMatching(/^request-id-test-/),
        error_type: 'unauthorized_credentials',
        error_message: expect.any(String),
        error_url: expect.stringMatching(/^https:\/\/stytch\.com\//),
      });
    }
  });

  it('answers 404 session_not_found for unknown tokens, revoked and expired sessions, and unregistered JWTs', async () => {
    const unknown = await authenticate({ session_token: 'sess_tok_unknown' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_type).toBe('session_not_found');

    const session = issuer.registerSession();
    expect(issuer.revokeSession(session.sessionToken)).toBe(true);
    expect(issuer.revokeSession(session.sessionToken)).toBe(false);
    for (const body of [{ session_token: session.sessionToken }, { session_jwt: session.sessionJwt }]) {
      const revoked = await authenticate(body);
      expect(revoked.status).toBe(404);
      expect(revoked.body.error_type).toBe('session_not_found');
    }

    const byId = issuer.registerSession();
    expect(issuer.revokeSession(byId.sessionId)).toBe(true);
    expect((await authenticate({ session_token: byId.sessionToken })).status).toBe(404);

    const over = issuer.registerSession({ sessionExpiresAt: new Date(Date.now() - 1000) });
    expect((await authenticate({ session_token: over.sessionToken })).status).toBe(404);

    const unregistered = await authenticate({ session_jwt: issuer.sessionJwt() });
    expect(unregistered.status).toBe(404);
    expect(unregistered.body.error_type).toBe('session_not_found');
  });

  it('refuses a JWT with a bad signature, even for a live session, without saying unauthorized_credentials', async () => {
    const session = issuer.registerSession();
    const forged = issuer.wrongKeySessionJwt({ sessionId: session.sessionId });
    const { status, body } = await authenticate({ session_jwt: forged });
    expect(status).toBe(401);
    expect(body.error_type).toBe('invalid_session_jwt');
    const none = await authenticate({ session_jwt: issuer.sessionJwt({ sessionId: session.sessionId, header: { alg: 'none' } }) });
    expect(none.status).toBe(401);
  });

  it('answers 400 for a bad request body', async () => {
    const session = issuer.registerSession();
    expect((await authenticate({})).status).toBe(400);
    expect((await authenticate({ session_token: session.sessionToken, session_jwt: session.sessionJwt })).status).toBe(400);
    expect((await authenticate('{not json')).status).toBe(400);
  });

  it('refuses to register the same session twice', () => {
    const session = issuer.registerSession();
    expect(() => issuer.registerSession({ sessionId: session.sessionId })).toThrow(/already registered/);
  });
});
