/**
 * What only the Fastify adapter has to get right: hook order (onRequest / preHandler, the
 * handler never running on refusal), encapsulation, a hook that overwrites `request.auth`,
 * `request.log` binding, response schemas, inject(), plugin registration.
 */
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import ayzAuth, { ayzAuthPlugin, getAuth, REFRESHED_SESSION_JWT_HEADER } from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../../support/log-capture.js';
import { FORGED_CONTEXT } from '../scenarios.js';
import { bearer, httpRequest } from '../http-client.js';
import { startFastify, type FastifyFactory } from './fastify-app.js';

describe.each([
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
  ['Fastify 5', fastify5],
])('%s', (_name, fastify) => {
  let issuer: TestIssuer;
  let auth: Auth;
  let app: FastifyInstance;
  let server: { url: string; close(): Promise<void> };
  const trace: string[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: issuer.authOptions, logger: captureLogs().logger });
    app = fastify({ logger: { level: 'silent' } });
    await app.register(ayzAuth, { auth });

    // Every hook of the lifecycle writes its name, so the order can be read back.
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/trace')) trace.push('onRequest');
    });
    app.addHook('preParsing', async (request) => {
      if (request.url.startsWith('/trace')) trace.push('preParsing');
    });
    app.addHook('preValidation', async (request) => {
      if (request.url.startsWith('/trace')) trace.push('preValidation');
    });
    app.addHook('preHandler', async (request) => {
      if (request.url.startsWith('/trace')) trace.push('preHandler');
    });

    const handler = async (request: FastifyRequest) => {
      trace.push('handler');
      return { memberId: getAuth(request).memberId };
    };
    app.post('/trace/on-request', { onRequest: app.verifyAuth }, handler);
    app.post('/trace/pre-handler', { preHandler: app.verifyAuth }, handler);
    app.post(
      '/trace/guard',
      { onRequest: app.verifyAuth, preHandler: [app.requireFactors(['totp']), async () => void trace.push('after-guard')] },
      handler,
    );

    // A hook after verifyAuth that overwrites request.auth cannot grant anything.
    app.get(
      '/overwritten',
      {
        onRequest: app.verifyAuth,
        preHandler: [
          async (request) => {
            request.auth = FORGED_CONTEXT;
          },
          app.requireClaims(['tenant']),
        ],
      },
      async () => ({ ok: true }),
    );
    app.get(
      '/overwritten/get-auth',
      {
        onRequest: app.verifyAuth,
        preHandler: async (request) => {
          request.auth = FORGED_CONTEXT;
        },
      },
      async (request) => ({ verified: getAuth(request).memberId, seen: request.auth?.memberId }),
    );

    // Authentication for a whole encapsulated scope; routes outside it stay public.
    await app.register(async (scope) => {
      scope.addHook('onRequest', scope.verifyAuth);
      scope.get('/scoped/me', async (request) => ({ memberId: request.auth?.memberId }));
    });
    app.get('/public', async (request) => ({ auth: request.auth }));

    app.get('/log', { preHandler: app.verifyAuth }, async (request) => {
      const log = request.authLog as unknown as { bindings(): Record<string, unknown> };
      return { bindings: log.bindings(), reqId: request.id };
    });

    // A route whose error responses have a schema of their own: our JSON body is not reshaped.
    app.get(
      '/with-schema',
      {
        preHandler: app.verifyAuth,
        schema: {
          response: {
            200: { type: 'object', properties: { ok: { type: 'boolean' } } },
            '4xx': { type: 'object', properties: { statusCode: { type: 'number' } } },
          },
        },
      },
      async () => ({ ok: true }),
    );
    server = await startFastify(app);
  });

  afterAll(async () => {
    await server?.close();
    await auth?.close();
    await issuer?.close();
  });

  const post = (path: string, headers: Record<string, string> = {}) =>
    httpRequest(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"a":1}' });
  const get = (path: string, headers?: Record<string, string>) =>
    httpRequest(`${server.url}${path}`, headers ? { headers } : {});

  it('verifyAuth as onRequest refuses before the body is read; no later hook, no handler', async () => {
    trace.length = 0;
    const res = await post('/trace/on-request');
    expect(res.status).toBe(401);
    expect(trace).toEqual(['onRequest']);
  });

  it('verifyAuth as preHandler refuses after validation; the handler does not run', async () => {
    trace.length = 0;
    const res = await post('/trace/pre-handler');
    expect(res.status).toBe(401);
    expect(trace).toEqual(['onRequest', 'preParsing', 'preValidation', 'preHandler']);
  });

  it('runs the whole lifecycle when the token is good', async () => {
    for (const path of ['/trace/on-request', '/trace/pre-handler']) {
      trace.length = 0;
      const res = await post(path, bearer(issuer.sessionJwt({ memberId: 'member-test-trace' })));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ memberId: 'member-test-trace' });
      expect(trace).toEqual(['onRequest', 'preParsing', 'preValidation', 'preHandler', 'handler']);
    }
  });

  it('a refusing guard stops the hooks after it and the handler', async () => {
    trace.length = 0;
    const res = await post('/trace/guard', bearer(issuer.sessionJwt()));
    expect(res.status).toBe(403);
    expect(res.json.error).toBe('factor_missing');
    expect(trace).toEqual(['onRequest', 'preParsing', 'preValidation', 'preHandler']);
  });

  it('a hook that overwrites request.auth after verifyAuth grants nothing', async () => {
    const res = await get('/overwritten', bearer(issuer.sessionJwt()));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: 'claim_missing', missing_claims: ['tenant'] });
    const seen = await get('/overwritten/get-auth', bearer(issuer.sessionJwt({ memberId: 'member-test-genuine' })));
    expect(seen.json).toEqual({ verified: 'member-test-genuine', seen: 'member-forged' });
  });

  it('authenticates a whole encapsulated scope through addHook, leaving other routes public', async () => {
    expect((await get('/scoped/me')).status).toBe(401);
    const res = await get('/scoped/me', bearer(issuer.sessionJwt({ memberId: 'member-test-scope' })));
    expect(res.json).toEqual({ memberId: 'member-test-scope' });
    expect((await get('/public')).json).toEqual({ auth: null });
  });

  it("binds request.authLog to Fastify's request.log (reqId) and the context's ids", async () => {
    const res = await get('/log', bearer(issuer.sessionJwt({ memberId: 'member-test-log' })));
    expect(res.json.bindings).toMatchObject({ reqId: res.json.reqId, memberId: 'member-test-log', userId: null, orgId: null });
  });

  it("sends the JSON error body as is, whatever the route's response schema", async () => {
    const res = await get('/with-schema');
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'token_missing', message: expect.any(String) });
  });

  it('works through inject() (light-my-request), as services test their routes', async () => {
    const ok = await app.inject({ method: 'GET', url: '/scoped/me', headers: bearer(issuer.sessionJwt({ memberId: 'member-test-inject' })) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ memberId: 'member-test-inject' });
    const denied = await app.inject({ method: 'GET', url: '/scoped/me' });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="ayz-auth"');
    expect(denied.json()).toEqual({ error: 'token_missing', message: expect.any(String) });
  });

  it('registers under the name ayz-auth, as default and named export', async () => {
    expect(ayzAuthPlugin).toBe(ayzAuth);
    expect(app.hasPlugin('ayz-auth')).toBe(true);
    expect(app.hasRequestDecorator('auth')).toBe(true);
    expect(REFRESHED_SESSION_JWT_HEADER).toBe('Stytch-Session-Jwt');
  });

  it('does not send the renewed JWT when told not to', async () => {
    const other = fastify({ logger: false });
    await other.register(ayzAuth, { auth, exposeRefreshedSessionJwt: false });
    other.get('/me', { preHandler: other.verifyAuth }, async (request) => ({ memberId: request.auth?.memberId }));
    const session = issuer.registerSession({ memberId: 'member-test-norefresh' });
    const res = await other.inject({ url: '/me', headers: bearer(issuer.expiredSessionJwt({ sessionId: session.sessionId })) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ memberId: 'member-test-norefresh' });
    expect(res.headers['stytch-session-jwt']).toBeUndefined();
    await other.close();
  });

  it('refuses a second registration in the same app, loudly (one Auth per app)', async () => {
    const other = fastify({ logger: false });
    await other.register(ayzAuth, { auth });
    await expect(other.register(async (child) => child.register(ayzAuth, { auth }))).rejects.toMatchObject({
      code: 'FST_ERR_DEC_ALREADY_PRESENT',
    });
    await other.close();
  });

  it('refuses to register without an Auth', async () => {
    const other = fastify({ logger: false });
    await expect(other.register(ayzAuth, {} as { auth: Auth })).rejects.toThrow(/createAuth/);
    await other.close();
  });

  it('guards throw at route definition when given no names', () => {
    expect(() => app.requireEntitlement('')).toThrow(TypeError);
    expect(() => app.requireAllEntitlements([])).toThrow(TypeError);
    expect(() => app.requireClaims([''])).toThrow(TypeError);
  });
});
