/**
 * Type-level contract of `ayz-auth/express` (checked by `tsc --noEmit`; the runtime part only
 * builds an app). `req.auth` comes from declaration merging on express-serve-static-core.
 */
import express from 'express';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Auth, AuthContext, AuthError } from 'ayz-auth';
import {
  type AuthErrorResponse,
  type ErrorResponseBuilder,
  type RequestAuthProperty,
  getAuth,
  REFRESHED_SESSION_JWT_HEADER,
  requireAllEntitlements,
  requireAnyEntitlement,
  requireClaims,
  requireEntitlement,
  requireFactors,
  requirePermission,
  type FactorGuardOptions,
  verifyAuth,
  verifyAuthOptional,
  type VerifyAuthOptions,
} from 'ayz-auth/express';

describe('ayz-auth/express types', () => {
  it('types req.auth, req.authLog and getAuth', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthContext | null>();
    expectTypeOf<Request['authLog']>().toEqualTypeOf<Logger | undefined>();
    expectTypeOf(getAuth).parameter(0).toEqualTypeOf<Request>();
    expectTypeOf(getAuth).returns.toEqualTypeOf<AuthContext>();
  });

  it('types the errorResponse option, and req.auth is declared by default (no opt-out here)', () => {
    expectTypeOf<VerifyAuthOptions['errorResponse']>().toEqualTypeOf<ErrorResponseBuilder | undefined>();
    expectTypeOf<Parameters<ErrorResponseBuilder>>().toEqualTypeOf<[AuthError, Request]>();
    expectTypeOf<ReturnType<ErrorResponseBuilder>>().toEqualTypeOf<AuthErrorResponse>();
    expectTypeOf<RequestAuthProperty>().toEqualTypeOf<{ auth: AuthContext | null }>();
  });

  it('types the middleware factories', () => {
    expectTypeOf(verifyAuth).toEqualTypeOf<(auth: Auth, options?: VerifyAuthOptions) => RequestHandler>();
    expectTypeOf(verifyAuthOptional).toEqualTypeOf<(auth: Auth, options?: VerifyAuthOptions) => RequestHandler>();
    expectTypeOf(requireEntitlement).toEqualTypeOf<(name: string) => RequestHandler>();
    expectTypeOf(requireAnyEntitlement).toEqualTypeOf<(names: string[]) => RequestHandler>();
    expectTypeOf(requireAllEntitlements).toEqualTypeOf<(names: string[]) => RequestHandler>();
    expectTypeOf(requireFactors).toEqualTypeOf<(types: string[], options?: FactorGuardOptions) => RequestHandler>();
    expectTypeOf(requirePermission).toEqualTypeOf<(resource: string, action: string) => RequestHandler>();
    expectTypeOf(requireClaims).toEqualTypeOf<(claims: string[]) => RequestHandler>();
    expectTypeOf(REFRESHED_SESSION_JWT_HEADER).toEqualTypeOf<'Stytch-Session-Jwt'>();
  });

  it('fits an app and a router, and req.auth is typed in handlers', () => {
    const auth = {} as Auth;
    const app = express();
    const router = express.Router();
    const build = () => {
      router.use(verifyAuth(auth));
      app.get('/me', verifyAuth(auth), requireEntitlement('reports'), (req, res) => {
        expectTypeOf(req.auth).toEqualTypeOf<AuthContext | null>();
        expectTypeOf(getAuth(req).entitlements).toEqualTypeOf<readonly string[] | null>();
        res.json(req.auth);
      });
      app.post<{ id: string }, { ok: boolean }, { name: string }>('/items/:id', verifyAuthOptional(auth), (req, res) => {
        expectTypeOf(req.params.id).toBeString();
        expectTypeOf(req.body.name).toBeString();
        expectTypeOf(req.auth).toEqualTypeOf<AuthContext | null>();
        res.json({ ok: req.auth !== null });
      });
    };
    expect(build).toBeTypeOf('function');
  });
});
