/**
 * The JWKS endpoint down, slow, answering HTML, an empty key set or a 500. Through the real
 * Fastify adapter: with keys already cached, the last good keys keep serving for the documented
 * window (`jwks.maxAgeMs + jwks.staleIfErrorMs`), then 503 `jwks_unavailable`; with no keys
 * cached, 503 at once; and it recovers as soon as the endpoint is back. Time is moved with a
 * fake `Date` only (timers, sockets and the fetch timeout stay real); no fixed sleeps.
 */
import fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import { createTestIssuer, type JwksMode, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';

const JWKS = { maxAgeMs: 1_000, staleIfErrorMs: 2_000, timeoutMs: 300, cooldownMs: 0 };
const MEMBER = 'member-test-jwks-fault';
const ORG = 'organization-test-jwks-fault';

interface Rig {
  issuer: TestIssuer;
  /** JWKS requests since this rig was made. */
  fetches(): number;
  auth: Auth;
  logs: CapturedLog;
  tokens: string[];
  get(): Promise<HttpResponse>;
  close(): Promise<void>;
}

const open: Rig[] = [];
let issuer: TestIssuer;
let rigs = 0;

beforeAll(async () => {
  issuer = await createTestIssuer({ slowMs: 5_000 });
});
afterAll(async () => {
  await issuer?.close();
});

/**
 * A cold service each time. Each `Auth` owns its key store, but keys fetched from one address
 * are shared by the stores of that address, so each rig gets its own address (a query string
 * the issuer ignores) and so starts with no keys.
 */
async function rig(overrides: { jwks?: Partial<typeof JWKS>; jwksUrl?: string } = {}): Promise<Rig> {
  issuer.setJwksMode('ok');
  const base = issuer.requests.jwks;
  const logs = captureLogs();
  const jwks = { ...JWKS, ...overrides.jwks, url: `${overrides.jwksUrl ?? issuer.jwksUrl}?rig=${++rigs}` };
  const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, jwks, logger: logs.logger });
  const app = fastify({ loggerInstance: logs.logger });
  await app.register(ayzAuth, { auth });
  app.get('/me', { preHandler: app.verifyAuth }, async (request) => getAuth(request));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const tokens: string[] = [];
  const r: Rig = {
    issuer,
    fetches: () => issuer.requests.jwks - base,
    auth,
    logs,
    tokens,
    // a new token each time, so the verified-token cache never answers for the keys
    get: () => {
      const jwt = issuer.sessionJwt({ memberId: MEMBER, organizationId: ORG });
      tokens.push(jwt);
      return httpRequest(`${url}/me`, { headers: bearer(jwt) });
    },
    close: async () => {
      await app.close();
      await auth.close();
    },
  };
  open.push(r);
  return r;
}

afterEach(async () => {
  vi.useRealTimers();
  for (const r of open.splice(0)) await r.close();
});

function expectOk(res: HttpResponse): void {
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(res.json).toMatchObject({ memberId: MEMBER, stytchOrgId: ORG });
}

function expectJwksUnavailable(res: HttpResponse): void {
  expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'jwks_unavailable' });
  expect(res.headers['retry-after']).toBe('5');
}

const MODES: JwksMode[] = ['down', 'slow', 'html', 'empty', 'error500'];

describe.each(MODES)('JWKS endpoint %s', (mode) => {
  it('last good keys serve through the stale window, then 503 jwks_unavailable, then recovery', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const r = await rig();

    expectOk(await r.get());
    expect(r.fetches()).toBe(1);

    r.issuer.setJwksMode(mode);
    // past maxAge, inside the stale window: served from the last good keys, refreshed behind
    vi.setSystemTime(t0 + JWKS.maxAgeMs + 500);
    expectOk(await r.get());
    await r.logs.waitFor('JWKS refresh failed; serving the last good keys', 'warn'); // the background refresh failed
    expect(r.fetches()).toBe(2);
    vi.setSystemTime(t0 + JWKS.maxAgeMs + JWKS.staleIfErrorMs - 100);
    expectOk(await r.get());

    // past maxAge + staleIfError: the keys are too old to trust while the endpoint fails
    vi.setSystemTime(t0 + JWKS.maxAgeMs + JWKS.staleIfErrorMs + 100);
    const started = performance.now();
    expectJwksUnavailable(await r.get());
    expect(performance.now() - started).toBeLessThan(JWKS.timeoutMs + 2_000);
    expectJwksUnavailable(await r.get());

    // the endpoint is back: the next request fetches and is served
    r.issuer.setJwksMode('ok');
    expectOk(await r.get());
    expect(r.logs.find('JWKS endpoint recovered', 'info').length).toBe(1);
    expectOk(await r.get());
    r.logs.expectNoSecrets(...r.tokens);
  });

  it('no keys cached yet: 503 jwks_unavailable at once, never a 401 or a 500; recovers', async () => {
    const r = await rig();
    r.issuer.setJwksMode(mode);
    const started = performance.now();
    expectJwksUnavailable(await r.get());
    expect(performance.now() - started).toBeLessThan(JWKS.timeoutMs + 2_000);
    expect(r.logs.find('JWKS fetch failed and no keys are cached', 'error').length).toBeGreaterThan(0);
    r.issuer.setJwksMode('ok');
    expectOk(await r.get());
    r.logs.expectNoSecrets(...r.tokens);
  });
});

it('an unknown kid while the endpoint fails is 503 jwks_unavailable (a rotation we cannot see), not 401', async () => {
  const r = await rig();
  expectOk(await r.get());
  r.issuer.setJwksMode('error500');
  await r.issuer.rotateKeys();
  expectJwksUnavailable(await r.get());
  r.issuer.setJwksMode('ok');
  expectOk(await r.get());
});

it('1,000 concurrent requests while the endpoint is down and no keys are cached: one fetch, 1,000 × 503', async () => {
  const r = await rig();
  r.issuer.setJwksMode('down');
  const jwt = r.issuer.sessionJwt({ memberId: MEMBER, organizationId: ORG });
  const results = await Promise.all(Array.from({ length: 1_000 }, () => r.auth.authenticate(jwt).then(() => 'ok', (e: { code?: string }) => e.code)));
  expect(new Set(results)).toEqual(new Set(['jwks_unavailable']));
  expect(r.fetches()).toBe(1);
});

describe('failed fetches back off (no fetch storm while the endpoint fails)', () => {
  const COOLDOWN = { cooldownMs: 60_000 };

  it('no keys yet: 100 requests while it fails → one fetch, one ERROR line, 503s from the remembered failure; recovery after the back-off', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const r = await rig({ jwks: COOLDOWN });
    r.issuer.setJwksMode('error500');
    for (let i = 0; i < 100; i++) expectJwksUnavailable(await r.get());
    expect(r.fetches()).toBe(1);
    expect(r.logs.find('JWKS fetch failed', 'error').length).toBe(1);

    // The endpoint is back, but the failure is remembered until the back-off ends.
    r.issuer.setJwksMode('ok');
    vi.setSystemTime(t0 + 500);
    expectJwksUnavailable(await r.get());
    expect(r.fetches()).toBe(1);

    vi.setSystemTime(t0 + COOLDOWN.cooldownMs);
    expectOk(await r.get());
    expect(r.fetches()).toBe(2);
    expect(r.logs.find('JWKS endpoint recovered', 'info').length).toBe(1);
    r.logs.expectNoSecrets(...r.tokens);
  });

  it('keys past the stale window: 100 requests while it fails → one more fetch, not 100', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const r = await rig({ jwks: COOLDOWN });
    expectOk(await r.get());
    r.issuer.setJwksMode('down');
    vi.setSystemTime(t0 + JWKS.maxAgeMs + JWKS.staleIfErrorMs + 100);
    for (let i = 0; i < 100; i++) expectJwksUnavailable(await r.get());
    expect(r.fetches()).toBe(2);
    expect(r.logs.find('JWKS', 'error').length + r.logs.find('JWKS', 'warn').length).toBe(1);
  });

  it('the back-off doubles from 1 s and is capped at cooldownMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const r = await rig({ jwks: { cooldownMs: 5_000 } });
    r.issuer.setJwksMode('error500');
    expectJwksUnavailable(await r.get());
    let at = t0;
    const fetchesAfter = async (delay: number) => {
      vi.setSystemTime(at + delay);
      expectJwksUnavailable(await r.get());
      return r.fetches();
    };
    // 1 s, then 2 s, then 4 s, then the 5 s cap (not 8 s).
    for (const [step, delay] of [[2, 1_000], [3, 2_000], [4, 4_000], [5, 5_000], [6, 5_000]] as const) {
      expect(await fetchesAfter(delay - 1)).toBe(step - 1);
      expect(await fetchesAfter(delay)).toBe(step);
      at += delay;
    }
  });

  it('the stale-but-serviceable window keeps serving while background refreshes back off', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const r = await rig({ jwks: { ...COOLDOWN, maxAgeMs: 1_000, staleIfErrorMs: 600_000 } });
    expectOk(await r.get());
    r.issuer.setJwksMode('error500');
    vi.setSystemTime(t0 + COOLDOWN.cooldownMs + 1);
    expectOk(await r.get());
    await r.logs.waitFor('JWKS refresh failed; serving the last good keys', 'warn'); // the background refresh failed
    for (let i = 0; i < 50; i++) expectOk(await r.get());
    expect(r.fetches()).toBe(2);
  });
});

it('a JWKS answering 404 logs at ERROR with the hint to check STYTCH_PROJECT_ID / STYTCH_BASE_URL', async () => {
  const wrong = `${issuer.baseUrl}/v1/b2b/sessions/jwks/project-test-11111111-2222-3333-4444-555555555555`;
  const r = await rig({ jwksUrl: wrong });
  expectJwksUnavailable(await r.get());
  const [line] = r.logs.find('JWKS', 'error');
  expect(line?.msg).toMatch(/STYTCH_PROJECT_ID/);
  expect(line?.msg).toMatch(/STYTCH_BASE_URL/);
  expect(line?.reason).toBe('HTTP 404');
});
