/**
 * `auth.authenticate(token)` — the entry point for tokens that do not come in an
 * `Authorization` header (a cookie, a WebSocket handshake) — must refuse what the header path
 * refuses: a huge value, characters outside base64url, an empty string, without calling Stytch.
 * `authenticate()` applies the checks of the header's token (`checkBearerToken`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../support/log-capture.js';

let issuer: TestIssuer;
let auth: Auth;
const logs = captureLogs();

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuth({ stytch: issuer.authOptions, remote: { retries: 0, timeoutMs: 2_000 }, logger: logs.logger });
});
afterAll(async () => {
  await auth?.close();
  await issuer?.close();
});

async function refusal(token: string): Promise<{ code: string; remoteCalls: number }> {
  const before = issuer.requests.authenticate;
  try {
    await auth.authenticate(token);
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return { code: (error as AuthError).code, remoteCalls: issuer.requests.authenticate - before };
  }
  throw new Error('accepted');
}

describe('auth.authenticate() with values no header would let through', () => {
  it('never throws anything but an AuthError and never accepts them (holds today)', async () => {
    for (const token of ['', ' ', 'x'.repeat(2_000_000), '$where', '{"$ne":null}', 'Bearer x', 'a\u0000b'.repeat(10), '\u{1F600}'.repeat(30)]) {
      const { code } = await refusal(token);
      expect(['token_missing', 'token_malformed', 'session_invalid', 'stytch_unavailable']).toContain(code);
    }
    logs.expectNoSecrets('x'.repeat(40), '{"$ne":null}');
  });

  const cases: [string, string, string][] = [
    ['an empty string', '', 'token_missing'],
    ['2 MB of x', 'x'.repeat(2_000_000), 'token_malformed'],
    ['an operator-looking string', '$where-this-is-not-a-token', 'token_malformed'],
    ['JSON', '{"$ne":null,"padding":"xxxxxxxx"}', 'token_malformed'],
    ['a whole header value', `Bearer ${'a'.repeat(40)}`, 'token_malformed'],
  ];
  it.each(cases)('%s → 401 %s, no call to Stytch', async (_name, token, code) => {
    expect(await refusal(token)).toEqual({ code, remoteCalls: 0 });
  });
});
