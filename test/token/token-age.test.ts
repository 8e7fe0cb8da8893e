/**
 * `jwt.maxTokenAgeSec` against genuinely signed tokens, over a real Express app with a Stytch
 * secret set (so an expired token could be renewed): an expired token that is also too old is
 * `token_too_old` and never reaches Stytch; a token issued in the future is not "too old" but
 * `token_not_yet_valid`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { startMeApp, type MeApp } from './express-me-app.js';

const MAX_AGE_SEC = 600;

let issuer: TestIssuer;
let auth: Auth;
let app: MeApp;
let logs: CapturedLog;
const sent: string[] = [];

const nowSec = () => Math.floor(Date.now() / 1000);
const call = (jwt: string): Promise<HttpResponse> => {
  sent.push(jwt);
  return httpRequest(app.meUrl, { headers: bearer(jwt) });
};
const outcome = (res: HttpResponse) => ({ status: res.status, error: res.json?.error });

beforeAll(async () => {
  issuer = await createTestIssuer();
  logs = captureLogs();
  auth = createAuth({ stytch: issuer.authOptions, jwt: { maxTokenAgeSec: MAX_AGE_SEC }, logger: logs.logger });
  app = await startMeApp(auth);
});
afterAll(async () => {
  await app.close();
  await auth.close();
  await issuer.close();
});
afterEach(() => logs.expectNoSecrets(...sent, issuer.secret));

describe('maxTokenAgeSec', () => {
  it('an expired token older than maxTokenAgeSec is token_too_old, with zero calls to Stytch', async () => {
    // A live session Stytch would happily renew: only the age rule can refuse it.
    const session = issuer.registerSession();
    issuer.resetCounters();
    const res = await call(issuer.sessionJwt({ sessionId: session.sessionId, issuedAt: nowSec() - 3_600, expiresAt: nowSec() - 3_300 }));
    expect(outcome(res)).toEqual({ status: 401, error: 'token_too_old' });
    expect(issuer.requests.authenticate).toBe(0);
    const [line] = logs.find('Token rejected', 'debug').slice(-1);
    expect(String(line?.reason)).toMatch(/issued 360\d s ago/);
  });

  it('control: an expired token younger than maxTokenAgeSec is still renewed through Stytch', async () => {
    const session = issuer.registerSession();
    issuer.resetCounters();
    const res = await call(issuer.sessionJwt({ sessionId: session.sessionId, issuedAt: nowSec() - 400, expiresAt: nowSec() - 100 }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ memberId: session.memberId });
    expect(issuer.requests.authenticate).toBe(1);
  });

  it('an unexpired token older than maxTokenAgeSec is token_too_old', async () => {
    const res = await call(issuer.sessionJwt({ issuedAt: nowSec() - 900, expiresAt: nowSec() + 200 }));
    expect(outcome(res)).toEqual({ status: 401, error: 'token_too_old' });
  });

  it('a token whose iat lies in the future (beyond the leeway) is token_not_yet_valid, not token_too_old', async () => {
    const now = nowSec();
    const res = await call(issuer.sessionJwt({ issuedAt: now + 600, notBefore: now, expiresAt: now + 900 }));
    expect(outcome(res)).toEqual({ status: 401, error: 'token_not_yet_valid' });
    const [line] = logs.find('Token rejected', 'debug').slice(-1);
    expect(String(line?.reason)).toMatch(/iat .*future/);
  });

  it('an expired token whose iat lies in the future is token_not_yet_valid, with zero calls to Stytch', async () => {
    const now = nowSec();
    issuer.resetCounters();
    const res = await call(issuer.sessionJwt({ issuedAt: now + 600, notBefore: now - 100, expiresAt: now - 60 }));
    expect(outcome(res)).toEqual({ status: 401, error: 'token_not_yet_valid' });
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('control: iat a few seconds ahead (inside the 5 s leeway) is accepted', async () => {
    const now = nowSec();
    const res = await call(issuer.sessionJwt({ issuedAt: now + 3, notBefore: now, expiresAt: now + 300 }));
    expect(res.status).toBe(200);
  });
});
