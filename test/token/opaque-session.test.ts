import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../support/log-capture.js';
import { rejection } from '../support/errors.js';

describe('opaque session tokens through sessions/authenticate', () => {
  let issuer: TestIssuer;
  const logs = captureLogs();
  let auth: Auth;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    // 1 s per attempt: long enough that a loaded machine's first call does not time out (and
    // retry, which would show as a second call), short enough for the timeout case.
    auth = createAuth({ stytch: issuer.authOptions, remote: { timeoutMs: 1_000, retries: 2 }, logger: logs.logger });
  });
  afterAll(async () => {
    await auth.close();
    await issuer.close();
  });

  it('accepts a live session and maps the response, then serves it from cache', async () => {
    const session = issuer.registerSession({
      memberId: 'member-test-opaque',
      organizationId: 'organization-test-opaque',
      email: 'ada@example.test',
      name: 'Ada',
      roles: ['stytch_member'],
      authenticationFactors: ['sso'],
      customClaims: { team: 'red' },
    });
    issuer.resetCounters();
    const ctx = await auth.authenticate(session.sessionToken);
    expect(ctx).toMatchObject({
      memberId: 'member-test-opaque',
      stytchOrgId: 'organization-test-opaque',
      memberEmail: 'ada@example.test',
      memberName: 'Ada',
      sessionId: session.sessionId,
      authenticationFactors: ['sso'],
      customClaims: { team: 'red' },
    });
    expect(Math.floor((ctx.sessionExpiresAt?.getTime() ?? 0) / 1000)).toBe(Math.floor(session.expiresAt.getTime() / 1000));
    await auth.authenticate(session.sessionToken);
    await auth.authenticate(session.sessionToken);
    expect(issuer.requests.authenticate).toBe(1);
    logs.expectNoSecrets(session.sessionToken, session.sessionJwt, issuer.secret);
  });

  it('one call for many concurrent requests with the same new token', async () => {
    const session = issuer.registerSession();
    issuer.resetCounters();
    const contexts = await Promise.all(Array.from({ length: 200 }, () => auth.authenticate(session.sessionToken)));
    expect(new Set(contexts.map((c) => c.memberId)).size).toBe(1);
    expect(issuer.requests.authenticate).toBe(1);
  });

  it('maps a session Stytch rejects (404 session_not_found) to 401 session_invalid, remembered briefly', async () => {
    const session = issuer.registerSession();
    issuer.revokeSession(session.sessionToken);
    issuer.resetCounters();
    const error = await rejection(auth.authenticate(session.sessionToken));
    expect(error.code).toBe('session_invalid');
    expect(error.status).toBe(401);
    expect(error.reason).toBe('Stytch answered 404 session_not_found');
    // Remembered for remote.negativeCacheTtlSec: the same answer, without a second call.
    const again = await rejection(auth.authenticate(session.sessionToken));
    expect(again.code).toBe('session_invalid');
    expect(issuer.requests.authenticate).toBe(1);
    logs.expectNoSecrets(session.sessionToken);
  });

  it('retries a 500 and succeeds when Stytch recovers', async () => {
    const session = issuer.registerSession();
    issuer.resetCounters();
    issuer.failAuthenticate({ status: 500, times: 1 });
    const ctx = await auth.authenticate(session.sessionToken);
    expect(ctx.memberId).toBe(session.memberId);
    expect(issuer.requests.authenticate).toBe(2);
  });

  it.each([
    ['500', { status: 500 }],
    ['a timeout', { mode: 'timeout' as const }],
    ['malformed JSON', { mode: 'malformed-json' as const }],
    ['a connection reset', { mode: 'reset' as const }],
    ['a 200 without member_session', { status: 200, body: { member: { member_id: 'member-test-x' } } }],
  ])('answers 503 stytch_unavailable after bounded retries on %s, and never accepts', async (_name, failure) => {
    const session = issuer.registerSession();
    issuer.resetCounters();
    issuer.failAuthenticate({ ...failure, times: Number.POSITIVE_INFINITY });
    const error = await rejection(auth.authenticate(session.sessionToken));
    expect(error.code).toBe('stytch_unavailable');
    expect(error.status).toBe(503);
    expect(issuer.requests.authenticate).toBe(3);
    issuer.clearFailures();
    logs.expectNoSecrets(session.sessionToken);
  });

  it('does not retry a 429: one call, 503 stytch_unavailable with the reason, then no call while backing off', async () => {
    // An Auth of its own, so the back-off stays out of the other cases.
    const limited = createAuth({ stytch: issuer.authOptions, remote: { retries: 2 }, logger: logs.logger });
    issuer.resetCounters();
    issuer.failAuthenticate({ status: 429, headers: { 'retry-after': '30' }, times: Number.POSITIVE_INFINITY });
    const error = await rejection(limited.authenticate(issuer.registerSession().sessionToken));
    expect(error.code).toBe('stytch_unavailable');
    expect(error.reason).toBe('Stytch answered 429; no call for 30 s');
    expect(issuer.requests.authenticate).toBe(1);
    issuer.clearFailures();
    const refused = await rejection(limited.authenticate(issuer.registerSession().sessionToken));
    expect(refused.code).toBe('stytch_unavailable');
    expect(refused.reason).toMatch(/^not called: Stytch asked us to wait \(429\), (29|30) s left$/);
    expect(issuer.requests.authenticate).toBe(1);
    await limited.close();
  });

  it('does not retry a client error', async () => {
    issuer.resetCounters();
    issuer.failAuthenticate({ status: 400, times: 5 });
    const error = await rejection(auth.authenticate(`sess_tok_${'q'.repeat(44)}`));
    expect(error.code).toBe('session_invalid');
    expect(issuer.requests.authenticate).toBe(1);
    issuer.clearFailures();
  });

  it('treats wrong project credentials as an outage (503), not as a bad session', async () => {
    const wrong = createAuth({ stytch: { ...issuer.authOptions, secret: 'secret-test-wrong' }, logger: logs.logger });
    const session = issuer.registerSession();
    const error = await rejection(wrong.authenticate(session.sessionToken));
    expect(error.code).toBe('stytch_unavailable');
    expect(logs.find('Stytch rejected the project credentials', 'error').length).toBeGreaterThan(0);
    logs.expectNoSecrets('secret-test-wrong', session.sessionToken);
  });

  it('refuses opaque tokens when no secret is configured', async () => {
    const jwtOnly = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl } });
    issuer.resetCounters();
    const error = await rejection(jwtOnly.authenticate(issuer.registerSession().sessionToken));
    expect(error.code).toBe('token_unsupported');
    expect(issuer.requests.authenticate).toBe(0);
  });
});

describe('expired session JWTs and Stytch', () => {
  it('renews a genuine expired JWT through Stytch and hands back the fresh JWT', async () => {
    const issuer = await createTestIssuer();
    const auth = createAuth({ stytch: issuer.authOptions });
    const session = issuer.registerSession({ memberId: 'member-test-renew' });
    const expired = issuer.expiredSessionJwt({ sessionId: session.sessionId });
    const result = await auth.authenticateRequestWithResult({ authorization: `Bearer ${expired}` });
    expect(result.context.memberId).toBe('member-test-renew');
    expect(result.refreshedSessionJwt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result.refreshedSessionJwt).not.toBe(expired);
    // The fresh JWT verifies locally on its own.
    const fresh = await auth.authenticate(result.refreshedSessionJwt as string);
    expect(fresh.memberId).toBe('member-test-renew');
    await issuer.close();
  });

  it('answers token_expired when the session behind an expired JWT is gone', async () => {
    const issuer = await createTestIssuer();
    const auth = createAuth({ stytch: issuer.authOptions });
    const session = issuer.registerSession();
    issuer.revokeSession(session.sessionToken);
    const error = await rejection(auth.authenticate(issuer.expiredSessionJwt({ sessionId: session.sessionId })));
    expect(error.code).toBe('token_expired');
    await issuer.close();
  });

  it.each([
    ['forged (wrong key)', (i: Awaited<ReturnType<typeof createTestIssuer>>) => i.wrongKeySessionJwt({ expiresInSec: -600 })],
    ['mis-addressed (wrong aud)', (i: Awaited<ReturnType<typeof createTestIssuer>>) => i.expiredSessionJwt({ audience: 'project-test-other' })],
    ['mis-issued (wrong iss)', (i: Awaited<ReturnType<typeof createTestIssuer>>) => i.expiredSessionJwt({ issuer: 'evil.example' })],
    ['alg none', (i: Awaited<ReturnType<typeof createTestIssuer>>) => i.expiredSessionJwt({ header: { alg: 'none' } })],
  ])('never calls Stytch for a %s expired JWT', async (_name, make) => {
    const issuer = await createTestIssuer();
    const auth = createAuth({ stytch: issuer.authOptions });
    const error = await rejection(auth.authenticate(make(issuer)));
    expect(error.code).toBe('token_invalid');
    expect(issuer.requests.authenticate).toBe(0);
    await issuer.close();
  });
});
