/**
 * The examples' readiness route over real HTTP: 200 `{ ok: true }` when `auth.ready()`
 * resolves, otherwise the status, headers and body of the `AuthError` it rejects with.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { createExpressApp } from '../../examples/express-app/app.js';
import { createFastifyApp } from '../../examples/fastify-app/app.js';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

let issuer: TestIssuer;
let mongo: TestDb;
let auth: Auth;

beforeAll(async () => {
  issuer = await createTestIssuer();
  mongo = await connectTestDb('examples_healthz');
  auth = createAuth({ stytch: issuer.authOptions, mongo: { db: mongo.db }, logLevel: 'silent' });
});

afterAll(async () => {
  await auth.close();
  await mongo.close();
  await issuer.close();
});

/** The same Auth, except that its readiness fails the way a cold JWKS outage makes it fail. */
function notReady(base: Auth): Auth {
  return { ...base, ready: () => Promise.reject(new AuthError('jwks_unavailable')) };
}

type Start = (auth: Auth) => Promise<{ url: string; stop: () => Promise<void> }>;

const starters: Record<'express' | 'fastify', Start> = {
  express: async (a) => {
    const server: Server = createExpressApp(a, mongo.db).listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
  fastify: async (a) => {
    const app = await createFastifyApp(a, mongo.db);
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, stop: () => app.close() };
  },
};

describe.each(['express', 'fastify'] as const)('GET /healthz of the %s example', (framework) => {
  it('answers 200 { ok: true } when auth.ready() resolves', async () => {
    const app = await starters[framework](auth);
    try {
      const res = await fetch(`${app.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
    } finally {
      await app.stop();
    }
  });

  it('answers the AuthError’s status, headers and body when auth.ready() rejects', async () => {
    const app = await starters[framework](notReady(auth));
    try {
      const res = await fetch(`${app.url}/healthz`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ error: 'jwks_unavailable' });
    } finally {
      await app.stop();
    }
  });
});
