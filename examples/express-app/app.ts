import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Db } from 'mongodb';
import { AuthError, scopeFilter, type Auth } from 'ayz-auth';
import { getAuth, requireEntitlement, requireTeam, verifyAuth } from 'ayz-auth/express';
import type { Project } from '../demo-data.js';

/**
 * A small service: a readiness probe, who am I, an entitlement-gated feature, and a resource
 * of the caller's team read from the service's own `projects` collection.
 */
export function createExpressApp(auth: Auth, db: Db): Express {
  const app = express();
  const authenticated = verifyAuth(auth);

  // Readiness for a load balancer or Kubernetes: 200 once the signing keys are loaded and
  // MongoDB answers; otherwise the same status and body a request would get (e.g. 503).
  app.get('/healthz', async (_req, res) => {
    try {
      await auth.ready();
      res.json({ ok: true });
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      res.status(err.status).set(err.headers).json(err.body);
    }
  });

  app.get('/me', authenticated, (req, res) => {
    res.json(getAuth(req));
  });

  app.get('/foresight', authenticated, requireEntitlement('foresight'), (req, res) => {
    const { orgId, subscriptionTier } = getAuth(req);
    res.json({ feature: 'foresight', orgId, subscriptionTier });
  });

  // requireTeam() answers 400 team_required for a caller without a current team; the filter
  // then confines the query to that team (always a team of the caller's organization).
  app.get('/team/projects', authenticated, requireTeam(), async (req, res) => {
    const ctx = getAuth(req);
    const projects = await db
      .collection<Project>('projects')
      .find(scopeFilter(ctx, {}, { by: 'team' }), { projection: { _id: 0, name: 1 } })
      .sort({ name: 1 })
      .toArray();
    res.json({ teamId: ctx.currentTeamId, teamName: ctx.currentTeamName, projects: projects.map((p) => p.name) });
  });

  // An AuthError thrown by a handler (e.g. scopeFilter) keeps its status and body; anything
  // else is a fault of this service, logged and answered without details.
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    if (err instanceof AuthError) {
      res.status(err.status).set(err.headers).json(err.body);
      return;
    }
    auth.logger.error({ err, path: req.path }, 'example: request failed');
    res.status(500).json({ error: 'internal_error', message: 'The request failed' });
  };
  app.use(onError);

  return app;
}
