/**
 * Issue 17 over real HTTP, through the real adapters, on Express 4, Express 5, Fastify 4 and
 * Fastify 5: the Stytch SDK's session cookies (header wins, renewal, CSRF), M2M access tokens
 * (per-route `accept`, `requireScopes`, session-only guards refusing machines), and hostile
 * Cookie headers. One app per framework, same routes, same expectations.
 */
import { createServer, type Server } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type AnyAuthContext, type Auth } from 'ayz-auth';
import * as ex from 'ayz-auth/express';
import ayzAuth, * as fy from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { rawRequest } from '../hostile/raw-http.js';
import { FRAMEWORKS, type FrameworkName } from '../hostile/apps.js';
import { closeServer, httpRequest, listen, type HttpResponse } from './http-client.js';

const ALLOWED_ORIGIN = 'https://app.example.com';

function view(ctx: AnyAuthContext, auth: unknown): Record<string, unknown> {
  // `auth` is `req.auth` / `request.auth`: member-typed, so null for a machine.
  return ctx.kind === 'm2m'
    ? { kind: ctx.kind, clientId: ctx.clientId, scopes: ctx.scopes, orgId: ctx.orgId, memberId: ctx.memberId, auth }
    : { kind: ctx.kind, memberId: ctx.memberId, auth: (auth as { memberId?: string } | null)?.memberId ?? null };
}

/**
 * Routes: `GET|POST /me` (the Auth's default: sessions), `GET /any` (sessions and M2M),
 * `GET /reports` (M2M only + requireScopes(['read:reports'])), `GET /admin` (both kinds +
 * requireAnyRole(['admin'])), `GET /own` (both kinds + a service's own member `Check`).
 */
async function startApp(name: FrameworkName, auth: Auth, logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const memberOnly = () => null;
  if (name.startsWith('Express')) {
    const express = (name === 'Express 4' ? express4 : express5) as unknown as typeof express5;
    const app = express();
    const answer = (req: express5.Request, res: express5.Response) => void res.json(view(ex.getCaller(req), req.auth));
    app.get('/me', ex.verifyAuth(auth), answer);
    app.post('/me', ex.verifyAuth(auth), answer);
    app.get('/any', ex.verifyAuth(auth, { accept: ['session', 'm2m'] }), answer);
    app.get('/reports', ex.verifyAuth(auth, { accept: ['m2m'] }), ex.requireScopes(['read:reports']), answer);
    app.get('/admin', ex.verifyAuth(auth, { accept: ['session', 'm2m'] }), ex.requireAnyRole(['admin']), answer);
    app.get('/own', ex.verifyAuth(auth, { accept: ['session', 'm2m'] }), ex.toMiddleware(memberOnly, 'memberOnly'), answer);
    app.use((error: unknown, _req: unknown, res: express5.Response, _next: unknown) => {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'unhandled error in app');
      res.status(500).json({ error: 'internal' });
    });
    const server: Server = createServer(app);
    const url = await listen(server);
    return { url, close: () => closeServer(server) };
  }
  const factory = (name === 'Fastify 4' ? fastify4 : fastify5) as unknown as typeof fastify5;
  const app = factory((name === 'Fastify 4' ? { logger } : { loggerInstance: logger }) as Parameters<typeof fastify5>[0]) as unknown as FastifyInstance;
  await app.register(ayzAuth, { auth });
  const answer = async (request: Parameters<typeof fy.getCaller>[0]) => view(fy.getCaller(request), request.auth);
  const both = app.verifyAuthWith({ accept: ['session', 'm2m'] });
  app.get('/me', { preHandler: app.verifyAuth }, answer);
  app.post('/me', { preHandler: app.verifyAuth }, answer);
  app.get('/any', { preHandler: both }, answer);
  app.get('/reports', { preHandler: [app.verifyAuthWith({ accept: ['m2m'] }), app.requireScopes(['read:reports'])] }, answer);
  app.get('/admin', { preHandler: [both, fy.requireAnyRole(['admin'])] }, answer);
  app.get('/own', { preHandler: [both, fy.toHook(memberOnly, 'memberOnly')] }, answer);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

describe.each(FRAMEWORKS)('cookies and M2M tokens on %s', (framework) => {
  let issuer: TestIssuer;
  let auth: Auth;
  let logs: CapturedLog;
  let app: { url: string; close(): Promise<void> };
  const tokens: string[] = [];
  const mint = (t: string) => (tokens.push(t), t);
  const call = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResponse> =>
    httpRequest(`${app.url}${path}`, { method, headers });

  beforeAll(async () => {
    issuer = await createTestIssuer();
    logs = captureLogs();
    auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger, tokenFrom: ['header', 'cookie'], csrf: { allowedOrigins: [ALLOWED_ORIGIN] } });
    app = await startApp(framework, auth, logs.logger);
  });
  afterAll(async () => {
    await app.close();
    await auth.close();
    await issuer.close();
  });
  afterEach(() => {
    logs.expectNoSecrets(...tokens, issuer.secret);
    expect(logs.find('unhandled error in app')).toEqual([]);
  });

  it('accepts the SDK cookies: the session JWT one locally, the opaque one through Stytch', async () => {
    const alice = mint(issuer.sessionJwt({ memberId: 'member-test-alice' }));
    const res = await call('/me', { cookie: `theme=dark; stytch_session_jwt=${alice}` });
    expect([res.status, res.json]).toEqual([200, { kind: 'member', memberId: 'member-test-alice', auth: 'member-test-alice' }]);

    const session = issuer.registerSession({ memberId: 'member-test-olga' });
    mint(session.sessionToken);
    mint(session.sessionJwt);
    const opaque = await call('/me', { cookie: `stytch_session=${session.sessionToken}` });
    expect([opaque.status, opaque.json]).toEqual([200, { kind: 'member', memberId: 'member-test-olga', auth: 'member-test-olga' }]);
  });

  it('renews an expired cookie JWT through Stytch into Stytch-Session-Jwt, and sets no cookie', async () => {
    const session = issuer.registerSession({ memberId: 'member-test-rene' });
    mint(session.sessionToken);
    mint(session.sessionJwt);
    const expired = mint(issuer.expiredSessionJwt({ sessionId: session.sessionId }));
    const res = await call('/me', { cookie: `stytch_session_jwt=${expired}` });
    expect([res.status, res.json.memberId]).toEqual([200, 'member-test-rene']);
    const renewed = res.headers['stytch-session-jwt'];
    expect(typeof renewed).toBe('string');
    mint(renewed as string);
    expect(renewed).not.toBe(expired);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('the header wins over the cookie, and a bad header is the answer (no fallback to the cookie)', async () => {
    const alice = mint(issuer.sessionJwt({ memberId: 'member-test-alice' }));
    const bob = mint(issuer.sessionJwt({ memberId: 'member-test-bob' }));
    const res = await call('/me', { authorization: `Bearer ${alice}`, cookie: `stytch_session_jwt=${bob}` });
    expect([res.status, res.json.memberId]).toEqual([200, 'member-test-alice']);
    // With the header chosen, even a duplicated session cookie is not read.
    const dup = await call('/me', { authorization: `Bearer ${alice}`, cookie: `stytch_session_jwt=${bob}; stytch_session_jwt=${bob}` });
    expect(dup.status).toBe(200);
    const bad = await call('/me', { authorization: 'Bearer short', cookie: `stytch_session_jwt=${bob}` });
    expect([bad.status, bad.json.error]).toEqual([401, 'token_malformed']);
  });

  it('refuses an unsafe cookie request from elsewhere with 403 csrf_failed, before any verification', async () => {
    const alice = mint(issuer.sessionJwt());
    issuer.resetCounters();
    const variants: Record<string, string>[] = [{}, { origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of variants) {
      const res = await call('/me', { cookie: `stytch_session_jwt=${alice}`, ...headers }, 'POST');
      expect([res.status, res.json.error], JSON.stringify(headers)).toEqual([403, 'csrf_failed']);
    }
    // A forged opaque cookie costs no call to Stytch: CSRF comes first.
    const forged = await call('/me', { cookie: `stytch_session=${'Z'.repeat(44)}`, origin: 'https://evil.example' }, 'POST');
    expect([forged.status, forged.json.error]).toEqual([403, 'csrf_failed']);
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('allows an unsafe cookie request from its own origin or an allowed one, and any header-token request', async () => {
    const alice = mint(issuer.sessionJwt({ memberId: 'member-test-alice' }));
    const cookie = `stytch_session_jwt=${alice}`;
    expect((await call('/me', { cookie, 'sec-fetch-site': 'same-origin' }, 'POST')).status).toBe(200);
    expect((await call('/me', { cookie, origin: ALLOWED_ORIGIN, 'sec-fetch-site': 'same-site' }, 'POST')).status).toBe(200);
    expect((await call('/me', { authorization: `Bearer ${alice}`, origin: 'https://evil.example' }, 'POST')).status).toBe(200);
  });

  it('accepts an M2M token with its scopes on an M2M route: a machine, no member, no tenant, req.auth null', async () => {
    const token = mint(issuer.m2mToken({ clientId: 'm2m-client-test-reporter', scopes: ['read:reports', 'read:users'] }));
    const res = await call('/reports', { authorization: `Bearer ${token}` });
    expect([res.status, res.json]).toEqual([
      200,
      { kind: 'm2m', clientId: 'm2m-client-test-reporter', scopes: ['read:reports', 'read:users'], orgId: null, memberId: null, auth: null },
    ]);
    expect((await call('/reports', { authorization: `Bearer ${mint(issuer.m2mToken({ scopes: ['read:*'] }))}` })).status).toBe(200);
    expect((await call('/any', { authorization: `Bearer ${token}` })).json.kind).toBe('m2m');
    expect((await call('/any', { authorization: `Bearer ${mint(issuer.sessionJwt())}` })).json.kind).toBe('member');
  });

  it('refuses an M2M token without the scope (403 scope_missing) and a session token on the M2M-only route', async () => {
    const res = await call('/reports', { authorization: `Bearer ${mint(issuer.m2mToken({ scopes: ['read:users'] }))}` });
    expect([res.status, res.json]).toEqual([403, { error: 'scope_missing', message: 'A required scope is missing', required_scopes: ['read:reports'] }]);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const session = await call('/reports', { authorization: `Bearer ${mint(issuer.sessionJwt())}` });
    expect([session.status, session.json.error]).toEqual([401, 'token_invalid']);
    const cookie = await call('/reports', { cookie: `stytch_session_jwt=${mint(issuer.sessionJwt())}` });
    expect([cookie.status, cookie.json.error]).toEqual([401, 'token_invalid']);
  });

  it('session-only guards (built-in and a service check) refuse a machine with 403 member_required; session routes refuse M2M', async () => {
    const machine = mint(issuer.m2mToken({ scopes: ['admin:*'] }));
    for (const path of ['/admin', '/own']) {
      const res = await call(path, { authorization: `Bearer ${machine}` });
      expect([res.status, res.json.error], path).toEqual([403, 'member_required']);
    }
    expect((await call('/admin', { authorization: `Bearer ${mint(issuer.sessionJwt({ roles: ['admin'] }))}` })).status).toBe(200);
    expect((await call('/own', { authorization: `Bearer ${mint(issuer.sessionJwt())}` })).status).toBe(200);
    const me = await call('/me', { authorization: `Bearer ${machine}` });
    expect([me.status, me.json.error]).toEqual([401, 'token_invalid']);
  });

  it('answers hostile Cookie headers (duplicated, malformed, oversized) with fixed 4xx codes, never a 5xx or the token', async () => {
    const alice = mint(issuer.sessionJwt());
    const cases: [Buffer[], number, string | null][] = [
      [[Buffer.from(`Cookie: stytch_session_jwt=${alice}; stytch_session_jwt=${alice}`)], 401, 'token_multiple'],
      [[Buffer.from(`Cookie: stytch_session_jwt=${alice}`), Buffer.from(`Cookie: stytch_session_jwt=${alice}`)], 401, 'token_multiple'],
      [[Buffer.from(`Cookie: stytch_session=${'Y'.repeat(44)}; a=1; stytch_session=${'Z'.repeat(44)}`)], 401, 'token_multiple'],
      [[Buffer.concat([Buffer.from('Cookie: stytch_session_jwt='), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(alice)])], 401, 'token_malformed'],
      [[Buffer.from(`Cookie: stytch_session_jwt="${alice}`)], 401, 'token_malformed'],
      [[Buffer.from('Cookie: stytch_session_jwt=%E0%A4%A')], 401, 'token_malformed'],
      [[Buffer.from('Cookie: stytch_session_jwt=tooshort')], 401, 'token_malformed'],
      [[Buffer.from(`Cookie: stytch_session_jwt=${'a'.repeat(30)}<script>${'b'.repeat(30)}`)], 401, 'token_malformed'],
      [[Buffer.from('Cookie: ;;;=;stytch_session_jwt;==;')], 401, 'token_missing'],
      [[Buffer.from('Cookie: stytch_session_jwt=; stytch_session=')], 401, 'token_missing'],
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
