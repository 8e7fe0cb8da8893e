/**
 * `auth.ready()` behind a health route, over real HTTP: 503 with the error a request would
 * get while the signing keys or MongoDB are missing, 200 once both answer — and back to 503
 * when MongoDB goes away, without a restart.
 */
import { createServer } from 'node:net';
import express from 'express';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, seedMember } from 'ayz-auth/testing';
import { startLoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { bearer, httpRequest, type HttpResponse } from '../adapters/http-client.js';
import { startExpress } from '../adapters/express/express-app.js';
import { verifyAuth } from 'ayz-auth/express';

const DB = 'lifecycle_ready';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What a service's probe route looks like: `auth.ready()`, its AuthError as the answer. */
function healthApp(auth: Auth) {
  const app = express();
  app.get('/health', async (_req, res) => {
    try {
      await auth.ready();
      res.json({ status: 'ok' });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      res.status(error.status).set(error.headers).json(error.body);
    }
  });
  app.get('/me', verifyAuth(auth), (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

/** Polls `url` until `done` holds for the answer; throws with the last answer at the deadline. */
async function pollHealth(url: string, done: (res: HttpResponse) => boolean, timeoutMs = 10_000): Promise<HttpResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await httpRequest(url);
    if (done(res)) return res;
    if (Date.now() > deadline) throw new Error(`health never matched; last: ${res.status} ${res.text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const is = (status: number, error?: string) => (res: HttpResponse) => res.status === status && (error === undefined || res.json?.error === error);

describe('auth.ready() as a health route', () => {
  it('503 while the JWKS fails or MongoDB is down, 200 once both answer, 503 again when MongoDB stops', async () => {
    const issuer = await createTestIssuer();
    cleanups.push(() => issuer.close());
    issuer.setJwksMode('down');
    const port = await freePort();
    const logs = captureLogs();
    const auth = createAuth({
      stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
      mongo: { uri: `mongodb://127.0.0.1:${port}/${DB}?serverSelectionTimeoutMS=300&connectTimeoutMS=300` },
      jwks: { timeoutMs: 1_000 },
      logger: logs.logger,
    });
    cleanups.push(() => auth.close());
    const http = await startExpress(healthApp(auth));
    cleanups.push(() => http.close());
    const health = `${http.url}/health`;

    // Neither the keys nor MongoDB.
    const down = await httpRequest(health);
    expect(down.status).toBe(503);
    expect(['jwks_unavailable', 'context_unavailable']).toContain(down.json.error);
    expect(down.headers['retry-after']).toBe('5');

    // Keys back, MongoDB still absent: the answer names MongoDB.
    issuer.setJwksMode('ok');
    await pollHealth(health, is(503, 'context_unavailable'));

    // MongoDB appears on its port: ready, without a restart.
    const mongo = await startLoopbackMongo({ port, logCommands: false });
    cleanups.push(() => mongo.stop());
    await pollHealth(health, is(200));
    expect((await httpRequest(health)).json).toEqual({ status: 'ok' });

    // Loaded keys keep serving through a JWKS outage, so the service stays ready.
    issuer.setJwksMode('down');
    expect((await httpRequest(health)).status).toBe(200);
    issuer.setJwksMode('ok');

    // MongoDB goes away (connected client this time), then comes back.
    await mongo.pause();
    await pollHealth(health, is(503, 'context_unavailable'));
    await mongo.resume();
    await pollHealth(health, is(200));
  }, 60_000);

  it('503 jwks_unavailable while MongoDB answers but no signing key was ever loaded; 200 after', async () => {
    const issuer = await createTestIssuer();
    cleanups.push(() => issuer.close());
    issuer.setJwksMode('error500');
    const mongo = await startLoopbackMongo({ logCommands: false });
    cleanups.push(() => mongo.stop());
    const seedClient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2_000 });
    cleanups.push(() => seedClient.close(true));
    const seeded = await seedMember(seedClient.db(DB), {});
    const auth = createAuth({
      stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
      mongo: { uri: `${mongo.uri}/${DB}` },
      logger: captureLogs().logger,
    });
    cleanups.push(() => auth.close());
    const http = await startExpress(healthApp(auth));
    cleanups.push(() => http.close());

    const res = await httpRequest(`${http.url}/health`);
    expect({ status: res.status, error: res.json?.error }).toEqual({ status: 503, error: 'jwks_unavailable' });
    // The same code a request gets.
    const token = issuer.sessionJwt({ memberId: seeded.stytchMemberId, organizationId: seeded.stytchOrgId, expiresInSec: 3600 });
    const me = await httpRequest(`${http.url}/me`, { headers: bearer(token) });
    expect({ status: me.status, error: me.json?.error }).toEqual({ status: 503, error: 'jwks_unavailable' });

    issuer.setJwksMode('ok');
    await pollHealth(`${http.url}/health`, is(200));
    expect((await httpRequest(`${http.url}/me`, { headers: bearer(token) })).status).toBe(200);
  }, 30_000);

  it('without MongoDB configured, ready() is about the signing keys only', async () => {
    const issuer = await createTestIssuer();
    cleanups.push(() => issuer.close());
    issuer.setJwksMode('down');
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: captureLogs().logger });
    cleanups.push(() => auth.close());
    await expect(auth.ready()).rejects.toMatchObject({ name: 'AuthError', code: 'jwks_unavailable' });
    issuer.setJwksMode('ok');
    // The store may wait a moment before fetching again after a failure: poll, with a deadline.
    const deadline = Date.now() + 10_000;
    while (!(await auth.ready().then(() => true, () => false))) {
      if (Date.now() > deadline) throw new Error('never ready after the JWKS came back');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
