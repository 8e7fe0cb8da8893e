/**
 * Type-level contract of the permission and step-up names (checked by `tsc --noEmit`, which
 * `npm test` runs first; the run-time part is trivial).
 */
import type { RequestHandler } from 'express';
import type { FastifyInstance } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  AnyCallerCheck,
  AsyncCheck,
  AuthContext,
  AuthError,
  AuthErrorBody,
  AuthenticationFactorTime,
  Check,
  FactorGuardOptions,
  PermissionCheck,
  RbacPolicy,
  createFactorCheck,
  factorError,
  hasPermission,
  permissionError,
  createPermissionCheck,
} from 'ayz-auth';
import type * as ExpressAdapter from 'ayz-auth/express';
import type * as FastifyAdapter from 'ayz-auth/fastify';
import type { AuthHook } from 'ayz-auth/fastify';
import type { SessionJwtInput, TestIssuerOptions } from 'ayz-auth/testing';

describe('permission and step-up types', () => {
  it('types the core functions', () => {
    expectTypeOf<typeof hasPermission>().toEqualTypeOf<(ctx: AuthContext, resource: string, action: string) => boolean>();
    expectTypeOf<typeof permissionError>().toEqualTypeOf<(ctx: AuthContext, resource: string, action: string) => AuthError | null>();
    expectTypeOf<ReturnType<typeof createPermissionCheck>>().toEqualTypeOf<AsyncCheck>();
    expectTypeOf<PermissionCheck>().toEqualTypeOf<AsyncCheck>();
    expectTypeOf<ReturnType<AsyncCheck>>().toEqualTypeOf<AuthError | null | Promise<AuthError | null>>();
    expectTypeOf<Check>().toMatchTypeOf<AsyncCheck>();
    expectTypeOf<typeof createFactorCheck>().parameters.toMatchTypeOf<[string[], FactorGuardOptions?, string?]>();
    expectTypeOf<ReturnType<typeof createFactorCheck>>().toEqualTypeOf<Check>();
    expectTypeOf<Parameters<typeof factorError>[2]>().toEqualTypeOf<FactorGuardOptions | undefined>();
    expectTypeOf<FactorGuardOptions['within']>().toEqualTypeOf<string | number | undefined>();
  });

  it('types the context field and the error body', () => {
    expectTypeOf<AuthContext['authenticationFactorTimes']>().toEqualTypeOf<readonly AuthenticationFactorTime[]>();
    expectTypeOf<AuthenticationFactorTime>().toEqualTypeOf<{
      readonly type: string;
      readonly deliveryMethod: string | null;
      readonly lastAuthenticatedAt: Date | null;
    }>();
    expectTypeOf<AuthError['code']>().extract<'factor_stale' | 'permission_missing' | 'rbac_unavailable'>().toEqualTypeOf<
      'factor_stale' | 'permission_missing' | 'rbac_unavailable'
    >();
    expectTypeOf<{ stale_factors: readonly { type: string; age_sec: number | null }[] }>().toMatchTypeOf<Partial<AuthErrorBody>>();
  });

  it('types the guards of both adapters and their bridges', () => {
    expectTypeOf<typeof ExpressAdapter.requirePermission>().toEqualTypeOf<(resource: string, action: string) => RequestHandler>();
    expectTypeOf<typeof ExpressAdapter.requireFactors>().toEqualTypeOf<(types: string[], options?: FactorGuardOptions) => RequestHandler>();
    expectTypeOf<typeof FastifyAdapter.requirePermission>().toEqualTypeOf<(resource: string, action: string) => AuthHook>();
    expectTypeOf<FastifyInstance['requirePermission']>().toEqualTypeOf<(resource: string, action: string) => AuthHook>();
    expectTypeOf<FastifyInstance['requireFactors']>().toEqualTypeOf<(types: string[], options?: FactorGuardOptions) => AuthHook>();
    expectTypeOf<Parameters<typeof ExpressAdapter.toMiddleware>[0]>().toEqualTypeOf<Check | AsyncCheck | AnyCallerCheck>();
    expectTypeOf<Parameters<typeof FastifyAdapter.toHook>[0]>().toEqualTypeOf<Check | AsyncCheck | AnyCallerCheck>();
    expectTypeOf<ExpressAdapter.FactorGuardOptions>().toEqualTypeOf<FactorGuardOptions>();
    expectTypeOf<FastifyAdapter.AsyncCheck>().toEqualTypeOf<AsyncCheck>();
  });

  it('types the testing kit options', () => {
    expectTypeOf<TestIssuerOptions['rbacPolicy']>().toEqualTypeOf<RbacPolicy | undefined>();
    expectTypeOf<SessionJwtInput['factorAuthenticatedAt']>().toEqualTypeOf<Record<string, Date | number> | undefined>();
  });
});
