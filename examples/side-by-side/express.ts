// Express
import express from 'express';
import { createAuthFromEnv, scopeFilter } from 'ayz-auth';
import { getAuth, requireEntitlement, requireTeam, verifyAuth } from 'ayz-auth/express';
import { MongoClient } from 'mongodb';

const db = new MongoClient(process.env.MONGODB_URI!).db('soulmates');
const auth = createAuthFromEnv(process.env, { mongo: { db } }); // one client for the service and ayz-auth
const app = express();

app.get('/team/projects', verifyAuth(auth), requireEntitlement('foresight'), requireTeam(), async (req, res) => {
  const ctx = getAuth(req);
  const projects = await db.collection('projects').find(scopeFilter(ctx, {}, { by: 'team' })).toArray();
  res.json({ team: ctx.currentTeamName, projects: projects.map((p) => p.name) });
});
app.listen(Number(process.env.PORT ?? 3000));
