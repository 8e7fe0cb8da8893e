import Fastify, { type FastifyInstance } from 'fastify';
import type { Auth } from 'ayz-auth';
import ayzAuth from 'ayz-auth/fastify';

/** The same service as the Express example, on Fastify. */
export async function createFastifyApp(auth: Auth): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(ayzAuth, { auth });

  app.get('/health', async () => ({ ok: true }));

  app.get('/me', { preHandler: app.verifyAuth }, async (request) => request.auth);

  app.get('/foresight', { preHandler: [app.verifyAuth, app.requireEntitlement('foresight')] }, async (request) => ({
    feature: 'foresight',
    orgId: request.auth?.orgId ?? null,
    subscriptionTier: request.auth?.subscriptionTier ?? null,
  }));

  app.get('/team/projects', { preHandler: app.verifyAuth }, async (request, reply) => {
    const ctx = request.auth;
    if (!ctx?.currentTeamId) {
      return reply.code(400).send({ error: 'team_required', message: 'No team selected. Please select a team in your organization.' });
    }
    return { teamId: ctx.currentTeamId, teamName: ctx.currentTeamName, projects: [] };
  });

  return app;
}
