/**
 * A guard that reads the directory (entitlements, team) on an `Auth` without MongoDB: nobody's
 * plan is known, so it is the service's wiring error (said once per `Auth` at ERROR, answered
 * 500 through the framework's error handler), never a 403 `upgrade_required` to a paying
 * customer. Real apps over real HTTP, on Express 4/5 and Fastify 4/5.
 */
import { createServer } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import type { NextFunction, Request, Response } from 'express';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, hasEntitlement, type Auth } from 'ayz-auth';
import * as ex from 'ayz-auth/express';
import ayzAuth, * as fy from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { bearer, closeServer, httpRequest, listen } from './http-client.js';

const GUARDED = ['/ent/one', '/ent/any', '/ent/all', '/team', '/optional/ent'] as const;

interface Running {
  url: string;
  /** Errors the framework's error handler received. */
  errors: unknown[];
  handled: () => number;
  close(): Promise<void>;
}

type Start = (auth: Auth) => Promise<Running>;

function expressStart(express: typeof express5): Start {
  return async (auth) => {
    const app = express();
    const errors: unknown[] = [];
    let handled = 0;
    const ok = (_req: Request, res: Response) => {
      handled++;
      res.json({ ok: true });
    };
    const v = ex.verifyAuth(auth);
    app.get('/ent/one', v, ex.requireEntitlement('reports'), ok);
    app.get('/ent/any', v, ex.requireAnyEntitlement(['reports', 'exports']), ok);
    app.get('/ent/all', v, ex.requireAllEntitlements(['reports', 'exports']), ok);
    app.get('/team', v, ex.requireTeam(), ok);
    app.get('/optional/ent', ex.verifyAuthOptional(auth), ex.requireEntitlement('reports'), ok);
    app.get('/has', v, (req, res) => res.json({ has: hasEntitlement(ex.getAuth(req), 'reports') }));
    app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(error);
      res.status(500).json({ error: 'server_error', message: error.message });
    });
    const server = createServer(app);
    const url = await listen(server);
    return { url, errors, handled: () => handled, close: () => closeServer(server) };
  };
}

function fastifyStart(fastify: typeof fastify5): Start {
  return async (auth) => {
    const app = fastify({ logger: false });
    const errors: unknown[] = [];
    let handled = 0;
    await app.register(ayzAuth, { auth });
    // Records what reached the error handler, then answers as Fastify's default handler would.
    app.setErrorHandler(async (error, _request, reply) => {
      errors.push(error);
      return reply.code(500).send({ error: 'server_error', message: (error as Error).message });
    });
    const ok = async () => {
      handled++;
      return { ok: true };
    };
    app.get('/ent/one', { preHandler: [app.verifyAuth, app.requireEntitlement('reports')] }, ok);
    app.get('/ent/any', { preHandler: [app.verifyAuth, app.requireAnyEntitlement(['reports', 'exports'])] }, ok);
    app.get('/ent/all', { preHandler: [app.verifyAuth, app.requireAllEntitlements(['reports', 'exports'])] }, ok);
    app.get('/team', { preHandler: [app.verifyAuth, fy.requireTeam()] }, ok);
    app.get('/optional/ent', { preHandler: [app.verifyAuthOptional, app.requireEntitlement('reports')] }, ok);
    app.get('/has', { preHandler: app.verifyAuth }, async (request) => ({ has: hasEntitlement(fy.getAuth(request), 'reports') }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, errors, handled: () => handled, close: () => app.close() };
  };
}

describe.each([
  ['Express 4', expressStart(express4 as unknown as typeof express5)],
  ['Express 5', expressStart(express5)],
  ['Fastify 4', fastifyStart(fastify4 as unknown as typeof fastify5)],
  ['Fastify 5', fastifyStart(fastify5)],
])('%s: directory guards on an Auth without MongoDB', (_name, start) => {
  let issuer: TestIssuer;
  let logs: CapturedLog;
  let auth: Auth;
  let app: Running;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    logs = captureLogs();
    auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
    app = await start(auth);
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await issuer?.close();
  });

  it('never answers 403 upgrade_required; every request is the wiring error (500), the handler never runs', async () => {
    for (let round = 0; round < 4; round++) {
      for (const path of GUARDED) {
        const res = await httpRequest(`${app.url}${path}`, { headers: bearer(issuer.sessionJwt()) });
        expect(res.status, path).toBe(500);
        expect(res.text, path).not.toContain('upgrade_required');
        expect(res.text, path).not.toContain('entitlement_missing');
        expect(res.text, path).not.toContain('team_required');
      }
    }
    expect(app.handled()).toBe(0);
    // A plain Error (not an AuthError) naming the guard and the fix reached the error handler.
    const last = app.errors.at(-1) as Error;
    expect(last).toBeInstanceOf(Error);
    expect(last.name).toBe('Error');
    expect(last.message).toMatch(/requireEntitlement needs MongoDB: pass `mongo` to createAuth/);
    expect(app.errors).toHaveLength(4 * GUARDED.length);
  });

  it('logs the wiring error exactly once for this Auth, at ERROR, with the fix', () => {
    const lines = logs.find('needs MongoDB');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, guard: expect.stringMatching(/^require/) });
    expect(lines[0]?.msg).toMatch(/pass `mongo` to createAuth \(or set MONGODB_URI/);
  });

  it('says it once per Auth: a second Auth without MongoDB logs its own line', async () => {
    const other = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
    const otherApp = await start(other);
    try {
      for (let i = 0; i < 3; i++) {
        expect((await httpRequest(`${otherApp.url}/team`, { headers: bearer(issuer.sessionJwt()) })).status).toBe(500);
      }
      expect(logs.find('needs MongoDB')).toHaveLength(2);
      expect(logs.find('requireTeam needs MongoDB', 'error')).toHaveLength(1);
    } finally {
      await otherApp.close();
      await other.close();
    }
  });

  it('still answers a bad or missing token first (401), before any wiring check', async () => {
    expect((await httpRequest(`${app.url}/ent/one`, { headers: bearer(issuer.wrongKeySessionJwt()) })).status).toBe(401);
    const anonymous = await httpRequest(`${app.url}/optional/ent`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error).toBe('token_missing');
  });

  it('hasEntitlement stays a plain boolean (false) without MongoDB', async () => {
    const res = await httpRequest(`${app.url}/has`, { headers: bearer(issuer.sessionJwt()) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ has: false });
  });
});
