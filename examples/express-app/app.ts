import express, { type Express } from 'express';
import type { Auth } from 'ayz-auth';
import { getAuth, requireEntitlement, verifyAuth } from 'ayz-auth/express';

/** A small service: who am I, an entitlement-gated feature, and a team-scoped resource. */
export function createExpressApp(auth: Auth): Express {
  const app = express();
  const authenticated = verifyAuth(auth);

  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });

  app.get('/me', authenticated, (req, res) => {
    res.json(getAuth(req));
  });

  app.get('/foresight', authenticated, requireEntitlement('foresight'), (req, res) => {
    const { orgId, subscriptionTier } = getAuth(req);
    res.json({ feature: 'foresight', orgId, subscriptionTier });
  });

  app.get('/team/projects', authenticated, (req, res) => {
    const { currentTeamId, currentTeamName } = getAuth(req);
    if (currentTeamId === null) {
      res.status(400).json({ error: 'team_required', message: 'No team selected. Please select a team in your organization.' });
      return;
    }
    res.json({ teamId: currentTeamId, teamName: currentTeamName, projects: [] });
  });

  return app;
}
