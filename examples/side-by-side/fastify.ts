// Fastify
import Fastify from 'fastify';
import { createAuthFromEnv, scopeFilter } from 'ayz-auth';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import { MongoClient } from 'mongodb';

const db = new MongoClient(process.env.MONGODB_URI!).db('soulmates');
const app = Fastify({ logger: true });
await app.register(ayzAuth, { auth: createAuthFromEnv(process.env, { mongo: { db } }) });

app.get('/team/projects', { preHandler: [app.verifyAuth, app.requireEntitlement('foresight'), app.requireTeam()] }, async (request) => {
  const ctx = getAuth(request);
  const projects = await db.collection('projects').find(scopeFilter(ctx, {}, { by: 'team' })).toArray();
  return { team: ctx.currentTeamName, projects: projects.map((p) => p.name) };
});
await app.listen({ port: Number(process.env.PORT ?? 3000) });
