/**
 * Error responses shaped by the service: `errorResponse` (problem+json with a request id) on
 * both adapters, used by `verifyAuth` and by the guards after it, and Fastify's
 * `errors: 'throw'`, which hands the `AuthError` (statusCode, code, headers) to the app's
 * `setErrorHandler`. The status, `WWW-Authenticate`, `Retry-After` and `Cache-Control: no-store`
 * stay the library's. Real apps over real HTTP.
 */
import { createServer } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import type { NextFunction, Request, Response } from 'express';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import * as ex from 'ayz-auth/express';
import ayzAuth from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, closeServer, httpRequest, listen, type HttpResponse } from './http-client.js';

const PROBLEM = 'application/problem+json';

/** RFC 9457 problem details, with the framework's request id. */
function problem(error: AuthError, requestId: unknown) {
  return {
    body: {
      type: `https://errors.example.com/auth/${error.code}`,
      title: error.message,
      status: error.status,
      code: error.code,
      requestId,
    },
    contentType: PROBLEM,
  };
}

function expectProblem(res: HttpResponse, status: number, code: string, requestId: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.text)).toEqual({
    type: `https://errors.example.com/auth/${code}`,
    title: expect.any(String),
    status,
    code,
    requestId,
  });
  expect(res.headers['cache-control']).toBe('no-store');
  if (status === 401 || status === 403) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="ayz-auth"/);
}

let issuer: TestIssuer;
let auth: Auth;

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
});

afterAll(async () => {
  await auth?.close();
  await issuer?.close();
});

describe.each([
  ['Express 4', express4 as unknown as typeof express5],
  ['Express 5', express5],
])('%s: errorResponse', (_name, express) => {
  let url: string;
  let close: () => Promise<void>;
  const errorsSeen: unknown[] = [];

  beforeAll(async () => {
    const app = express();
    // A request-id middleware (as express-request-id / pino-http set `req.id`).
    app.use((req: Request, _res: Response, next: NextFunction) => {
      (req as Request & { id?: string }).id = String(req.headers['x-request-id'] ?? 'none');
      next();
    });
    const shaped = { errorResponse: (error: AuthError, req: Request) => problem(error, (req as Request & { id?: string }).id) };
    app.get('/me', ex.verifyAuth(auth, shaped), (_req, res) => res.json({ ok: true }));
    app.get('/claims', ex.verifyAuth(auth, shaped), ex.requireClaims(['tenant']), (_req, res) => res.json({ ok: true }));
    app.get('/optional/claims', ex.verifyAuthOptional(auth, shaped), ex.requireClaims(['tenant']), (_req, res) => res.json({ ok: true }));
    app.get('/default', ex.verifyAuth(auth), ex.requireClaims(['tenant']), (_req, res) => res.json({ ok: true }));
    app.get(
      '/buggy-shaper',
      ex.verifyAuth(auth, {
        errorResponse: () => {
          throw new TypeError('a bug in the shaper');
        },
      }),
      (_req, res) => res.json({ ok: true }),
    );
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      errorsSeen.push(error);
      res.status(500).json({ error: 'server_error', message: error.message });
    });
    const server = createServer(app);
    url = await listen(server);
    close = () => closeServer(server);
  });

  afterAll(() => close?.());

  it("verifyAuth's refusals use the service's body, keeping status and headers", async () => {
    expectProblem(await httpRequest(`${url}/me`, { headers: { 'x-request-id': 'rid-1' } }), 401, 'token_missing', 'rid-1');
    const bad = await httpRequest(`${url}/me`, { headers: { ...bearer(issuer.wrongKeySessionJwt()), 'x-request-id': 'rid-2' } });
    expectProblem(bad, 401, 'token_invalid', 'rid-2');
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('the guards after it use it too', async () => {
    const res = await httpRequest(`${url}/claims`, { headers: { ...bearer(issuer.sessionJwt()), 'x-request-id': 'rid-3' } });
    expectProblem(res, 403, 'claim_missing', 'rid-3');
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const anonymous = await httpRequest(`${url}/optional/claims`, { headers: { 'x-request-id': 'rid-4' } });
    expectProblem(anonymous, 401, 'token_missing', 'rid-4');
  });

  it('the default stays JSON { error, message }', async () => {
    const res = await httpRequest(`${url}/default`, { headers: bearer(issuer.sessionJwt()) });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json).toMatchObject({ error: 'claim_missing', message: expect.any(String) });
  });

  it("a throwing errorResponse is the service's bug: next(err)", async () => {
    const before = errorsSeen.length;
    const res = await httpRequest(`${url}/buggy-shaper`);
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'server_error', message: 'a bug in the shaper' });
    expect(errorsSeen.length).toBe(before + 1);
  });

  it('refuses an errorResponse that is not a function, at start-up', () => {
    expect(() => ex.verifyAuth(auth, { errorResponse: 'problem' as unknown as ex.ErrorResponseBuilder })).toThrow(TypeError);
  });
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])('%s', (_name, fastify) => {
  describe('errorResponse', () => {
    let url: string;
    let close: () => Promise<void>;

    beforeAll(async () => {
      const app = fastify({ logger: false, requestIdHeader: 'x-request-id' });
      await app.register(ayzAuth, { auth, errorResponse: (error: AuthError, request: FastifyRequest) => problem(error, request.id) });
      app.get('/me', { preHandler: app.verifyAuth }, async () => ({ ok: true }));
      app.get('/claims', { preHandler: [app.verifyAuth, app.requireClaims(['tenant'])] }, async () => ({ ok: true }));
      app.get('/optional/claims', { preHandler: [app.verifyAuthOptional, app.requireClaims(['tenant'])] }, async () => ({ ok: true }));
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      close = () => app.close();
    });

    afterAll(() => close?.());

    it("verifyAuth's refusals carry Fastify's request id in the service's body", async () => {
      expectProblem(await httpRequest(`${url}/me`, { headers: { 'x-request-id': 'rid-f1' } }), 401, 'token_missing', 'rid-f1');
    });

    it('the guards after it use it too', async () => {
      const res = await httpRequest(`${url}/claims`, { headers: { ...bearer(issuer.sessionJwt()), 'x-request-id': 'rid-f2' } });
      expectProblem(res, 403, 'claim_missing', 'rid-f2');
      expectProblem(await httpRequest(`${url}/optional/claims`, { headers: { 'x-request-id': 'rid-f3' } }), 401, 'token_missing', 'rid-f3');
    });
  });

  describe("errors: 'throw'", () => {
    let url: string;
    let close: () => Promise<void>;
    const seen: unknown[] = [];

    beforeAll(async () => {
      const app = fastify({ logger: false });
      await app.register(ayzAuth, { auth, errors: 'throw' });
      app.setErrorHandler(async (error, request, reply) => {
        seen.push(error);
        const e = error as { statusCode?: number; code?: string };
        return reply
          .code(e.statusCode ?? 500)
          .type(PROBLEM)
          .send(JSON.stringify({ title: 'refused', status: e.statusCode, code: e.code, requestId: request.id }));
      });
      app.get('/me', { preHandler: app.verifyAuth }, async () => ({ ok: true }));
      app.get('/claims', { onRequest: app.verifyAuth, preHandler: app.requireClaims(['tenant']) }, async () => ({ ok: true }));
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      close = () => app.close();
    });

    afterAll(() => close?.());

    it("hands the AuthError to the app's setErrorHandler with statusCode, code and headers", async () => {
      const res = await httpRequest(`${url}/me`, { headers: bearer(issuer.expiredSessionJwt()) });
      const error = seen.at(-1) as AuthError;
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ statusCode: 401, code: 'token_expired' });
      expect(error.headers['WWW-Authenticate']).toContain('error="invalid_token"');
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({ status: 401, code: 'token_expired', requestId: expect.any(String) });
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('guards throw too', async () => {
      const before = seen.length;
      const res = await httpRequest(`${url}/claims`, { headers: bearer(issuer.sessionJwt()) });
      expect(seen.length).toBe(before + 1);
      expect(seen.at(-1)).toMatchObject({ statusCode: 403, code: 'claim_missing' });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it("with Fastify's default error handler, the status and headers are the AuthError's", async () => {
      const app = fastify({ logger: false });
      await app.register(ayzAuth, { auth, errors: 'throw' });
      app.get('/me', { preHandler: app.verifyAuth }, async () => ({ ok: true }));
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        const res = await httpRequest(`${base}/me`);
        expect(res.status).toBe(401);
        expect(res.json).toMatchObject({ statusCode: 401, code: 'token_missing' });
        expect(res.headers['www-authenticate']).toBe('Bearer realm="ayz-auth"');
        expect(res.headers['cache-control']).toBe('no-store');
      } finally {
        await app.close();
      }
    });

    it('refuses bad options at registration', async () => {
      for (const options of [
        { auth, errors: 'raise' },
        { auth, errors: 'throw', errorResponse: () => ({ body: {} }) },
        { auth, errorResponse: 'problem' },
      ]) {
        const app = fastify({ logger: false });
        await expect(app.register(ayzAuth, options as never)).rejects.toThrow(TypeError);
        await app.close();
      }
    });
  });
});
