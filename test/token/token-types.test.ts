/**
 * Stytch signs other tokens with the project's session keys: Connected App (OAuth) access
 * tokens and M2M access tokens carry the same `iss`, `aud` and `typ: JWT`, and a Connected App
 * token even names the member (`sub`) and the organization. Only a token with the session
 * claim is a member session (RFC 8725 §3.11–3.12: keep token types apart); the others are
 * `token_invalid`, locally, before any renewal through Stytch.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest } from '../adapters/http-client.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { rejection } from '../support/errors.js';
import { startMeApp, type MeApp } from './express-me-app.js';

const SESSION_CLAIM = 'https://stytch.com/session';
const ORG_CLAIM = 'https://stytch.com/organization';
const MEMBER = 'member-test-2f1b9c1e-5d3a-4e77-9c55-0b3f4c1a7e10';
const ORG = 'organization-test-0c7d7c4e-8a1e-4b2f-b1f3-3f4e5d6c7b8a';

let issuer: TestIssuer;
let auth: Auth;
let app: MeApp;
let logs: CapturedLog;
const sent: string[] = [];
const keep = (t: string) => (sent.push(t), t);

/**
 * A Connected App access token as Stytch documents it (`iss`, `sub`, `aud`, `client_id`,
 * `exp`, `nbf`, `iat`, `jti`, `scope`), with the B2B organization claim, signed by the
 * project's own key: everything a session JWT has except the session claim.
 */
function connectedAppAccessToken(times: { issuedAt?: number; expiresAt?: number } = {}): string {
  return keep(
    issuer.sessionJwt({
      memberId: MEMBER,
      organizationId: ORG,
      ...times,
      claims: {
        [SESSION_CLAIM]: undefined,
        client_id: `connected-app-test-${randomUUID()}`,
        scope: 'openid email profile phone',
        jti: randomUUID().replace(/-/g, ''),
      },
    }),
  );
}

/** An M2M access token as Stytch documents it: `sub` is the client, `scope`, no session, no organization. */
function m2mAccessToken(): string {
  return keep(
    issuer.sessionJwt({
      claims: {
        sub: `m2m-client-test-${randomUUID()}`,
        scope: 'read:users write:users',
        [SESSION_CLAIM]: undefined,
        [ORG_CLAIM]: undefined,
      },
    }),
  );
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  logs = captureLogs();
  // With a secret: an expired token of another type must not be "renewed" through Stytch.
  auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
  app = await startMeApp(auth);
});
afterAll(async () => {
  await app.close();
  await auth.close();
  await issuer.close();
});
afterEach(() => logs.expectNoSecrets(...sent, issuer.secret));

describe('tokens that are not member sessions', () => {
  it('control: a session JWT of the same member is accepted over HTTP', async () => {
    const res = await httpRequest(app.meUrl, { headers: bearer(keep(issuer.sessionJwt({ memberId: MEMBER, organizationId: ORG }))) });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ memberId: MEMBER, stytchOrgId: ORG });
  });

  it('a Connected App access token is 401 token_invalid over HTTP, with no call to Stytch', async () => {
    issuer.resetCounters();
    const res = await httpRequest(app.meUrl, { headers: bearer(connectedAppAccessToken()) });
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 401, error: 'token_invalid' });
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('an expired Connected App access token is token_invalid, never renewed through Stytch', async () => {
    issuer.resetCounters();
    const now = Math.floor(Date.now() / 1000);
    const res = await httpRequest(app.meUrl, { headers: bearer(connectedAppAccessToken({ issuedAt: now - 4000, expiresAt: now - 400 })) });
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 401, error: 'token_invalid' });
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('an M2M access token is 401 token_invalid over HTTP, with no call to Stytch', async () => {
    issuer.resetCounters();
    const res = await httpRequest(app.meUrl, { headers: bearer(m2mAccessToken()) });
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 401, error: 'token_invalid' });
    expect(issuer.requests.authenticate).toBe(0);
  });

  it.each([
    ['a string', 'member-session-test-x'],
    ['an array', [{ id: 'member-session-test-x' }]],
    ['null', null],
    ['an object without id', { roles: ['stytch_member'] }],
    ['an object whose id is a number', { id: 5 }],
    ['an object whose id is empty', { id: '' }],
    ['an object whose id is an object', { id: { $ne: null } }],
  ])('a session claim that is %s is token_invalid', async (_name, value) => {
    const error = await rejection(auth.authenticate(keep(issuer.sessionJwt({ claims: { [SESSION_CLAIM]: value } }))));
    expect(error.code).toBe('token_invalid');
  });

  it('the DEBUG line says why: no session claim', async () => {
    logs.clear();
    await rejection(auth.authenticate(connectedAppAccessToken()));
    const [line] = logs.find('Token rejected', 'debug');
    expect(line?.code).toBe('token_invalid');
    expect(String(line?.reason)).toMatch(/session claim/);
  });
});
