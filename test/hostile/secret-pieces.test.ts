/**
 * The "no piece of a token in any log line or response" check itself (test/support/log-capture.ts).
 * It once looked only for the whole token and its last 20–24 characters, so a fingerprint that
 * logged the token's first half, or all but its last character, passed. Here real pino lines
 * and a real Fastify app's own request logging carry such pieces, and the check must fail.
 */
import fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { httpRequest } from '../adapters/http-client.js';
import { captureLogs, expectNoSecretIn, findSecretPiece, publicPrefixLength, SECRET_WINDOW } from '../support/log-capture.js';

let issuer: TestIssuer;
let token: string;
let other: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  token = issuer.sessionJwt({ memberId: 'member-test-pieces', organizationId: 'organization-test-pieces' });
  other = issuer.sessionJwt({ memberId: 'member-test-pieces-2', organizationId: 'organization-test-pieces' });
});
afterAll(() => issuer?.close());

/** Fails when `check` does not fail (vitest's expect.fail throws an AssertionError). */
function expectCaught(check: () => void): void {
  expect(check).toThrow(/secret #\d+ \(sha256 [0-9a-f]{12}/);
}

describe('expectNoSecrets catches any piece of a token in a log line', () => {
  const pieces: [string, (t: string) => string][] = [
    ['the first half', (t) => t.slice(0, Math.ceil(t.length / 2))],
    ['all but the last character', (t) => t.slice(0, -1)],
    ['all but the first character', (t) => t.slice(1)],
    ['the signature alone', (t) => t.split('.')[2]!],
    ['16 characters from the middle of the payload', (t) => t.slice(t.indexOf('.') + 40, t.indexOf('.') + 40 + SECRET_WINDOW)],
    ['the header and the first payload character', (t) => t.slice(0, t.indexOf('.') + 2)],
  ];

  it.each(pieces)('%s, logged as a "fingerprint"', (_what, piece) => {
    const logs = captureLogs();
    logs.logger.info({ fingerprint: piece(token) }, 'token refused');
    expectCaught(() => logs.expectNoSecrets(other, token));
  });

  it('the message names the secret by index and hash, never by its text', () => {
    const logs = captureLogs();
    logs.logger.warn({ fp: token.slice(0, -1) }, 'x');
    let message = '';
    try {
      logs.expectNoSecrets(token);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^the logs: characters \d+\.\.\d+ of secret #0/);
    expect(findSecretPiece(message, [token])).toBeNull();
  });

  it('passes clean output: the claims in plain text, the library’s real fingerprint, a 15-character piece', () => {
    const logs = captureLogs();
    logs.logger.info({ memberId: 'member-test-pieces', orgId: 'organization-test-pieces' }, 'claims as the library logs them');
    logs.logger.info({ fingerprint: 'a1b2c3d4e5f6' }, 'refused');
    logs.logger.info({ piece: token.slice(200, 200 + SECRET_WINDOW - 1) }, 'shorter than a window');
    expect(() => logs.expectNoSecrets(token)).not.toThrow();
  });

  it('does not look for the JWS header alone (public: same for every token of a key, kid in the JWKS)', () => {
    const header = token.split('.')[0]!;
    expect(publicPrefixLength(token)).toBe(header.length + 1);
    expect(token.startsWith(`${other.split('.')[0]}.`)).toBe(true); // shared by both tokens
    const logs = captureLogs();
    logs.logger.info({ header }, 'header segment');
    expect(() => logs.expectNoSecrets(token)).not.toThrow();
    // A string that is not a JWS is looked for from its first character.
    expect(publicPrefixLength(`${header}x`)).toBe(0);
    expect(findSecretPiece(`..${'k'.repeat(SECRET_WINDOW)}..`, [`opaque-${'k'.repeat(40)}`])).not.toBeNull();
  });
});

describe('the same check on a framework’s own log lines and on responses', () => {
  it('a Fastify app logging a piece of the Authorization header in its own request log is caught', async () => {
    const logs = captureLogs();
    const app = fastify({ loggerInstance: logs.logger });
    // A careless hook: the framework's logger gets the header minus its last character.
    app.addHook('onRequest', async (request) => {
      request.log.info({ auth: String(request.headers.authorization).slice(7, -1) }, 'incoming');
    });
    app.get('/', async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await httpRequest(`${url}/`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expectCaught(() => logs.expectNoSecrets(token));
    } finally {
      await app.close();
    }
  });

  it('a response body or header echoing part of the token is caught', () => {
    expectCaught(() => expectNoSecretIn('body', JSON.stringify({ error: 'token_invalid', hint: token.slice(0, token.length / 2) }), [token]));
    expectCaught(() => expectNoSecretIn('headers', JSON.stringify({ 'x-debug': token.slice(-30, -1) }), [token]));
    expect(() => expectNoSecretIn('body', JSON.stringify({ error: 'token_invalid' }), [token])).not.toThrow();
  });

  it('scans long output once, whatever the number of secrets', () => {
    const secrets = Array.from({ length: 50 }, (_, i) => issuer.sessionJwt({ memberId: `member-test-many-${i}`, organizationId: 'organization-test-pieces' }));
    const text = 'x'.repeat(500_000) + secrets[37]!.slice(300, 300 + SECRET_WINDOW);
    expect(findSecretPiece(text, secrets)).toMatchObject({ secret: 37, offsetInSecret: 300, offsetInText: 500_000 });
  });
});
