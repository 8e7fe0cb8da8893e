import Fastify, { type FastifyInstance } from 'fastify';
import type { Db } from 'mongodb';
import { AuthError, scopeFilter, type Auth } from 'ayz-auth';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import type { Project } from '../demo-data.js';

/** The same service as the Express example, on Fastify. */
export async function createFastifyApp(auth: Auth, db: Db): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(ayzAuth, { auth });

  // An AuthError thrown by a handler (e.g. scopeFilter) keeps its status and body.
  app.setErrorHandler(async (err, request, reply) => {
    if (err instanceof AuthError) return reply.code(err.status).headers(err.headers).send(err.body);
    auth.logger.error({ err, path: request.url }, 'example: request failed');
    return reply.code(500).send({ error: 'internal_error', message: 'The request failed' });
  });

  // Readiness: 200 once the signing keys are loaded and MongoDB answers; otherwise the same
  // status and body a request would get (e.g. 503).
  app.get('/healthz', async () => {
    await auth.ready();
    return { ok: true };
  });

  app.get('/me', { preHandler: app.verifyAuth }, async (request) => getAuth(request));

  app.get('/foresight', { preHandler: [app.verifyAuth, app.requireEntitlement('foresight')] }, async (request) => {
    const { orgId, subscriptionTier } = getAuth(request);
    return { feature: 'foresight', orgId, subscriptionTier };
  });

  app.get('/team/projects', { preHandler: [app.verifyAuth, app.requireTeam()] }, async (request) => {
    const ctx = getAuth(request);
    const projects = await db
      .collection<Project>('projects')
      .find(scopeFilter(ctx, {}, { by: 'team' }), { projection: { _id: 0, name: 1 } })
      .sort({ name: 1 })
      .toArray();
    return { teamId: ctx.currentTeamId, teamName: ctx.currentTeamName, projects: projects.map((p) => p.name) };
  });

  return app;
}
