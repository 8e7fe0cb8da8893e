/**
 * The routes of the permission and step-up scenarios (./guard-scenarios.ts) on an Express app
 * (4 or 5) and on a Fastify app (4 or 5): same paths, same guard order, real HTTP on loopback.
 * - `/perm/read`, `/perm/delete`: verifyAuth + requirePermission('documents', 'read' | 'delete')
 * - `/optional/perm`: verifyAuthOptional + requirePermission('documents', 'read')
 * - `/custom/perm`: verifyAuth + the bridge over a service's own check that calls `permissionError`
 *   (synchronous: it throws the 503 `AuthError` before the first policy load)
 * - `/stepup`: verifyAuth + requireFactors(['totp'], { within: '10m' })
 * - `/stepup/two`: verifyAuth + requireFactors(['totp', 'magic_link'], { within: 600 })
 * Every handler counts itself in `handled` and answers `{ ok: true }`; a plain `Error` (a wiring
 * bug) is answered 500 `{ error: 'wiring' }` by the app's error handler.
 */
import { createServer } from 'node:http';
import type express5 from 'express';
import type { NextFunction, Request, Response } from 'express';
import type fastify5 from 'fastify';
import { permissionError, type Auth, type Check } from 'ayz-auth';
import { requireFactors, requirePermission, toMiddleware, verifyAuth, verifyAuthOptional } from 'ayz-auth/express';
import ayzAuth, { toHook } from 'ayz-auth/fastify';
import { closeServer, listen } from '../adapters/http-client.js';

export interface GuardAppDeps {
  auth: Auth;
  /** Handlers that ran, by path. */
  handled: Map<string, number>;
}
export type StartGuardApp = (deps: GuardAppDeps) => Promise<{ url: string; close(): Promise<void> }>;
export type ExpressFactory = typeof express5;
export type FastifyFactory = typeof fastify5;

/** A service's own rule over the core's synchronous `permissionError`. */
const canReadDocuments: Check = (ctx) => permissionError(ctx, 'documents', 'read');

function count(handled: Map<string, number>, path: string): void {
  handled.set(path, (handled.get(path) ?? 0) + 1);
}

export function expressGuardApp(express: ExpressFactory): StartGuardApp {
  return async ({ auth, handled }) => {
    const app = express();
    const ok = (req: Request, res: Response) => {
      count(handled, req.path);
      res.json({ ok: true });
    };
    app.get('/perm/read', verifyAuth(auth), requirePermission('documents', 'read'), ok);
    app.get('/perm/delete', verifyAuth(auth), requirePermission('documents', 'delete'), ok);
    app.get('/optional/perm', verifyAuthOptional(auth), requirePermission('documents', 'read'), ok);
    app.get('/custom/perm', verifyAuth(auth), toMiddleware(canReadDocuments), ok);
    app.get('/stepup', verifyAuth(auth), requireFactors(['totp'], { within: '10m' }), ok);
    app.get('/stepup/two', verifyAuth(auth), requireFactors(['totp', 'magic_link'], { within: 600 }), ok);
    app.use((_err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(500).json({ error: 'wiring' });
    });
    const server = createServer(app);
    const url = await listen(server);
    return { url, close: () => closeServer(server) };
  };
}

export function fastifyGuardApp(fastify: FastifyFactory, plugin: typeof ayzAuth = ayzAuth): StartGuardApp {
  return async ({ auth, handled }) => {
    const app = fastify();
    await app.register(plugin, { auth });
    app.setErrorHandler(async (_error, _request, reply) => reply.code(500).send({ error: 'wiring' }));
    const ok = (path: string) => async () => {
      count(handled, path);
      return { ok: true };
    };
    app.get('/perm/read', { preHandler: [app.verifyAuth, app.requirePermission('documents', 'read')] }, ok('/perm/read'));
    app.get('/perm/delete', { preHandler: [app.verifyAuth, app.requirePermission('documents', 'delete')] }, ok('/perm/delete'));
    app.get('/optional/perm', { preHandler: [app.verifyAuthOptional, app.requirePermission('documents', 'read')] }, ok('/optional/perm'));
    app.get('/custom/perm', { preHandler: [app.verifyAuth, toHook(canReadDocuments)] }, ok('/custom/perm'));
    app.get('/stepup', { preHandler: [app.verifyAuth, app.requireFactors(['totp'], { within: '10m' })] }, ok('/stepup'));
    app.get('/stepup/two', { preHandler: [app.verifyAuth, app.requireFactors(['totp', 'magic_link'], { within: 600 })] }, ok('/stepup/two'));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  };
}
