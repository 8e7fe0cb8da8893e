/**
 * Each `Auth` owns its JWKS key store: two services of one process that name the same JWKS
 * address with different `jwks.timeoutMs` and loggers each fetch with their own timeout and
 * report to their own logger (no first-creator-wins registry keyed by the address).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AuthError, createAuth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../support/log-capture.js';

let issuer: TestIssuer;
beforeAll(async () => {
  // Slow enough that both configured timeouts expire first.
  issuer = await createTestIssuer({ slowMs: 3_000 });
});
afterAll(async () => {
  await issuer?.close();
});

it('two Auths with the same JWKS address and different jwks.timeoutMs / logger each keep their own', async () => {
  issuer.setJwksMode('slow');
  const url = issuer.jwksUrl;
  const first = captureLogs();
  const second = captureLogs();
  const stytch = { projectId: issuer.projectId, baseUrl: issuer.baseUrl };
  const a = createAuth({ stytch, jwks: { url, timeoutMs: 150 }, logger: first.logger });
  const b = createAuth({ stytch, jwks: { url, timeoutMs: 250 }, logger: second.logger });
  try {
    const jwt = issuer.sessionJwt({ memberId: 'member-test-per-auth', organizationId: 'organization-test-per-auth' });
    for (const auth of [a, b]) {
      const error = await auth.authenticate(jwt).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe('jwks_unavailable');
    }
    const failureOf = (log: typeof first) => log.find('JWKS fetch failed and no keys are cached', 'error').map((r) => r.reason);
    expect(failureOf(first)).toEqual(['timed out after 150 ms']);
    expect(failureOf(second)).toEqual(['timed out after 250 ms']);
    // two stores, two fetches: neither Auth's fetch answered the other
    expect(issuer.requests.jwks).toBe(2);
  } finally {
    issuer.setJwksMode('ok');
    await a.close();
    await b.close();
  }
});
