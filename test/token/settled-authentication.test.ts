/**
 * The synchronous warm answer the adapters use (`settledAuthentication`, issue 15): it answers
 * only what `authenticateRequestWithResult` would answer from memory, with the same context,
 * and leaves everything else (a cold token, a token differing in any byte, two Authorization
 * headers, cookies or M2M tokens, a closed Auth) to the promise way, which answers the errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthResult } from 'ayz-auth';
import { settledAuthentication } from 'ayz-auth/internal';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { rejection } from '../support/errors.js';

let issuer: TestIssuer;
let auth: Auth;
let token: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  token = issuer.sessionJwt({ memberId: 'member-test-settled', expiresInSec: 600 });
});
afterAll(async () => {
  await auth.close();
  await issuer.close();
});

/** The context without its per-request timestamp. */
const sameAs = (r: AuthResult | undefined) => {
  if (r === undefined) return undefined;
  const { authenticatedAt: _at, ...rest } = r.context;
  return { ...rest, refreshedSessionJwt: r.refreshedSessionJwt };
};

describe('settledAuthentication', () => {
  it('is undefined for a token not verified yet, then the very result of the promise way', async () => {
    const settled = settledAuthentication(auth);
    const headers = { authorization: `Bearer ${token}` };
    expect(settled(headers, undefined)).toBeUndefined();
    const full = await auth.authenticateRequestWithResult(headers);
    const warm = settled(headers, undefined);
    expect(warm).toBeDefined();
    expect(sameAs(warm)).toEqual(sameAs(full));
    expect(warm?.context.memberId).toBe('member-test-settled');
    expect(Object.isFrozen(warm?.context)).toBe(true);
  });

  it('leaves to the promise way every header the full checks would refuse or read otherwise', async () => {
    const settled = settledAuthentication(auth);
    await auth.authenticateRequestWithResult({ authorization: `Bearer ${token}` });
    const refused: [string, Record<string, string | string[]>, string][] = [
      ['one more byte', { authorization: `Bearer ${token}A` }, 'token_invalid'],
      ['two Authorization headers', { authorization: [`Bearer ${token}`, `Bearer ${token}`] }, 'token_multiple'],
      ['another scheme', { authorization: `Basic ${token}` }, 'scheme_invalid'],
      ['no header', {}, 'token_missing'],
    ];
    for (const [what, headers, code] of refused) {
      expect(settled(headers, undefined), what).toBeUndefined();
      // The promise way refuses it, with its own code.
      expect((await rejection(auth.authenticateRequestWithResult(headers))).code, what).toBe(code);
    }
    // Not bearer-shaped (two spaces): the full header checks decide, never the shortcut.
    expect(settled({ authorization: `Bearer  ${token}` }, undefined)).toBeUndefined();
    // M2M accepted on the route: its own path (no shortcut).
    expect(settled({ authorization: `Bearer ${token}` }, ['session', 'm2m'])).toBeUndefined();
  });

  it('is undefined with cookies as a token source, and after close()', async () => {
    const withCookies = createAuth({ stytch: issuer.authOptions, logLevel: 'silent', tokenFrom: ['header', 'cookie'] });
    const headers = { authorization: `Bearer ${token}` };
    await withCookies.authenticateRequestWithResult(headers);
    expect(settledAuthentication(withCookies)(headers, undefined)).toBeUndefined();
    await withCookies.close();

    const closing = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    await closing.authenticateRequestWithResult(headers);
    expect(settledAuthentication(closing)(headers, undefined)).toBeDefined();
    await closing.close();
    expect(settledAuthentication(closing)(headers, undefined)).toBeUndefined();
  });
});
