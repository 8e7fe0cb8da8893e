/**
 * The routes of `AdapterApp` (see ../scenarios.ts) on a Fastify app, for Fastify 4 or 5.
 */
import type fastify5 from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import { FORGED_CONTEXT, type AppDeps } from '../scenarios.js';

export type FastifyFactory = typeof fastify5;
type Plugin = typeof ayzAuth;

async function forge(request: FastifyRequest): Promise<void> {
  request.auth = FORGED_CONTEXT;
}

async function exposeRequestId(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header('Access-Control-Expose-Headers', 'X-Request-Id');
}

/** A Fastify app with the plugin registered; `logger` on (silent) so request.log is a real pino child. */
export async function newFastify(fastify: FastifyFactory, deps: { auth: AppDeps['auth'] }, plugin: Plugin = ayzAuth) {
  const app = fastify({ logger: { level: 'silent' } });
  await app.register(plugin, { auth: deps.auth });
  return app;
}

export async function startFastify(app: FastifyInstance): Promise<{ url: string; close(): Promise<void> }> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

export function fastifyApp(fastify: FastifyFactory, plugin: Plugin = ayzAuth) {
  return async (deps: AppDeps) => {
    const { handled } = deps;
    const app = await newFastify(fastify, deps, plugin);
    const hit = (path: string) => handled.set(path, (handled.get(path) ?? 0) + 1);
    const ok = (path: string) => async () => {
      hit(path);
      return { ok: true };
    };

    app.get('/me', { preHandler: app.verifyAuth }, async (request) => {
      hit('/me');
      const log = request.authLog as unknown as { bindings(): Record<string, unknown> } | null;
      return { auth: request.auth, memberId: getAuth(request).memberId, log: log?.bindings() };
    });
    app.get('/optional', { preHandler: app.verifyAuthOptional }, async (request) => {
      hit('/optional');
      return { auth: request.auth };
    });
    app.get('/optional/get-auth', { preHandler: app.verifyAuthOptional }, async (request) => {
      hit('/optional/get-auth');
      try {
        getAuth(request);
        return { thrown: null };
      } catch (error) {
        return { thrown: (error as Error).message };
      }
    });
    app.get('/optional/ent', { preHandler: [app.verifyAuthOptional, app.requireEntitlement('reports')] }, ok('/optional/ent'));
    app.get('/ent/one', { preHandler: [app.verifyAuth, app.requireEntitlement('reports')] }, ok('/ent/one'));
    app.get('/ent/any', { preHandler: [app.verifyAuth, app.requireAnyEntitlement(['reports', 'exports'])] }, ok('/ent/any'));
    app.get('/ent/all', { preHandler: [app.verifyAuth, app.requireAllEntitlements(['reports', 'exports'])] }, ok('/ent/all'));
    app.get('/factors', { onRequest: app.verifyAuth, preHandler: app.requireFactors(['totp']) }, ok('/factors'));
    app.get('/claims', { onRequest: [app.verifyAuth, app.requireClaims(['tenant'])] }, ok('/claims'));
    app.get('/forged/ent', { onRequest: forge, preHandler: [app.verifyAuth, app.requireEntitlement('reports')] }, ok('/forged/ent'));
    app.get('/forged/me', { onRequest: [forge, app.verifyAuth] }, async (request) => {
      hit('/forged/me');
      return { auth: request.auth };
    });
    app.get('/forged/unverified', { onRequest: forge, preHandler: app.requireEntitlement('reports') }, ok('/forged/unverified'));
    app.get('/unverified/get-auth', async (request) => {
      hit('/unverified/get-auth');
      try {
        getAuth(request);
        return { thrown: null };
      } catch (error) {
        return { thrown: (error as Error).message, isAuthError: (error as Error).name === 'AuthError' };
      }
    });
    app.get('/expose', { onRequest: [exposeRequestId, app.verifyAuth] }, ok('/expose'));

    return startFastify(app);
  };
}
