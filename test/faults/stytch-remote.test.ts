/**
 * Stytch `sessions/authenticate` failing: 5xx, a hang, malformed JSON, a reset, a 200 of the
 * wrong shape. Through the real Express adapter: bounded retries (1 + `remote.retries`
 * attempts, each under `remote.timeoutMs`), then 503 `stytch_unavailable`; a 429 is a 503 at
 * the first answer, never retried; a 4xx is a 401 at the first answer, with no retry; a
 * failure is never cached and never an accepted session.
 */
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, type AuthenticateFailure, type RegisteredSession, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { startExpress } from '../adapters/express/express-app.js';

const REMOTE = { timeoutMs: 300, retries: 2, cacheTtlSec: 300 };
const ATTEMPTS = REMOTE.retries + 1;
// every attempt may take its whole timeout, plus the two backoffs (≤ 100 + 200 ms), plus slack
const WORST_MS = ATTEMPTS * REMOTE.timeoutMs + 300 + 1_500;

let issuer: TestIssuer;
let auth: Auth;
let logs: CapturedLog;
let url: string;
let close: () => Promise<void>;
const secrets: string[] = [];
const failedTokens: { session: RegisteredSession; token: string }[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
  logs = captureLogs();
  auth = createAuth({ stytch: issuer.authOptions, remote: REMOTE, logger: logs.logger });
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    res.json(getAuth(req));
  });
  const server = await startExpress(app);
  url = server.url;
  close = server.close;
  secrets.push(issuer.secret);
});

afterAll(async () => {
  await close?.();
  await auth?.close();
  await issuer?.close();
});

beforeEach(() => {
  issuer.clearFailures();
});

function session(): RegisteredSession {
  const s = issuer.registerSession({ memberId: `member-test-remote-${secrets.length}`, organizationId: 'organization-test-remote' });
  secrets.push(s.sessionToken, s.sessionJwt);
  return s;
}

async function call(token: string): Promise<{ res: HttpResponse; attempts: number; ms: number }> {
  const before = issuer.requests.authenticate;
  const started = performance.now();
  const res = await httpRequest(`${url}/me`, { headers: bearer(token) });
  return { res, attempts: issuer.requests.authenticate - before, ms: performance.now() - started };
}

const transient: [string, AuthenticateFailure][] = [
  ['HTTP 500', { status: 500 }],
  ['HTTP 502', { status: 502, body: '<html>Bad Gateway</html>' }],
  ['HTTP 503', { status: 503 }],
  ['a timeout (no answer)', { mode: 'timeout' }],
  ['malformed JSON (200)', { mode: 'malformed-json' }],
  ['a connection reset', { mode: 'reset' }],
  ['a 200 of the wrong shape', { status: 200, body: { status_code: 200, member: { member_id: 'member-test-remote-x' } } }],
  ['a 200 with the member id as an operator object', { status: 200, body: { member_session: { member_session_id: 's', member_id: { $ne: null }, organization_id: 'organization-test-remote' }, member: { member_id: { $ne: null } } } }],
];

describe('transient failures on every attempt', () => {
  it.each(transient)('%s → bounded retries, then 503 stytch_unavailable', async (_name, failure) => {
    const s = session();
    issuer.failAuthenticate({ ...failure, times: ATTEMPTS });
    const { res, attempts, ms } = await call(s.sessionToken);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(res.headers['retry-after']).toBe('5');
    expect(attempts).toBe(ATTEMPTS);
    expect(ms).toBeLessThan(WORST_MS);
    failedTokens.push({ session: s, token: s.sessionToken });
  });

  it('an expired JWT of a live session while Stytch fails → 503, not 200 and not token_expired', async () => {
    const s = session();
    const expired = issuer.expiredSessionJwt({ sessionId: s.sessionId });
    secrets.push(expired);
    issuer.failAuthenticate({ status: 500, times: ATTEMPTS });
    const { res, attempts } = await call(expired);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(attempts).toBe(ATTEMPTS);
    expect(res.headers['stytch-session-jwt']).toBeUndefined();
  });
});

describe('transient failures that clear before the retries run out', () => {
  it.each(transient.slice(0, 6))('%s then success → 200 with the right member', async (_name, failure) => {
    const s = session();
    issuer.failAuthenticate({ ...failure, times: ATTEMPTS - 1 });
    const { res, attempts } = await call(s.sessionToken);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ memberId: s.memberId, stytchOrgId: s.organizationId, sessionId: s.sessionId });
    expect(attempts).toBe(ATTEMPTS);
  });
});

describe('Stytch rejects: one attempt, a 401 (or 503 for our own bad credentials)', () => {
  it('a revoked session → 401 session_invalid without retry', async () => {
    const s = session();
    issuer.revokeSession(s.sessionToken);
    const { res, attempts } = await call(s.sessionToken);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 401, error: 'session_invalid' });
    expect(attempts).toBe(1);
  });

  it('an unknown opaque token → 401 session_invalid without retry', async () => {
    const token = `sess_tok_${'Z'.repeat(44)}`;
    const { res, attempts } = await call(token);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 401, error: 'session_invalid' });
    expect(attempts).toBe(1);
  });

  it('a 400 whose body is malformed JSON → 401 session_invalid without retry', async () => {
    const s = session();
    issuer.failAuthenticate({ mode: 'malformed-json', status: 400, times: ATTEMPTS });
    const { res, attempts } = await call(s.sessionToken);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 401, error: 'session_invalid' });
    expect(attempts).toBe(1);
  });

  it('401 unauthorized_credentials (our project secret is wrong) → 503 stytch_unavailable, logged at ERROR', async () => {
    const s = session();
    issuer.failAuthenticate({ status: 401, body: { status_code: 401, error_type: 'unauthorized_credentials', error_message: 'x' } });
    const { res, attempts } = await call(s.sessionToken);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(attempts).toBe(1);
    expect(logs.find('Stytch rejected the project credentials', 'error').length).toBeGreaterThan(0);
  });
});

describe('Stytch rate-limits us (429)', () => {
  it('one attempt, 503 stytch_unavailable, a WARN with the back-off; and no call while it runs', async () => {
    // An Auth of its own: its back-off must not reach the other cases of this file.
    const own = createAuth({ stytch: issuer.authOptions, remote: REMOTE, logger: logs.logger });
    const app = express();
    app.get('/me', verifyAuth(own), (req, res) => {
      res.json(getAuth(req));
    });
    const server = await startExpress(app);
    try {
      const s = session();
      issuer.failAuthenticate({ status: 429, headers: { 'retry-after': '1' }, times: ATTEMPTS });
      const before = issuer.requests.authenticate;
      const res = await httpRequest(`${server.url}/me`, { headers: bearer(s.sessionToken) });
      expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'stytch_unavailable' });
      expect(issuer.requests.authenticate - before).toBe(1);
      expect(logs.find('Stytch rate-limited sessions/authenticate (429)', 'warn').at(-1)).toMatchObject({ backOffSec: 1 });
      const again = await httpRequest(`${server.url}/me`, { headers: bearer(s.sessionToken) });
      expect(again.status).toBe(503);
      expect(issuer.requests.authenticate - before).toBe(1);
    } finally {
      issuer.clearFailures();
      await server.close();
      await own.close();
    }
  });
});

describe('after the faults', () => {
  it('no failure was cached: every session that met an outage is accepted now, as itself', async () => {
    expect(failedTokens.length).toBe(transient.length);
    for (const { session: s, token } of failedTokens) {
      const { res, attempts } = await call(token);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ memberId: s.memberId, sessionId: s.sessionId });
      expect(attempts).toBe(1);
    }
  });

  it('no token, JWT or secret in any log line', () => {
    logs.expectNoSecrets(...secrets);
    // …but the failures were logged, with a fingerprint only
    expect(logs.find('Stytch sessions/authenticate failed', 'warn').length).toBeGreaterThanOrEqual(transient.length * ATTEMPTS);
  });
});
