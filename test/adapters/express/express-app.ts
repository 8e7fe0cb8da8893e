/**
 * The routes of `AdapterApp` (see ../scenarios.ts) on an Express app, for Express 4 or 5.
 */
import { createServer } from 'node:http';
import type express5 from 'express';
import type { NextFunction, Request, Response } from 'express';
import {
  getAuth,
  requireAllEntitlements,
  requireAnyEntitlement,
  requireClaims,
  requireEntitlement,
  requireFactors,
  verifyAuth,
  verifyAuthOptional,
} from 'ayz-auth/express';
import { closeServer, listen } from '../http-client.js';
import { FORGED_CONTEXT, type AppDeps } from '../scenarios.js';

export type ExpressFactory = typeof express5;

function forge(req: Request, _res: Response, next: NextFunction): void {
  req.auth = FORGED_CONTEXT;
  next();
}

function exposeRequestId(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id');
  next();
}

export function expressApp(express: ExpressFactory) {
  return (deps: AppDeps) => {
    const { auth, handled } = deps;
    const app = express();
    const hit = (path: string) => handled.set(path, (handled.get(path) ?? 0) + 1);
    const ok = (path: string) => (_req: Request, res: Response) => {
      hit(path);
      res.json({ ok: true });
    };

    app.get('/me', verifyAuth(auth), (req, res) => {
      hit('/me');
      const log = req.authLog as unknown as { bindings(): Record<string, unknown> } | undefined;
      res.json({ auth: req.auth, memberId: getAuth(req).memberId, log: log?.bindings() });
    });
    app.get('/optional', verifyAuthOptional(auth), (req, res) => {
      hit('/optional');
      res.json({ auth: req.auth });
    });
    app.get('/optional/get-auth', verifyAuthOptional(auth), (req, res) => {
      hit('/optional/get-auth');
      try {
        getAuth(req);
        res.json({ thrown: null });
      } catch (error) {
        res.json({ thrown: (error as Error).message });
      }
    });
    app.get('/optional/ent', verifyAuthOptional(auth), requireEntitlement('reports'), ok('/optional/ent'));
    app.get('/ent/one', verifyAuth(auth), requireEntitlement('reports'), ok('/ent/one'));
    app.get('/ent/any', verifyAuth(auth), requireAnyEntitlement(['reports', 'exports']), ok('/ent/any'));
    app.get('/ent/all', verifyAuth(auth), requireAllEntitlements(['reports', 'exports']), ok('/ent/all'));
    app.get('/factors', verifyAuth(auth), requireFactors(['totp']), ok('/factors'));
    app.get('/claims', verifyAuth(auth), requireClaims(['tenant']), ok('/claims'));
    app.get('/forged/ent', forge, verifyAuth(auth), requireEntitlement('reports'), ok('/forged/ent'));
    app.get('/forged/me', forge, verifyAuth(auth), (req, res) => {
      hit('/forged/me');
      res.json({ auth: req.auth });
    });
    app.get('/forged/unverified', forge, requireEntitlement('reports'), ok('/forged/unverified'));
    app.get('/unverified/get-auth', (req, res) => {
      hit('/unverified/get-auth');
      try {
        getAuth(req);
        res.json({ thrown: null });
      } catch (error) {
        res.json({ thrown: (error as Error).message, isAuthError: (error as Error).name === 'AuthError' });
      }
    });
    app.get('/expose', exposeRequestId, verifyAuth(auth), ok('/expose'));
    return startExpress(app);
  };
}

export async function startExpress(app: (req: any, res: any) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(app);
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

