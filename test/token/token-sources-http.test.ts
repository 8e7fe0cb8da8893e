/**
 * Cookies, CSRF and M2M tokens over real HTTP, on Express 4 and 5, with the new core pieces
 * composed in the test's own middleware the way the adapters' bridge will compose them: source
 * → CSRF → kind → verification (the Auth for members, the M2M verifier for machines) → checks.
 */
import { createServer, type Server } from 'node:http';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { memberContext, m2mContext, type AnyAuthContext } from '../../src/auth-context-union.js';
import { memberRequiredError, scopeError } from '../../src/scope-check.js';
import { csrfError } from '../../src/token/csrf.js';
import { JwksStore } from '../../src/token/jwks-store.js';
import { acceptError, jwtKindHint, verifyM2mToken, type AcceptedTokenKind } from '../../src/token/m2m-token.js';
import type { SessionJwtPolicy } from '../../src/token/session-jwt.js';
import { isJwtShaped } from '../../src/token/bearer.js';
import { resolveTokenSourceOptions, tokenFromRequest, type ResolvedTokenSourceOptions } from '../../src/token/token-source.js';
import { closeServer, httpRequest, listen, type HttpResponse } from '../adapters/http-client.js';
import { rawRequest } from '../hostile/raw-http.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';

type Check = (ctx: AnyAuthContext) => AuthError | null;

interface Wiring {
  auth: Auth;
  store: JwksStore;
  policy: SessionJwtPolicy;
  sources: ResolvedTokenSourceOptions;
}

function protect(w: Wiring, accept: readonly AcceptedTokenKind[], ...checks: Check[]) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const { token, source } = tokenFromRequest(req.headers, w.sources);
      // Before any verification: a forged cross-site request costs no signature check and no Stytch call.
      const csrf = csrfError(req, source, w.sources.allowedOrigins);
      if (csrf) throw csrf;
      const kind = isJwtShaped(token) ? jwtKindHint(token) : 'opaque';
      const refused = acceptError(kind, accept);
      if (refused) throw refused;
      let ctx: AnyAuthContext;
      if (kind === 'm2m') {
        ctx = m2mContext(await verifyM2mToken(token, w.store, w.policy));
      } else {
        // A cookie token goes down exactly the header's path (opaque check, renewal included).
        const result = await w.auth.authenticateRequestWithResult({ authorization: `Bearer ${token}` });
        ctx = memberContext(result.context);
        if (result.refreshedSessionJwt !== null) res.setHeader('Stytch-Session-Jwt', result.refreshedSessionJwt);
      }
      for (const check of checks) {
        const error = check(ctx);
        if (error) throw error;
      }
      res.locals.ctx = ctx;
      next();
    } catch (error) {
      if (!(error instanceof AuthError)) return next(error);
      res.status(error.status).set(error.headers).json(error.body);
    }
  };
}

const answer = (_req: Request, res: Response) => {
  const ctx = res.locals.ctx as AnyAuthContext;
  res.json(ctx.kind === 'm2m' ? { kind: ctx.kind, clientId: ctx.clientId, scopes: ctx.scopes, orgId: ctx.orgId } : { kind: ctx.kind, memberId: ctx.memberId });
};

async function startApp(name: 'Express 4' | 'Express 5', w: Wiring): Promise<{ url: string; close(): Promise<void> }> {
  const express = (name === 'Express 4' ? express4 : express5) as unknown as typeof express5;
  const app = express();
  app.get('/me', protect(w, ['session']), answer);
  app.post('/me', protect(w, ['session']), answer);
  app.get('/any', protect(w, ['session', 'm2m']), answer);
  app.get('/reports', protect(w, ['m2m'], (ctx) => scopeError(ctx, ['read:reports'])), answer);
  app.get('/admin', protect(w, ['session', 'm2m'], memberRequiredError), answer);
  const server: Server = createServer(app);
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

describe.each(['Express 4', 'Express 5'] as const)('token sources over HTTP on %s', (framework) => {
  let issuer: TestIssuer;
  let auth: Auth;
  let logs: CapturedLog;
  let app: { url: string; close(): Promise<void> };
  const tokens: string[] = [];
  const mint = (t: string) => (tokens.push(t), t);
  const get = (path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<HttpResponse> =>
    httpRequest(`${app.url}${path}`, { method, headers });

  beforeAll(async () => {
    issuer = await createTestIssuer();
    logs = captureLogs();
    auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
    const store = new JwksStore(issuer.jwksUrl, { timeoutMs: 5_000, cooldownMs: 30_000, maxAgeMs: 600_000, staleIfErrorMs: 3_600_000 }, logs.logger);
    const policy = { projectId: issuer.projectId, issuers: [`stytch.com/${issuer.projectId}`, issuer.baseUrl], clockToleranceSec: 5, maxTokenAgeSec: null };
    const sources = resolveTokenSourceOptions({ tokenFrom: ['header', 'cookie'], csrf: { allowedOrigins: ['https://app.example.com'] } });
    app = await startApp(framework, { auth, store, policy, sources });
  });
  afterAll(async () => {
    await app.close();
    await auth.close();
    await issuer.close();
  });
  afterEach(() => logs.expectNoSecrets(...tokens, issuer.secret));

  it('accepts the Stytch SDK cookies: the session JWT one, and the opaque one through Stytch', async () => {
    const alice = mint(issuer.sessionJwt({ memberId: 'member-test-alice' }));
    const res = await get('/me', { cookie: `theme=dark; stytch_session_jwt=${alice}` });
    expect([res.status, res.json]).toEqual([200, { kind: 'member', memberId: 'member-test-alice' }]);

    const session = issuer.registerSession({ memberId: 'member-test-olga' });
    mint(session.sessionToken);
    mint(session.sessionJwt);
    const opaque = await get('/me', { cookie: `stytch_session=${session.sessionToken}` });
    expect([opaque.status, opaque.json]).toEqual([200, { kind: 'member', memberId: 'member-test-olga' }]);
  });

  it('renews an expired cookie JWT through Stytch and returns it in Stytch-Session-Jwt, setting no cookie', async () => {
    const session = issuer.registerSession({ memberId: 'member-test-rene' });
    const expired = mint(issuer.expiredSessionJwt({ sessionId: session.sessionId }));
    mint(session.sessionToken);
    const res = await get('/me', { cookie: `stytch_session_jwt=${expired}` });
    expect([res.status, res.json]).toEqual([200, { kind: 'member', memberId: 'member-test-rene' }]);
    const renewed = res.headers['stytch-session-jwt'];
    expect(typeof renewed).toBe('string');
    mint(renewed as string);
    expect(renewed).not.toBe(expired);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('the header wins when both are present, even over a hostile cookie', async () => {
    const alice = mint(issuer.sessionJwt({ memberId: 'member-test-alice' }));
    const bob = mint(issuer.sessionJwt({ memberId: 'member-test-bob' }));
    const res = await get('/me', { authorization: `Bearer ${alice}`, cookie: `stytch_session_jwt=${bob}` });
    expect(res.json).toEqual({ kind: 'member', memberId: 'member-test-alice' });
    const hostile = await get('/me', { authorization: `Bearer ${alice}`, cookie: `stytch_session_jwt=${bob}; stytch_session_jwt=x` });
    expect(hostile.status).toBe(200);
    // And a bad header is the answer, not a fallback to the cookie.
    const badHeader = await get('/me', { authorization: 'Bearer short', cookie: `stytch_session_jwt=${bob}` });
    expect([badHeader.status, badHeader.json.error]).toEqual([401, 'token_malformed']);
  });

  it('refuses an unsafe cookie request from another origin with 403 csrf_failed, before any verification', async () => {
    const alice = mint(issuer.sessionJwt());
    issuer.resetCounters();
    const variants: Record<string, string>[] = [{}, { origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'same-site' }];
    for (const headers of variants) {
      const res = await get('/me', { cookie: `stytch_session_jwt=${alice}`, ...headers }, 'POST');
      expect([res.status, res.json.error], JSON.stringify(headers)).toEqual([403, 'csrf_failed']);
    }
    // Not even a forged cookie gets a verification: CSRF comes first.
    const forged = await get('/me', { cookie: `stytch_session=${'Z'.repeat(44)}`, origin: 'https://evil.example' }, 'POST');
    expect([forged.status, forged.json.error]).toEqual([403, 'csrf_failed']);
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('allows an unsafe cookie request from the same origin or an allowed one, and any header-token request', async () => {
    const alice = mint(issuer.sessionJwt({ memberId: 'member-test-alice' }));
    const cookie = `stytch_session_jwt=${alice}`;
    expect((await get('/me', { cookie, 'sec-fetch-site': 'same-origin' }, 'POST')).status).toBe(200);
    expect((await get('/me', { cookie, origin: 'https://app.example.com', 'sec-fetch-site': 'same-site' }, 'POST')).status).toBe(200);
    expect((await get('/me', { authorization: `Bearer ${alice}`, origin: 'https://evil.example' }, 'POST')).status).toBe(200);
  });

  it('accepts an M2M token with its scopes: a machine context, no member, no tenant', async () => {
    const token = mint(issuer.m2mToken({ clientId: 'm2m-client-test-reporter', scopes: ['read:reports', 'read:users'] }));
    const res = await get('/reports', { authorization: `Bearer ${token}` });
    expect([res.status, res.json]).toEqual([200, { kind: 'm2m', clientId: 'm2m-client-test-reporter', scopes: ['read:reports', 'read:users'], orgId: null }]);
    const wildcard = await get('/reports', { authorization: `Bearer ${mint(issuer.m2mToken({ scopes: ['read:*'] }))}` });
    expect(wildcard.status).toBe(200);
    expect((await get('/any', { authorization: `Bearer ${token}` })).json.kind).toBe('m2m');
  });

  it('refuses an M2M token without the scope (403 scope_missing) and a session token on the M2M-only route', async () => {
    const res = await get('/reports', { authorization: `Bearer ${mint(issuer.m2mToken({ scopes: ['read:users'] }))}` });
    expect([res.status, res.json]).toEqual([403, { error: 'scope_missing', message: 'A required scope is missing', required_scopes: ['read:reports'] }]);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const session = await get('/reports', { authorization: `Bearer ${mint(issuer.sessionJwt())}` });
    expect([session.status, session.json.error]).toEqual([401, 'token_invalid']);
    const cookieSession = await get('/reports', { cookie: `stytch_session_jwt=${mint(issuer.sessionJwt())}` });
    expect([cookieSession.status, cookieSession.json.error]).toEqual([401, 'token_invalid']);
  });

  it('a session-only guard refuses a machine with 403 member_required; a session-only route refuses M2M tokens', async () => {
    const machine = mint(issuer.m2mToken({ scopes: ['admin:*'] }));
    const admin = await get('/admin', { authorization: `Bearer ${machine}` });
    expect([admin.status, admin.json.error]).toEqual([403, 'member_required']);
    expect((await get('/admin', { authorization: `Bearer ${mint(issuer.sessionJwt())}` })).status).toBe(200);
    const me = await get('/me', { authorization: `Bearer ${machine}` });
    expect([me.status, me.json.error]).toEqual([401, 'token_invalid']);
  });

  it('answers hostile Cookie headers with fixed 4xx codes, never a 5xx', async () => {
    const alice = mint(issuer.sessionJwt());
    const cases: [Buffer[], number, string | null][] = [
      [[Buffer.from(`Cookie: stytch_session_jwt=${alice}; stytch_session_jwt=${alice}`)], 401, 'token_multiple'],
      [[Buffer.from(`Cookie: stytch_session_jwt=${alice}`), Buffer.from(`Cookie: stytch_session_jwt=${alice}`)], 401, 'token_multiple'],
      [[Buffer.concat([Buffer.from('Cookie: stytch_session_jwt='), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(alice)])], 401, 'token_malformed'],
      [[Buffer.from(`Cookie: stytch_session_jwt="${alice}`)], 401, 'token_malformed'],
      [[Buffer.from('Cookie: stytch_session_jwt=%E0%A4%A')], 401, 'token_malformed'],
      [[Buffer.from('Cookie: ;;;=;stytch_session_jwt;==;')], 401, 'token_missing'],
      [[Buffer.from(`Cookie: big=${'x'.repeat(20_000)}; stytch_session_jwt=${alice}`)], 431, null],
    ];
    for (const [lines, status, code] of cases) {
      const res = await rawRequest(app.url, '/me', lines);
      expect(res.status, lines.map((l) => l.toString('latin1').slice(0, 60)).join(' | ')).toBe(status);
      if (code !== null) expect(res.json?.error).toBe(code);
      expect(res.head + res.body).not.toContain(alice.slice(-30));
    }
  });
});
