/**
 * A slow authentication (a cold token, a directory read from MongoDB) logs with its request's
 * id without entering any AsyncLocalStorage: on Node 20 the first `AsyncLocalStorage.run` turns
 * on promise hooks for the whole process, for good, and every route of the service (bare ones
 * included) pays for them on each request. Real Fastify and Express (pino-http) apps over real
 * HTTP, test MongoDB, logs from the framework's own pino stream; `run` and `enterWith` are
 * watched on the class every AsyncLocalStorage shares.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import fastify from 'fastify';
import { MongoClient, type Db } from 'mongodb';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { verifyAuth } from 'ayz-auth/express';
import ayzAuth from 'ayz-auth/fastify';
import { createTestIssuer, seedOrganization, seedUser, type TestIssuer } from 'ayz-auth/testing';
import { bearer, closeServer, httpRequest, listen } from './http-client.js';
import { lineSink } from '../support/log-lines.js';

let issuer: TestIssuer;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  issuer = await createTestIssuer();
  client = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  db = client.db(`reqlog_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
});
afterEach(() => {
  vi.restoreAllMocks();
});
afterAll(async () => {
  await client?.close();
  await issuer?.close();
});

/** A member whose organization has no membership row: the directory read WARNs (and falls back). */
async function memberWithoutMembership(): Promise<{ token: string; stytchOrgId: string }> {
  const stytchOrgId = `organization-test-${randomUUID()}`;
  const stytchMemberId = `member-test-${randomUUID()}`;
  await seedOrganization(db, { stytchOrgId });
  await seedUser(db, { stytchMemberId });
  return { token: issuer.sessionJwt({ memberId: stytchMemberId, organizationId: stytchOrgId, expiresInSec: 600 }), stytchOrgId };
}

function watchAsyncLocalStorage() {
  return { run: vi.spyOn(AsyncLocalStorage.prototype, 'run'), enterWith: vi.spyOn(AsyncLocalStorage.prototype, 'enterWith') };
}

describe('slow authentications log with the request id, and no AsyncLocalStorage is entered', () => {
  it('Fastify (createAuth({ logger: app.log }))', async () => {
    const sink = lineSink();
    const app = fastify({ logger: { level: 'debug', stream: sink.stream } });
    const auth: Auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logger: app.log });
    await app.register(ayzAuth, { auth });
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', String(request.id));
    });
    app.get('/me', { onRequest: app.verifyAuth }, async () => ({ ok: true }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const als = watchAsyncLocalStorage();
    try {
      const { token, stytchOrgId } = await memberWithoutMembership();
      const ok = await httpRequest(`${url}/me`, { headers: bearer(token) });
      expect(ok.status).toBe(200);
      const rejected = await httpRequest(`${url}/me`, { headers: bearer(issuer.wrongKeySessionJwt()) });
      expect(rejected.status).toBe(401);

      const lines = sink.lines();
      const directoryWarn = lines.filter((l) => l.level === 40 && l.stytchOrgId === stytchOrgId);
      expect(directoryWarn.length).toBeGreaterThan(0);
      expect(directoryWarn.every((l) => String(l.reqId) === ok.headers['x-request-id'])).toBe(true);
      expect(lines.filter((l) => l.msg === 'Token rejected').map((l) => String(l.reqId))).toEqual([rejected.headers['x-request-id']]);
      expect(als.run).not.toHaveBeenCalled();
      expect(als.enterWith).not.toHaveBeenCalled();
    } finally {
      await app.close();
      await auth.close();
    }
  });

  it('Express (pino-http req.id)', async () => {
    const sink = lineSink();
    const logger = pino({ level: 'debug' }, sink.stream);
    const auth: Auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logger });
    let next = 0;
    const app = express();
    app.use(pinoHttp({ logger, genReqId: (_req, res) => {
      const id = `req-${++next}`;
      res.setHeader('x-request-id', id);
      return id;
    } }));
    app.get('/me', verifyAuth(auth), (_req, res) => void res.json({ ok: true }));
    const server = createServer(app);
    const url = await listen(server);
    const als = watchAsyncLocalStorage();
    try {
      const { token, stytchOrgId } = await memberWithoutMembership();
      const ok = await httpRequest(`${url}/me`, { headers: bearer(token) });
      expect(ok.status).toBe(200);
      const lines = sink.lines();
      const directoryWarn = lines.filter((l) => l.level === 40 && l.stytchOrgId === stytchOrgId);
      expect(directoryWarn.length).toBeGreaterThan(0);
      expect(directoryWarn.every((l) => l.reqId === ok.headers['x-request-id'])).toBe(true);
      expect(als.run).not.toHaveBeenCalled();
      expect(als.enterWith).not.toHaveBeenCalled();
    } finally {
      await closeServer(server);
      await auth.close();
    }
  });
});
