/**
 * What only the Express adapter has to get right: pino-http's `req.log`, routers and mounted
 * sub-apps, a rewritten `req.headers.authorization`, the error-handler boundary, options.
 */
import express5 from 'express';
import express4 from 'express4';
import type { NextFunction, Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthResult } from 'ayz-auth';
import {
  getAuth,
  REFRESHED_SESSION_JWT_HEADER,
  requireAnyEntitlement,
  requireClaims,
  requireEntitlement,
  requireFactors,
  verifyAuth,
  verifyAuthOptional,
} from 'ayz-auth/express';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../../support/log-capture.js';
import { bearer, httpRequest } from '../http-client.js';
import { startExpress, type ExpressFactory } from './express-app.js';

describe.each([
  ['Express 4', express4 as unknown as ExpressFactory],
  ['Express 5', express5],
])('%s', (_name, express) => {
  let issuer: TestIssuer;
  let auth: Auth;
  let logs: CapturedLog;
  let server: { url: string; close(): Promise<void> };
  const errorsSeen: unknown[] = [];

  beforeAll(async () => {
    issuer = await createTestIssuer();
    logs = captureLogs();
    auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });

    // An Auth whose authenticate has a bug (throws a TypeError): the only stand-in in these
    // tests, for the one path the real core never takes.
    const buggy: Auth = {
      ...auth,
      logger: auth.logger,
      authenticateRequestWithResult: (): Promise<AuthResult> => Promise.reject(new TypeError('a bug in the core')),
    };

    const app = express();
    // pino-http puts a per-request logger on req.log.
    app.use('/pino', (req: Request, _res: Response, next: NextFunction) => {
      (req as unknown as { log: unknown }).log = logs.logger.child({ reqId: 'req-42' });
      next();
    });
    app.get('/pino/me', verifyAuth(auth), (req, res) => {
      req.authLog?.info('handled a request');
      res.json({ bindings: req.authLog?.bindings() });
    });

    const router = express.Router();
    router.use(verifyAuth(auth));
    router.get('/reports', requireClaims(['tenant']), (_req, res) => res.json({ ok: true }));
    router.get('/me', (req, res) => res.json({ memberId: getAuth(req).memberId }));
    app.use('/router', router);

    const sub = express();
    sub.get('/me', verifyAuth(auth), (req, res) => res.json({ memberId: getAuth(req).memberId, auth: req.auth?.memberId }));
    app.use('/sub', sub);

    // A service that carries the session JWT in a cookie and rewrites it into the header.
    app.get(
      '/cookie',
      (req: Request, _res: Response, next: NextFunction) => {
        const jwt = /(?:^|;\s*)session_jwt=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
        if (jwt !== undefined) req.headers.authorization = `Bearer ${jwt}`;
        next();
      },
      verifyAuth(auth),
      (req, res) => res.json({ memberId: getAuth(req).memberId }),
    );

    app.get('/no-refresh-header', verifyAuth(auth, { exposeRefreshedSessionJwt: false }), (_req, res) => res.json({ ok: true }));
    // Another library owns req.auth (express-oauth2-jwt-bearer): ayz-auth leaves it alone.
    app.get(
      '/other-auth',
      (req: Request, _res: Response, next: NextFunction) => {
        (req as unknown as { auth: unknown }).auth = { payload: { sub: 'other-library' } };
        next();
      },
      verifyAuth(auth, { requestAuth: false }),
      requireClaims(['tenant']),
      (req, res) => res.json({ other: (req as unknown as { auth: unknown }).auth, memberId: getAuth(req).memberId }),
    );
    app.get('/buggy', verifyAuth(buggy), (_req, res) => res.json({ ok: true }));
    app.get('/buggy-optional', verifyAuthOptional(buggy), (_req, res) => res.json({ ok: true }));
    app.head('/me', verifyAuth(auth), (_req, res) => res.end());

    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      errorsSeen.push(error);
      res.status(500).json({ error: 'server_error', message: (error as Error).message });
    });
    server = await startExpress(app);
  });

  afterAll(async () => {
    await server?.close();
    await auth?.close();
    await issuer?.close();
  });

  const get = (path: string, headers?: Record<string, string | string[]>, method?: string) =>
    httpRequest(`${server.url}${path}`, { ...(headers ? { headers } : {}), ...(method ? { method } : {}) });

  it("binds req.authLog to pino-http's req.log when there is one", async () => {
    const jwt = issuer.sessionJwt({ memberId: 'member-test-pino' });
    const res = await get('/pino/me', bearer(jwt));
    expect(res.status).toBe(200);
    expect(res.json.bindings).toMatchObject({ reqId: 'req-42', memberId: 'member-test-pino', userId: null });
    const [line] = logs.find('handled a request');
    expect(line).toMatchObject({ reqId: 'req-42', memberId: 'member-test-pino' });
    logs.expectNoSecrets(jwt);
  });

  it('works in a Router and in a mounted sub-app', async () => {
    const jwt = issuer.sessionJwt({ memberId: 'member-test-router' });
    expect((await get('/router/me', bearer(jwt))).json).toEqual({ memberId: 'member-test-router' });
    const denied = await get('/router/reports', bearer(jwt));
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe('claim_missing');
    expect((await get('/router/me')).status).toBe(401);
    const sub = await get('/sub/me', bearer(jwt));
    expect(sub.json).toEqual({ memberId: 'member-test-router', auth: 'member-test-router' });
  });

  it('respects a middleware that rewrote req.headers.authorization', async () => {
    const jwt = issuer.sessionJwt({ memberId: 'member-test-cookie' });
    const res = await get('/cookie', { cookie: `theme=dark; session_jwt=${jwt}` });
    expect(res.status).toBe(200);
    expect(res.json.memberId).toBe('member-test-cookie');
  });

  it('never hands an auth failure to the error handler (no HTML page, no 500)', async () => {
    const before = errorsSeen.length;
    for (const headers of [undefined, bearer('not-a-token'), bearer(issuer.wrongKeySessionJwt())]) {
      const res = await get('/router/reports', headers);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    expect((await get('/router/reports', bearer(issuer.sessionJwt()))).status).toBe(403);
    expect(errorsSeen.length).toBe(before);
  });

  it('hands an error that is not an AuthError (a bug) to next(err)', async () => {
    const before = errorsSeen.length;
    for (const path of ['/buggy', '/buggy-optional']) {
      const res = await get(path, bearer(issuer.sessionJwt()));
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ error: 'server_error', message: 'a bug in the core' });
    }
    expect(errorsSeen.length).toBe(before + 2);
    expect(errorsSeen.at(-1)).toBeInstanceOf(TypeError);
  });

  it('does not send the renewed JWT when told not to', async () => {
    const session = issuer.registerSession();
    const res = await get('/no-refresh-header', bearer(issuer.expiredSessionJwt({ sessionId: session.sessionId })));
    expect(res.status).toBe(200);
    expect(res.headers['stytch-session-jwt']).toBeUndefined();
    expect(res.headers['access-control-expose-headers']).toBeUndefined();
  });

  it("with requestAuth: false, leaves another library's req.auth alone; getAuth and the guards still work", async () => {
    const res = await get('/other-auth', bearer(issuer.sessionJwt({ memberId: 'member-test-other', customClaims: { tenant: 'acme' } })));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ other: { payload: { sub: 'other-library' } }, memberId: 'member-test-other' });
    const denied = await get('/other-auth', bearer(issuer.sessionJwt()));
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe('claim_missing');
  });

  it('answers a HEAD request with the status and headers, without a body', async () => {
    const res = await get('/me', undefined, 'HEAD');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="ayz-auth"');
    expect(res.text).toBe('');
  });

  it('exports the header name', () => {
    expect(REFRESHED_SESSION_JWT_HEADER).toBe('Stytch-Session-Jwt');
  });
});

describe('configuration mistakes fail at start-up', () => {
  it('verifyAuth without an Auth', () => {
    expect(() => verifyAuth(undefined as unknown as Auth)).toThrow(TypeError);
    expect(() => verifyAuthOptional({} as Auth)).toThrow(/createAuth/);
  });

  it('guards without names', () => {
    expect(() => requireEntitlement('')).toThrow(TypeError);
    expect(() => requireAnyEntitlement([])).toThrow(TypeError);
    expect(() => requireFactors(['totp', 3 as unknown as string])).toThrow(TypeError);
    expect(() => requireClaims('tenant' as unknown as string[])).toThrow(TypeError);
  });
});
