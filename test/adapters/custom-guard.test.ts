import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { toMiddleware as expressGuard, verifyAuth } from 'ayz-auth/express';
import ayzAuth, { toHook as fastifyGuard } from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { httpRequest } from './http-client.js';

// A service's own rule, written once against the core's context and used by both frameworks.
const sameSlug = (slug: string) => (ctx: { orgSlug: string | null }) =>
  ctx.orgSlug === slug ? null : new AuthError('claim_missing', { message: 'This route belongs to another organization' });

describe('toMiddleware / toHook: a service-defined guard with the built-in trust rule', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  let expressUrl: string;
  let server: Server;
  let fastify: FastifyInstance;
  let fastifyUrl: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    const app = express();
    app.use((req, _res, next) => {
      // A foreign req.auth must not satisfy the guard.
      (req as unknown as { auth: unknown }).auth = { orgSlug: 'acme' };
      next();
    });
    app.get('/acme', verifyAuth(auth), expressGuard(sameSlug('acme'), 'acmeOnly'), (_req, res) => res.json({ ok: true }));
    app.get('/unverified', expressGuard(sameSlug('acme'), 'acmeOnly'), (_req, res) => res.json({ ok: true }));
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => res.status(500).json({ error: 'wiring' }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    expressUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    fastify = Fastify();
    await fastify.register(ayzAuth, { auth });
    fastify.get('/acme', { preHandler: [fastify.verifyAuth, fastifyGuard(sameSlug('acme'), 'acmeOnly')] }, async () => ({ ok: true }));
    fastifyUrl = await fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await fastify.close();
    await issuer.close();
  });

  it.each([
    ['express', () => expressUrl],
    ['fastify', () => fastifyUrl],
  ])('%s: passes the right organization, refuses another with the core error', async (_name, base) => {
    const ok = await httpRequest(`${base()}/acme`, { headers: { authorization: `Bearer ${issuer.sessionJwt({ organizationSlug: 'acme' })}` } });
    expect(ok.status).toBe(200);
    const other = await httpRequest(`${base()}/acme`, { headers: { authorization: `Bearer ${issuer.sessionJwt({ organizationSlug: 'globex' })}` } });
    expect(other.status).toBe(403);
    expect(other.json).toEqual({ error: 'claim_missing', message: 'This route belongs to another organization' });
    expect(other.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it('express: a guard without verifyAuth is a wiring error, even with a foreign req.auth', async () => {
    const res = await httpRequest(`${expressUrl}/unverified`, { headers: { authorization: `Bearer ${issuer.sessionJwt({ organizationSlug: 'acme' })}` } });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: 'wiring' });
  });
});
