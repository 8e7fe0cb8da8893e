/**
 * The same routes with the role and team guards on Express 5, Express 4, Fastify 5 and
 * Fastify 4, served on loopback, for tests over real HTTP.
 */
import { createServer } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { NextFunction, Request, Response } from 'express';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Auth, AuthContext } from 'ayz-auth';
import * as ex from 'ayz-auth/express';
import ayzAuth, * as fy from 'ayz-auth/fastify';
import { closeServer, listen } from '../adapters/http-client.js';

export const HIERARCHY = ['owner', 'admin', 'member', 'viewer'] as const;
const H = { hierarchy: HIERARCHY };

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

export interface GuardAppKind {
  name: string;
  start(auth: Auth, forged: AuthContext): Promise<RunningApp>;
}

function expressKind(name: string, express: typeof express5): GuardAppKind {
  return {
    name,
    async start(auth, forged) {
      const app = express();
      const ok = (_req: Request, res: Response) => {
        res.json({ ok: true });
      };
      const forge = (req: Request, _res: Response, next: NextFunction) => {
        req.auth = forged;
        next();
      };
      const v = ex.verifyAuth(auth);
      app.get('/role/viewer', v, ex.requireRole('viewer', H), ok);
      app.get('/role/member', v, ex.requireRole('member', H), ok);
      app.get('/role/admin', v, ex.requireRole('admin', H), ok);
      app.get('/role/owner', v, ex.requireRole('owner', H), ok);
      app.get('/role/exact-admin', v, ex.requireRole('admin'), ok);
      app.get('/role/any', v, ex.requireAnyRole(['billing', 'admin'], H), ok);
      app.get('/role/any-flat', v, ex.requireAnyRole(['billing', 'admin']), ok);
      app.get('/optional/role', ex.verifyAuthOptional(auth), ex.requireRole('viewer', H), ok);
      app.get('/unverified/role', forge, ex.requireRole('viewer'), ok);
      app.get('/forged/role', forge, v, ex.requireRole('owner', H), ok);
      app.get('/team', v, ex.requireTeam(), (req, res) => {
        res.json({ teamId: ex.getAuth(req).currentTeamId });
      });
      app.get('/optional/team', ex.verifyAuthOptional(auth), ex.requireTeam(), ok);
      app.get('/unverified/team', forge, ex.requireTeam(), ok);
      // Express 4 and 5 answer an error passed to next() with a 500 page.
      app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
        res.status(500).json({ bug: error.message });
      });
      const server = createServer(app);
      const url = await listen(server);
      return { url, close: () => closeServer(server) };
    },
  };
}

function fastifyKind(name: string, fastify: typeof fastify5): GuardAppKind {
  return {
    name,
    async start(auth, forged) {
      const app = fastify({ logger: { level: 'silent' } }) as unknown as FastifyInstance;
      await app.register(ayzAuth, { auth });
      const ok = async () => ({ ok: true });
      const forge = async (request: FastifyRequest) => {
        request.auth = forged;
      };
      const v = app.verifyAuth;
      app.get('/role/viewer', { preHandler: [v, fy.requireRole('viewer', H)] }, ok);
      app.get('/role/member', { preHandler: [v, fy.requireRole('member', H)] }, ok);
      app.get('/role/admin', { preHandler: [v, fy.requireRole('admin', H)] }, ok);
      // The decorated form, as the other guards are used.
      app.get('/role/owner', { preHandler: [v, app.requireRole('owner', H)] }, ok);
      app.get('/role/exact-admin', { preHandler: [v, fy.requireRole('admin')] }, ok);
      app.get('/role/any', { preHandler: [v, fy.requireAnyRole(['billing', 'admin'], H)] }, ok);
      app.get('/role/any-flat', { preHandler: [v, app.requireAnyRole(['billing', 'admin'])] }, ok);
      app.get('/optional/role', { preHandler: [app.verifyAuthOptional, fy.requireRole('viewer', H)] }, ok);
      app.get('/unverified/role', { preHandler: [forge, fy.requireRole('viewer')] }, ok);
      app.get('/forged/role', { preHandler: [forge, v, fy.requireRole('owner', H)] }, ok);
      app.get('/team', { preHandler: [v, app.requireTeam()] }, async (request) => ({ teamId: fy.getAuth(request).currentTeamId }));
      app.get('/optional/team', { preHandler: [app.verifyAuthOptional, fy.requireTeam()] }, ok);
      app.get('/unverified/team', { preHandler: [forge, fy.requireTeam()] }, ok);
      app.setErrorHandler(async (error: Error, _request, reply) => reply.code(500).send({ bug: error.message }));
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  };
}

export const GUARD_APP_KINDS: readonly GuardAppKind[] = [
  expressKind('express 5', express5),
  expressKind('express 4', express4 as unknown as typeof express5),
  fastifyKind('fastify 5', fastify5),
  fastifyKind('fastify 4', fastify4 as unknown as typeof fastify5),
];
