/**
 * The library's log lines written while a request is authenticated carry that request's id:
 * Fastify's `request.id` (as `reqId`, like Fastify's own lines) with `createAuth({ logger:
 * app.log })`, and pino-http's `req.id` on Express. Real apps over real HTTP, logs captured
 * from the framework's own pino stream; a rejected token makes the core write its DEBUG
 * "Token rejected" line.
 */
import { createServer } from 'node:http';
import express from 'express';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { verifyAuth } from 'ayz-auth/express';
import ayzAuth from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, closeServer, httpRequest, listen } from './http-client.js';
import { lineSink } from '../support/log-lines.js';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await issuer?.close();
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])('%s with createAuth({ logger: app.log })', (_name, fastify) => {
  let auth: Auth;
  let url: string;
  let close: () => Promise<void>;
  const sink = lineSink();

  beforeAll(async () => {
    const app = fastify({ logger: { level: 'debug', stream: sink.stream } });
    auth = createAuth({ stytch: issuer.authOptions, logger: app.log });
    await app.register(ayzAuth, { auth });
    // The client learns the id Fastify gave its request.
    app.addHook('onSend', async (request, reply) => {
      reply.header('x-request-id', String(request.id));
    });
    app.get('/me', { preHandler: app.verifyAuth }, async () => ({ ok: true }));
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    close = () => app.close();
  });

  afterAll(async () => {
    await close?.();
    await auth?.close();
  });

  it('a rejected token is logged with the reqId of its request', async () => {
    const ids: string[] = [];
    for (const token of ['not-a-token', issuer.wrongKeySessionJwt()]) {
      const res = await httpRequest(`${url}/me`, { headers: bearer(token) });
      expect(res.status).toBe(401);
      ids.push(res.headers['x-request-id'] as string);
    }
    expect(new Set(ids).size).toBe(2);
    const rejected = sink.lines().filter((l) => l.msg === 'Token rejected');
    expect(rejected.map((l) => String(l.reqId))).toEqual(ids);
  });
});

describe('Express with pino-http', () => {
  let auth: Auth;
  let url: string;
  let close: () => Promise<void>;
  const sink = lineSink();

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, sink.stream);
    auth = createAuth({ stytch: issuer.authOptions, logger });
    const app = express();
    app.use(pinoHttp({ logger }));
    app.use((req, res, next) => {
      res.setHeader('x-request-id', String(req.id));
      next();
    });
    app.get('/me', verifyAuth(auth), (_req, res) => res.json({ ok: true }));
    const server = createServer(app);
    url = await listen(server);
    close = () => closeServer(server);
  });

  afterAll(async () => {
    await close?.();
    await auth?.close();
  });

  it("a rejected token is logged with pino-http's req.id", async () => {
    const ids: string[] = [];
    for (const token of ['not-a-token', issuer.wrongKeySessionJwt()]) {
      const res = await httpRequest(`${url}/me`, { headers: bearer(token) });
      expect(res.status).toBe(401);
      ids.push(res.headers['x-request-id'] as string);
    }
    expect(new Set(ids).size).toBe(2);
    const rejected = sink.lines().filter((l) => l.msg === 'Token rejected');
    expect(rejected.map((l) => String(l.reqId))).toEqual(ids);
  });
});
