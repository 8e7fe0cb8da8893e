/**
 * Calls to Stytch are bounded, so that a caller without credentials cannot spend the service's
 * Stytch quota: rejections are remembered for `remote.negativeCacheTtlSec`, at most
 * `remote.maxInFlight` calls are in flight per `Auth` (the excess is a 503 at once), a 429 is
 * not retried and its `Retry-After` is honoured, `remote.acceptOpaqueTokens: false` refuses
 * opaque tokens without a call, and rejections reach the INFO log at a bounded rate.
 *
 * Every case goes through a real Express app over loopback HTTP, against the testing kit's
 * loopback Stytch, which measures how many calls it had in flight at once.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuth, type Auth, type RemoteOptions } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { startExpress } from '../adapters/express/express-app.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';

let issuer: TestIssuer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});
beforeEach(() => {
  issuer.clearFailures();
  issuer.resetCounters();
});
afterEach(async () => {
  issuer.releaseAuthenticate();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface App {
  auth: Auth;
  logs: CapturedLog;
  call(token: string): Promise<HttpResponse>;
}

/** A fresh `Auth` (its own caches, limiter and back-off) behind a fresh Express app. */
async function start(remote: RemoteOptions = {}): Promise<App> {
  const logs = captureLogs();
  const auth = createAuth({ stytch: issuer.authOptions, remote: { timeoutMs: 10_000, ...remote }, logger: logs.logger });
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    res.json({ memberId: getAuth(req).memberId });
  });
  const server = await startExpress(app);
  cleanups.push(() => auth.close(), server.close);
  return { auth, logs, call: (token) => httpRequest(`${server.url}/me`, { headers: bearer(token) }) };
}

/** A token Stytch never issued: what an attacker without credentials sends. */
function randomOpaqueToken(): string {
  return `sess_tok_${randomBytes(33).toString('base64url')}`;
}

function outcome(res: HttpResponse): { status: number; error: unknown } {
  return { status: res.status, error: res.json?.error };
}

/** Polls an external condition (the back-off window running out), with a deadline. */
async function eventually(check: () => Promise<boolean>, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('calls in flight are capped per Auth', () => {
  it('200 distinct random opaque tokens at once: at most maxInFlight calls in flight, the excess answered 503 at once', async () => {
    const maxInFlight = 8;
    const flood = 200;
    const { call, logs } = await start({ maxInFlight });
    issuer.holdAuthenticate();

    const answered: HttpResponse[] = [];
    let excessAnswered!: () => void;
    const allExcessAnswered = new Promise<'excess answered'>((resolve) => {
      excessAnswered = () => resolve('excess answered');
    });
    const requests = Array.from({ length: flood }, () =>
      call(randomOpaqueToken()).then((res) => {
        answered.push(res);
        if (answered.length === flood - maxInFlight) excessAnswered();
        return res;
      }),
    );

    // While Stytch holds every call it receives, the excess must be answered without it —
    // and no call beyond the cap may ever reach it.
    const first = await Promise.race([
      allExcessAnswered,
      issuer.whenAuthenticateHeld(maxInFlight + 1).then(() => 'a call beyond maxInFlight reached Stytch' as const),
    ]);
    expect(first).toBe('excess answered');
    expect(issuer.authenticateConcurrency).toMatchObject({ inFlight: maxInFlight, held: maxInFlight });
    for (const res of answered) {
      expect(outcome(res)).toEqual({ status: 503, error: 'stytch_unavailable' });
      expect(res.headers['retry-after']).toBe('5');
    }

    issuer.releaseAuthenticate();
    const all = await Promise.all(requests);
    expect(all.filter((r) => r.status === 401 && r.json?.error === 'session_invalid')).toHaveLength(maxInFlight);
    expect(all.filter((r) => r.status === 503)).toHaveLength(flood - maxInFlight);
    expect(issuer.requests.authenticate).toBe(maxInFlight);
    expect(issuer.authenticateConcurrency.maxInFlight).toBe(maxInFlight);
    // The refusals are explained, once per interval rather than once per request.
    const shed = logs.find('Requests answered 503 without calling Stytch', 'warn');
    expect(shed).toHaveLength(1);
    expect(shed[0]).toMatchObject({ byReason: { in_flight_limit: 1 } });
  });

  it('a slot is given back after every outcome: a success, a rejection and a transient failure each free theirs', async () => {
    const { call } = await start({ maxInFlight: 1, retries: 0 });
    const s = issuer.registerSession();
    expect((await call(s.sessionToken)).status).toBe(200);
    expect(outcome(await call(randomOpaqueToken()))).toEqual({ status: 401, error: 'session_invalid' });
    issuer.failAuthenticate({ status: 500 });
    expect(outcome(await call(randomOpaqueToken()))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(outcome(await call(randomOpaqueToken()))).toEqual({ status: 401, error: 'session_invalid' });
    expect(issuer.requests.authenticate).toBe(4);
  });
});

describe('only what can be a Stytch session token goes to Stytch', () => {
  it('an opaque token far longer than Stytch issues (up to the 16 KB header) is 401 session_invalid with no call', async () => {
    const { call, logs } = await start();
    const tokens = [257, 1_024, 16_000].map((n) => 'a'.repeat(n));
    for (const token of tokens) expect(outcome(await call(token))).toEqual({ status: 401, error: 'session_invalid' });
    expect(issuer.requests.authenticate).toBe(0);
    // A real one, 44 characters like Stytch's, still goes.
    expect(outcome(await call(randomOpaqueToken()))).toEqual({ status: 401, error: 'session_invalid' });
    expect(issuer.requests.authenticate).toBe(1);
    logs.expectNoSecrets(...tokens);
  });
});

describe('rejections are remembered (negativeCacheTtlSec)', () => {
  it('the same bad opaque token 50 times → one call, and the same 401 session_invalid every time', async () => {
    const { call } = await start();
    const token = randomOpaqueToken();
    for (let i = 0; i < 50; i += 1) {
      expect(outcome(await call(token))).toEqual({ status: 401, error: 'session_invalid' });
    }
    expect(issuer.requests.authenticate).toBe(1);
  });

  it('an expired JWT whose session Stytch rejects is remembered as token_expired, the code it first got', async () => {
    const { call } = await start();
    const s = issuer.registerSession();
    issuer.revokeSession(s.sessionToken);
    const expired = issuer.expiredSessionJwt({ sessionId: s.sessionId });
    for (let i = 0; i < 5; i += 1) {
      expect(outcome(await call(expired))).toEqual({ status: 401, error: 'token_expired' });
    }
    expect(issuer.requests.authenticate).toBe(1);
  });

  it('auth.invalidate({ token }) forgets a remembered rejection', async () => {
    const { auth, call } = await start();
    const token = randomOpaqueToken();
    expect(outcome(await call(token))).toEqual({ status: 401, error: 'session_invalid' });
    // The session now exists (the testing kit can register a given token): still refused from
    // memory until the service invalidates it.
    const s = issuer.registerSession({ sessionToken: token });
    expect(outcome(await call(token))).toEqual({ status: 401, error: 'session_invalid' });
    expect(issuer.requests.authenticate).toBe(1);
    auth.invalidate({ token });
    const res = await call(token);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ memberId: s.memberId });
    expect(issuer.requests.authenticate).toBe(2);
  });

  it('negativeCacheTtlSec: 0 remembers nothing', async () => {
    const { call } = await start({ negativeCacheTtlSec: 0 });
    const token = randomOpaqueToken();
    for (let i = 0; i < 3; i += 1) expect((await call(token)).status).toBe(401);
    expect(issuer.requests.authenticate).toBe(3);
  });

  it('a remembered rejection lasts no longer than negativeCacheTtlSec', async () => {
    const { call } = await start({ negativeCacheTtlSec: 0.5 });
    const token = randomOpaqueToken();
    expect((await call(token)).status).toBe(401);
    // Polled until the memory runs out: then Stytch is asked again.
    await eventually(async () => {
      expect((await call(token)).status).toBe(401);
      return issuer.requests.authenticate === 2;
    }, 5_000);
  });

  it('a transient failure is never remembered', async () => {
    const { call } = await start({ retries: 0 });
    const s = issuer.registerSession();
    issuer.failAuthenticate({ status: 502 });
    expect(outcome(await call(s.sessionToken))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect((await call(s.sessionToken)).status).toBe(200);
    expect(issuer.requests.authenticate).toBe(2);
  });
});

describe('429 is not retried and Retry-After is honoured', () => {
  it('429 with Retry-After: 2 → exactly one call; then unknown tokens 503 without a call, cached ones still pass', async () => {
    const { call, logs } = await start({ retries: 2 });
    const known = issuer.registerSession();
    expect((await call(known.sessionToken)).status).toBe(200);
    const other = issuer.registerSession();
    const expiredOfLive = issuer.expiredSessionJwt({ sessionId: other.sessionId });
    issuer.resetCounters();

    issuer.failAuthenticate({ status: 429, headers: { 'retry-after': '2' }, times: Number.POSITIVE_INFINITY });
    const limited = await call(other.sessionToken);
    expect(outcome(limited)).toEqual({ status: 503, error: 'stytch_unavailable' });
    // Our 503 passes Stytch's wait on to the client instead of the default 5 s.
    expect(limited.headers['retry-after']).toBe('2');
    expect(issuer.requests.authenticate).toBe(1);
    expect(logs.find('Stytch rate-limited sessions/authenticate', 'warn')[0]).toMatchObject({ backOffSec: 2 });

    // Stytch would answer again, but we were asked to wait: nothing is sent while it runs.
    issuer.clearFailures();
    const waiting = await call(randomOpaqueToken());
    expect(outcome(waiting)).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(Number(waiting.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(waiting.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(outcome(await call(other.sessionToken))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(outcome(await call(expiredOfLive))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(issuer.requests.authenticate).toBe(1);
    // A token verified before the 429 keeps working from the cache.
    const cached = await call(known.sessionToken);
    expect(cached.status).toBe(200);
    expect(cached.json).toEqual({ memberId: known.memberId });
    expect(issuer.requests.authenticate).toBe(1);

    // Once Retry-After has run out, Stytch is asked again (polled; each try during the window is free).
    await eventually(async () => (await call(other.sessionToken)).status === 200, 10_000);
    expect(issuer.requests.authenticate).toBe(2);
  });

  it('429 without Retry-After → one call, then a default back-off without calls', async () => {
    const { call } = await start({ retries: 2 });
    issuer.failAuthenticate({ status: 429 });
    expect(outcome(await call(issuer.registerSession().sessionToken))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(issuer.requests.authenticate).toBe(1);
    expect(outcome(await call(issuer.registerSession().sessionToken))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(issuer.requests.authenticate).toBe(1);
  });

  const retryAfterCases: [string, () => string, readonly [number, number]][] = [
    ['an HTTP-date 2 s ahead', () => new Date(Date.now() + 2_000).toUTCString(), [1, 2]],
    ['a day (hostile or broken): capped at 60 s', () => '86400', [60, 60]],
    ['an HTTP-date a week ahead: capped at 60 s', () => new Date(Date.now() + 7 * 86_400_000).toUTCString(), [60, 60]],
    ['garbage: the 5 s default', () => 'soon', [5, 5]],
  ];
  it.each(retryAfterCases)('Retry-After as %s', async (_name, value, [min, max]) => {
    const { call, logs } = await start();
    issuer.failAuthenticate({ status: 429, headers: { 'retry-after': value() } });
    expect((await call(randomOpaqueToken())).status).toBe(503);
    const [warn] = logs.find('Stytch rate-limited sessions/authenticate', 'warn');
    expect(warn?.backOffSec).toBeGreaterThanOrEqual(min);
    expect(warn?.backOffSec).toBeLessThanOrEqual(max);
    expect(outcome(await call(randomOpaqueToken()))).toEqual({ status: 503, error: 'stytch_unavailable' });
    expect(issuer.requests.authenticate).toBe(1);
  });

  it('the back-off belongs to one Auth: another Auth still calls Stytch', async () => {
    const { call } = await start({ retries: 2 });
    issuer.failAuthenticate({ status: 429, headers: { 'retry-after': '30' } });
    expect((await call(randomOpaqueToken())).status).toBe(503);
    expect(issuer.requests.authenticate).toBe(1);
    // Like the in-flight cap, the back-off is state of one Auth, not of the process.
    const fresh = await start();
    const s = issuer.registerSession();
    expect((await fresh.call(s.sessionToken)).status).toBe(200);
    expect(issuer.requests.authenticate).toBe(2);
  });
});

describe('acceptOpaqueTokens: false', () => {
  it('refuses opaque tokens with 401 token_unsupported and no call, while an expired genuine JWT is still renewed', async () => {
    const { call } = await start({ acceptOpaqueTokens: false });
    const s = issuer.registerSession({ memberId: 'member-test-bounds-renew' });
    for (const token of [s.sessionToken, randomOpaqueToken()]) {
      expect(outcome(await call(token))).toEqual({ status: 401, error: 'token_unsupported' });
    }
    expect(issuer.requests.authenticate).toBe(0);

    const res = await call(issuer.expiredSessionJwt({ sessionId: s.sessionId }));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ memberId: 'member-test-bounds-renew' });
    expect(res.headers['stytch-session-jwt']).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(issuer.requests.authenticate).toBe(1);
  });
});

describe('rejections reach the INFO log at a bounded rate', () => {
  it('a flood of 200 bad tokens writes one INFO line, not one per request; each is still at DEBUG', async () => {
    const { call, logs } = await start({ maxInFlight: 256 });
    logs.clear(); // only what the flood writes (not the start-up line)
    const tokens = Array.from({ length: 200 }, randomOpaqueToken);
    const all = await Promise.all(tokens.map((t) => call(t)));
    expect(all.every((r) => r.status === 401 && r.json?.error === 'session_invalid')).toBe(true);
    expect(issuer.requests.authenticate).toBe(200);

    const info = logs.records().filter((r) => r.level === 30);
    expect(info.map((r) => r.msg)).toEqual(['Sessions rejected by Stytch']);
    expect(info[0]).toMatchObject({ count: 1, byCode: { session_invalid: 1 } });
    // Every rejection remains explainable, at DEBUG, with its precise reason and a fingerprint.
    const debug = logs.find('Token rejected', 'debug');
    expect(debug).toHaveLength(200);
    expect(debug[0]).toMatchObject({ code: 'session_invalid', reason: expect.stringContaining('session_not_found') });
    expect(logs.find('Stytch rejected the session')).toHaveLength(0);
    logs.expectNoSecrets(...tokens, issuer.secret);
  });
});
