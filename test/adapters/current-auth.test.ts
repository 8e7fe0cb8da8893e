/**
 * `currentAuth()`: the verified context read by code the request runs (a "repository" that
 * awaits before reading it), without `req`, over real HTTP on Express 4/5 and Fastify 4/5:
 * after awaits, with a request body parsed, in later hooks, isolated between concurrent
 * requests, null-safe on anonymous requests, off by default, and a clear error outside.
 */
import { createServer } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import express5 from 'express';
import express4 from 'express4';
import type { Request, Response } from 'express';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createAuth, currentAuth, peekCurrentAuth, runWithAuth, type Auth, type AuthContext } from 'ayz-auth';
import * as ex from 'ayz-auth/express';
import ayzAuth, * as fy from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../support/log-capture.js';
import { bearer, closeServer, httpRequest, listen } from './http-client.js';

/** Code far from the request: no `req`, an await before it reads the context. */
async function repository(): Promise<{ memberId: string }> {
  await tick();
  await Promise.resolve();
  return { memberId: currentAuth().memberId };
}

/** Resolves every waiter once `size` requests are waiting: both requests are in flight at once. */
function barrier(size: number): () => Promise<void> {
  let waiting: (() => void)[] = [];
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === size) {
        for (const release of waiting) release();
        waiting = [];
      }
    });
}

function attempt(): { memberId: string | null; thrown: string | null; peek: unknown } {
  try {
    return { memberId: currentAuth().memberId, thrown: null, peek: peekCurrentAuth() === null ? null : 'context' };
  } catch (error) {
    const peek = peekCurrentAuth();
    return { memberId: null, thrown: (error as Error).message, peek: peek === undefined ? 'undefined' : peek === null ? null : 'context' };
  }
}

interface Running {
  url: string;
  close(): Promise<void>;
}
type Start = (auth: Auth) => Promise<Running>;

function expressStart(express: typeof express5): Start {
  return async (auth) => {
    const app = express();
    app.use(express.json());
    const v = ex.verifyAuth(auth, { currentAuth: true });
    const together = barrier(2);
    app.get('/ca', v, async (_req: Request, res: Response) => {
      res.json(await repository());
    });
    app.post('/ca/body', v, async (req: Request, res: Response) => {
      res.json({ ...(await repository()), body: req.body });
    });
    app.get('/ca/later', v, (_req, _res, next) => next(), async (_req: Request, res: Response) => {
      await tick();
      res.json(attempt());
    });
    app.get('/ca/together', v, async (_req: Request, res: Response) => {
      await together();
      res.json(await repository());
    });
    app.get('/ca/optional', ex.verifyAuthOptional(auth, { currentAuth: true }), async (_req: Request, res: Response) => {
      await tick();
      res.json(attempt());
    });
    app.get('/ca/off', ex.verifyAuth(auth), async (_req: Request, res: Response) => {
      await tick();
      res.json(attempt());
    });
    const server = createServer(app);
    const url = await listen(server);
    return { url, close: () => closeServer(server) };
  };
}

function fastifyStart(fastify: typeof fastify5): Start {
  return async (auth) => {
    const app = fastify({ logger: false }) as unknown as FastifyInstance;
    await app.register(ayzAuth, { auth, currentAuth: true });
    const together = barrier(2);
    app.get('/ca', { preHandler: app.verifyAuth }, async () => repository());
    // Authenticated in onRequest, before the body is parsed (the store must survive parsing).
    app.post('/ca/body', { onRequest: app.verifyAuth }, async (request) => ({ ...(await repository()), body: request.body }));
    app.post('/ca/body-pre', { preHandler: app.verifyAuth }, async (request) => ({ ...(await repository()), body: request.body }));
    app.get(
      '/ca/later',
      {
        onRequest: app.verifyAuth,
        preHandler: async (request) => {
          await tick();
          (request as unknown as { seen: unknown }).seen = attempt();
        },
      },
      async (request) => (request as unknown as { seen: unknown }).seen,
    );
    app.get('/ca/together', { preHandler: app.verifyAuth }, async () => {
      await together();
      return repository();
    });
    app.get('/ca/optional', { preHandler: app.verifyAuthOptional }, async () => {
      await tick();
      return attempt();
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    // A second app whose plugin was registered without the option.
    const off = fastify({ logger: false }) as unknown as FastifyInstance;
    await off.register(ayzAuth, { auth });
    off.get('/ca/off', { preHandler: off.verifyAuth }, async () => {
      await tick();
      return attempt();
    });
    const offUrl = await off.listen({ port: 0, host: '127.0.0.1' });
    return {
      url,
      offUrl,
      close: async () => {
        await app.close();
        await off.close();
      },
    } as Running;
  };
}

describe.each([
  ['Express 4', expressStart(express4 as unknown as typeof express5), false],
  ['Express 5', expressStart(express5), false],
  ['Fastify 4', fastifyStart(fastify4 as unknown as typeof fastify5), true],
  ['Fastify 5', fastifyStart(fastify5), true],
])('%s: currentAuth()', (_name, start, isFastify) => {
  let issuer: TestIssuer;
  let auth: Auth;
  let app: Running & { offUrl?: string };

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: issuer.authOptions, logger: captureLogs().logger });
    app = await start(auth);
  });

  afterAll(async () => {
    await app?.close();
    await auth?.close();
    await issuer?.close();
  });

  const as = (memberId: string) => bearer(issuer.sessionJwt({ memberId }));

  it('is the verified context in code the handler awaits, without req', async () => {
    const res = await httpRequest(`${app.url}/ca`, { headers: as('member-test-ca-1') });
    expect({ status: res.status, json: res.json }).toEqual({ status: 200, json: { memberId: 'member-test-ca-1' } });
  });

  it('survives the parsing of a request body', async () => {
    const paths = isFastify ? ['/ca/body', '/ca/body-pre'] : ['/ca/body'];
    for (const path of paths) {
      const res = await httpRequest(`${app.url}${path}`, {
        method: 'POST',
        headers: { ...as('member-test-ca-body'), 'content-type': 'application/json' },
        body: JSON.stringify({ n: 1 }),
      });
      expect({ path, status: res.status, json: res.json }).toEqual({ path, status: 200, json: { memberId: 'member-test-ca-body', body: { n: 1 } } });
    }
  });

  it('is there in the middleware or hooks after verifyAuth', async () => {
    const res = await httpRequest(`${app.url}/ca/later`, { headers: as('member-test-ca-later') });
    expect(res.json).toEqual({ memberId: 'member-test-ca-later', thrown: null, peek: 'context' });
  });

  it('keeps concurrent requests apart', async () => {
    const [a, b] = await Promise.all([
      httpRequest(`${app.url}/ca/together`, { headers: as('member-test-ca-a') }),
      httpRequest(`${app.url}/ca/together`, { headers: as('member-test-ca-b') }),
    ]);
    expect([a.json, b.json]).toEqual([{ memberId: 'member-test-ca-a' }, { memberId: 'member-test-ca-b' }]);
  });

  it('throws a clear error on an anonymous request; peekCurrentAuth() is null there', async () => {
    const res = await httpRequest(`${app.url}/ca/optional`);
    expect(res.json).toEqual({ memberId: null, thrown: expect.stringMatching(/anonymous request/), peek: null });
    const signedIn = await httpRequest(`${app.url}/ca/optional`, { headers: as('member-test-ca-opt') });
    expect(signedIn.json).toEqual({ memberId: 'member-test-ca-opt', thrown: null, peek: 'context' });
  });

  it('is off unless the adapter is told: then it throws, naming the option', async () => {
    const res = await httpRequest(`${app.offUrl ?? app.url}/ca/off`, { headers: as('member-test-ca-off') });
    expect(res.json).toEqual({ memberId: null, thrown: expect.stringMatching(/outside an authenticated request.*currentAuth: true/), peek: 'undefined' });
  });
});

describe('currentAuth() outside a request', () => {
  it('throws a plain Error, and runWithAuth sets it for background work', async () => {
    expect(() => currentAuth()).toThrow(/^ayz-auth: currentAuth\(\) called outside an authenticated request/);
    expect(peekCurrentAuth()).toBeUndefined();
    const ctx = Object.freeze({ memberId: 'member-test-job' }) as unknown as AuthContext;
    expect(await runWithAuth(ctx, repository)).toEqual({ memberId: 'member-test-job' });
    expect(() => runWithAuth(null, currentAuth)).toThrow(/anonymous request/);
    expect(peekCurrentAuth()).toBeUndefined();
  });

  it('has the documented types', () => {
    expectTypeOf(currentAuth).toEqualTypeOf<() => AuthContext>();
    expectTypeOf(peekCurrentAuth).toEqualTypeOf<() => AuthContext | null | undefined>();
    expectTypeOf(runWithAuth<number>).toEqualTypeOf<(ctx: AuthContext | null, fn: () => number) => number>();
    expectTypeOf<NonNullable<ex.VerifyAuthOptions['currentAuth']>>().toEqualTypeOf<boolean>();
    expectTypeOf<NonNullable<fy.AyzAuthPluginOptions['currentAuth']>>().toEqualTypeOf<boolean>();
  });
});
