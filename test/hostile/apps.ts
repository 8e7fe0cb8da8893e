/**
 * Hostile-input and fault suites: the same two routes on Express 4, Express 5, Fastify 4 and
 * Fastify 5, over the real adapters and real HTTP on loopback. Every framework logs into the
 * given (captured) logger, so "no token in any log line" covers the framework's lines too.
 */
import { createServer, type Server } from 'node:http';
import express5 from 'express';
import express4 from 'express4';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Auth } from 'ayz-auth';
import { getAuth, requireEntitlement, verifyAuth } from 'ayz-auth/express';
import ayzAuth, { getAuth as getFastifyAuth } from 'ayz-auth/fastify';
import { closeServer, listen } from '../adapters/http-client.js';

export interface RunningApp {
  name: string;
  url: string;
  close(): Promise<void>;
}

export type FrameworkName = 'Express 4' | 'Express 5' | 'Fastify 4' | 'Fastify 5';
export const FRAMEWORKS: readonly FrameworkName[] = ['Express 4', 'Express 5', 'Fastify 4', 'Fastify 5'];

export interface AppOptions {
  /** Node's limit on the size of all request headers; default Node's own (16 KB). */
  maxHeaderSize?: number;
}

/**
 * Routes: `GET /me` (verifyAuth → the context as JSON) and `GET /ent` (verifyAuth +
 * requireEntitlement('reports') → `{ ok: true, memberId }`). Anything that is not an auth
 * refusal reaches the framework's error handler, which answers 500 (and the tests fail).
 */
export async function startApp(name: FrameworkName, auth: Auth, logger: Logger, options: AppOptions = {}): Promise<RunningApp> {
  if (name === 'Express 4' || name === 'Express 5') {
    const express = (name === 'Express 4' ? express4 : express5) as unknown as typeof express5;
    const app = express();
    app.get('/me', verifyAuth(auth), (req, res) => {
      res.json(getAuth(req));
    });
    app.get('/ent', verifyAuth(auth), requireEntitlement('reports'), (req, res) => {
      res.json({ ok: true, memberId: getAuth(req).memberId });
    });
    // Log (without the request) what reaches the error handler: a 500 must be visible.
    app.use((error: unknown, _req: unknown, res: { status(n: number): { json(b: unknown): void } }, _next: unknown) => {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'unhandled error in app');
      res.status(500).json({ error: 'internal' });
    });
    const server: Server = createServer(options.maxHeaderSize ? { maxHeaderSize: options.maxHeaderSize } : {}, app);
    const url = await listen(server);
    return { name, url, close: () => closeServer(server) };
  }
  const factory = (name === 'Fastify 4' ? fastify4 : fastify5) as unknown as typeof fastify5;
  const http = options.maxHeaderSize ? { http: { maxHeaderSize: options.maxHeaderSize } } : {};
  // Fastify 4 takes a pino instance as `logger`, Fastify 5 as `loggerInstance`.
  const fastifyOptions = name === 'Fastify 4' ? { logger, ...http } : { loggerInstance: logger, ...http };
  const app = factory(fastifyOptions as Parameters<typeof fastify5>[0]) as unknown as FastifyInstance;
  await app.register(ayzAuth, { auth });
  app.get('/me', { preHandler: app.verifyAuth }, async (request) => getFastifyAuth(request));
  app.get('/ent', { preHandler: [app.verifyAuth, app.requireEntitlement('reports')] }, async (request) => ({
    ok: true,
    memberId: getFastifyAuth(request).memberId,
  }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { name, url, close: () => app.close() };
}
