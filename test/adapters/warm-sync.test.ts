/**
 * The warm request costs no promise (issue 15, goal 1): with the token verified before and the
 * whole context cached (`cacheTeam: true`, MongoDB context), Express's `verifyAuth` calls
 * `next` before it returns, and Fastify's `verifyAuth` and guards, called by Fastify with
 * `done`, call it before they return and answer no promise. A cold request still goes the
 * promise way, and called by hand without `done` the Fastify hooks still answer a promise.
 * Express: `req.authLog` works without an accessor defined on each request.
 * Each probe is a real app over real HTTP, on Express 4 and 5 and Fastify 4 and 5.
 */
import express5, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyReply, type FastifyRequest, type HookHandlerDoneFunction } from 'fastify';
import fastify4 from 'fastify4';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from 'mongodb';
import { createAuth, type Auth } from 'ayz-auth';
import { verifyAuth, requireEntitlement } from 'ayz-auth/express';
import ayzAuth, { type AuthHook } from 'ayz-auth/fastify';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { connectMonitored, type MonitoredMongo } from '../context/context-fixture.js';
import { bearer, closeServer, httpRequest, listen } from './http-client.js';

let issuer: TestIssuer;
let mongo: MonitoredMongo;
let db: Db;
let auth: Auth;
let token: string;
const extraAuths: Auth[] = [];

/** An Auth of its own (its own caches, so the first request is cold), team cached. */
function cachedAuth(): Auth {
  const a = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: 'silent', context: { cacheTeam: true } });
  extraAuths.push(a);
  return a;
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  mongo = await connectMonitored();
  db = mongo.client.db(`warm_sync_${randomUUID().slice(0, 8)}`);
  const member = await seedMember(db, { entitlements: ['reports'] });
  token = issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, expiresInSec: 600 });
  auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: 'silent', context: { cacheTeam: true } });
});
afterAll(async () => {
  await auth?.close();
  for (const a of extraAuths) await a.close();
  await mongo?.close();
  await issuer?.close();
});

/** Runs `mw` and reports whether it called `next` before returning. */
function probeExpress(mw: RequestHandler, key: 'verifySync' | 'guardSync'): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let returned = false;
    const locals = res.locals as Record<string, unknown>;
    void mw(req, res, (err?: unknown) => {
      locals[key] = !returned;
      next(err);
    });
    returned = true;
  };
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4 as unknown as typeof express5],
])('%s: a warm request goes through verifyAuth with no promise', (_name, express) => {
  it('calls next() before verifyAuth and requireEntitlement return; the cold one after', async () => {
    const fresh = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    const app = express();
    app.get('/probe', probeExpress(verifyAuth(fresh), 'verifySync'), (req, res) => {
      res.json({
        verifySync: res.locals['verifySync'],
        memberId: req.auth?.memberId,
        ownAuthLog: Object.prototype.hasOwnProperty.call(req, 'authLog'),
        authLogMember: (req.authLog as unknown as { bindings(): Record<string, unknown> } | undefined)?.bindings()['memberId'],
      });
    });
    app.get('/guarded', verifyAuth(auth), probeExpress(verifyAuth(auth), 'verifySync'), probeExpress(requireEntitlement('reports'), 'guardSync'), (_req, res) => {
      res.json({ verifySync: res.locals['verifySync'], guardSync: res.locals['guardSync'] });
    });
    const server = createServer(app);
    const url = await listen(server);
    try {
      const memberToken = issuer.sessionJwt({ memberId: 'member-test-warm-sync', expiresInSec: 600 });
      const cold = await httpRequest(`${url}/probe`, { headers: bearer(memberToken) });
      expect(cold.json).toEqual({ verifySync: false, memberId: 'member-test-warm-sync', ownAuthLog: false, authLogMember: 'member-test-warm-sync' });
      const warm = await httpRequest(`${url}/probe`, { headers: bearer(memberToken) });
      // No accessor defined on the request itself; req.authLog still binds the caller.
      expect(warm.json).toEqual({ verifySync: true, memberId: 'member-test-warm-sync', ownAuthLog: false, authLogMember: 'member-test-warm-sync' });
      // MongoDB context, team cached: the first verifyAuth warmed it, the probed one answers at once.
      expect((await httpRequest(`${url}/guarded`, { headers: bearer(token) })).json).toEqual({ verifySync: true, guardSync: true });
    } finally {
      await closeServer(server);
      await fresh.close();
    }
  });
});

/** Calls `hook` as Fastify does (with `done`) and records whether `done` ran before it returned. */
function probeFastify(hook: AuthHook, key: 'verifySync' | 'guardSync', seen: WeakMap<FastifyRequest, Record<string, boolean>>) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    let returned = false;
    let called = false;
    const record = seen.get(request) ?? {};
    seen.set(request, record);
    const answer = hook(request, reply, () => {
      called = true;
      record[key] = !returned;
      done();
    });
    returned = true;
    if (answer !== undefined) {
      // The promise way: it must not also have called done.
      void answer.then(() => {
        record[key] = false;
        if (!called) done();
      }, done);
    }
  };
}

describe.each([
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
])('%s: a warm request goes through the hooks with no promise', (_name, fastify) => {
  it('calls done before verifyAuth and requireEntitlement return; answers a promise when cold or called by hand', async () => {
    const app = fastify();
    await app.register(ayzAuth, { auth: cachedAuth() });
    const seen = new WeakMap<FastifyRequest, Record<string, boolean>>();
    app.get(
      '/probe',
      { onRequest: [probeFastify(app.verifyAuth, 'verifySync', seen), probeFastify(app.requireEntitlement('reports'), 'guardSync', seen)] },
      async (request) => ({ ...seen.get(request), memberId: request.auth?.memberId }),
    );
    app.get('/by-hand', async (request, reply) => {
      const answer = app.verifyAuth(request, reply);
      return { promise: answer instanceof Promise, resolved: (await answer) === undefined, memberId: request.auth?.memberId };
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const cold = await httpRequest(`${url}/probe`, { headers: bearer(token) });
      expect(cold.json).toEqual({ verifySync: false, guardSync: true, memberId: expect.any(String) });
      const warm = await httpRequest(`${url}/probe`, { headers: bearer(token) });
      expect(warm.json).toEqual({ verifySync: true, guardSync: true, memberId: cold.json.memberId });
      expect((await httpRequest(`${url}/by-hand`, { headers: bearer(token) })).json).toEqual({ promise: true, resolved: true, memberId: cold.json.memberId });
      const refused = await httpRequest(`${url}/probe`, { headers: bearer(`${token}x`) });
      expect({ status: refused.status, error: refused.json.error }).toEqual({ status: 401, error: 'token_invalid' });
    } finally {
      await app.close();
    }
  });
});
