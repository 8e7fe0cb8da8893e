/**
 * Every refused token leaves one DEBUG "Token rejected" line that explains it: the code, the
 * precise reason (signature, which claim, unknown kid, algorithm, expired by how long), the
 * token's fingerprint and the request id — and never the token, nor any long piece of it.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { rejection } from '../support/errors.js';

const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 12);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let issuer: TestIssuer;
let auth: Auth;
let logs: CapturedLog;

beforeAll(async () => {
  issuer = await createTestIssuer();
  logs = captureLogs();
  // No secret: an expired JWT is refused locally. Long cooldown: an unknown kid refetches nothing.
  auth = createAuth({
    stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
    jwt: { maxTokenAgeSec: 3_600 },
    jwks: { cooldownMs: 3_600_000 },
    logger: logs.logger,
  });
  await auth.authenticate(issuer.sessionJwt());
});
afterAll(async () => {
  await auth.close();
  await issuer.close();
});

type Case = [name: string, make: (i: TestIssuer) => string, code: string, reason: RegExp];

const nowSec = () => Math.floor(Date.now() / 1000);

const CASES: Case[] = [
  ['bad signature', (i) => i.wrongKeySessionJwt(), 'token_invalid', /^signature verification failed$/],
  ['wrong aud', (i) => i.sessionJwt({ audience: 'project-test-someone-else' }), 'token_invalid', /^claim aud mismatch$/],
  ['wrong iss', (i) => i.sessionJwt({ issuer: 'stytch.com/project-test-someone-else' }), 'token_invalid', /^claim iss mismatch$/],
  ['sub missing', (i) => i.sessionJwt({ claims: { sub: undefined } }), 'token_invalid', /^claim sub missing$/],
  ['exp a string', (i) => i.sessionJwt({ claims: { exp: String(nowSec() + 300) } }), 'token_invalid', /^claim exp invalid/],
  ['typ missing', (i) => i.sessionJwt({ header: { typ: undefined } }), 'token_invalid', /^typ missing$/],
  ['typ at+jwt', (i) => i.sessionJwt({ header: { typ: 'at+jwt' } }), 'token_invalid', /^typ at\+jwt not accepted/],
  ['alg HS256', (i) => i.sessionJwt({ header: { alg: 'HS256' } }), 'token_invalid', /^alg HS256 not allowed/],
  ['alg none', (i) => i.sessionJwt({ header: { alg: 'none' } }), 'token_invalid', /^alg none not allowed/],
  ['unknown kid', (i) => i.sessionJwt({ header: { kid: 'jwk-test-not-published' } }), 'token_invalid', /^unknown kid jwk-test-not-published$/],
  ['unknown kid 4000 characters long', (i) => i.sessionJwt({ header: { kid: 'k'.repeat(4000) } }), 'token_invalid', /^unknown kid \(not shown: not a short id\)$/],
  ['expired', (i) => i.sessionJwt({ issuedAt: nowSec() - 400, expiresAt: nowSec() - 73 }), 'token_expired', /expired/],
  ['not yet valid', (i) => i.sessionJwt({ notBefore: nowSec() + 600 }), 'token_not_yet_valid', /^not valid for another 6\d\d s \(nbf\)$/],
  ['too old', (i) => i.sessionJwt({ issuedAt: nowSec() - 7_200, expiresAt: nowSec() + 60 }), 'token_too_old', /^issued 720\d s ago, over jwt\.maxTokenAgeSec 3600$/],
  ['sub a $ operator', (i) => i.sessionJwt({ memberId: '$where' }), 'token_invalid', /^claim sub is not a Stytch id$/],
  ['organization claim missing', (i) => i.sessionJwt({ claims: { 'https://stytch.com/organization': undefined } }), 'token_invalid', /^claim https:\/\/stytch\.com\/organization\.organization_id is not a Stytch id$/],
  ['no session claim', (i) => i.sessionJwt({ claims: { 'https://stytch.com/session': undefined, scope: 'openid' } }), 'token_invalid', /^no session claim/],
  [
    'crit naming an attacker-chosen extension',
    (i) => i.sessionJwt({ header: { crit: ['x-evil-extension-name-that-goes-on-and-on'], 'x-evil-extension-name-that-goes-on-and-on': 1 } }),
    'token_invalid',
    /^unsupported JWS header \(crit\)$/,
  ],
  ['garbage JSON header', () => `${Buffer.from('{not json').toString('base64url')}.${b64({ sub: 'x' })}.c2lnbmF0dXJl`, 'token_invalid', /^malformed JWS/],
];

describe('one DEBUG line per refused token, with the precise reason', () => {
  it.each(CASES)('%s', async (_name, make, code, reason) => {
    const token = make(issuer);
    logs.clear();
    const error = await rejection(auth.authenticateRequest({ authorization: `Bearer ${token}` }, { requestId: 'req-7f3a' }));
    expect(error.code).toBe(code);
    const lines = logs.find('Token rejected');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 20, code, tokenFingerprint: fingerprint(token), reqId: 'req-7f3a' });
    expect(String(line?.reason)).toMatch(reason);
    // The reason is for operators, never for the client.
    expect(JSON.stringify(error.body)).not.toContain(String(line?.reason));
    logs.expectNoSecrets(token);
  });

  it('header refusals say why too (no token, so no fingerprint)', async () => {
    for (const [header, code, reason] of [
      [undefined, 'token_missing', /no Authorization header/],
      ['Basic dXNlcjpwYXNz', 'scheme_invalid', /scheme is not Bearer/],
      ['Bearer abc', 'token_malformed', /shorter than 20/],
      [`Bearer ${'a'.repeat(30)}!`, 'token_malformed', /outside \[A-Za-z0-9_.-\]/],
      [`Bearer ${'a'.repeat(17_000)}`, 'token_malformed', /header longer than 16384/],
    ] as const) {
      logs.clear();
      const error = await rejection(auth.authenticateRequest(header === undefined ? {} : { authorization: header }));
      expect(error.code).toBe(code);
      const [line] = logs.find('Token rejected', 'debug');
      expect(String(line?.reason)).toMatch(reason);
      expect(line?.tokenFingerprint).toBeUndefined();
    }
  });
});
