/**
 * Type-level contract of `ayz-auth/fastify` (checked by `tsc --noEmit`; the runtime part
 * builds an app with typed routes and closes it). Declaration merging types `request.auth`
 * and the instance's decorations.
 */
import fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import type { Auth, AuthContext, AuthError } from 'ayz-auth';
import ayzAuth, { ayzAuthPlugin, getAuth, type AuthHook, type AyzAuthPluginOptions, type ErrorResponseBuilder, type FactorGuardOptions } from 'ayz-auth/fastify';

describe('ayz-auth/fastify types', () => {
  it('types the plugin, request.auth and the decorations', () => {
    expectTypeOf(ayzAuth).toEqualTypeOf<FastifyPluginAsync<AyzAuthPluginOptions>>();
    expectTypeOf(ayzAuthPlugin).toEqualTypeOf<FastifyPluginAsync<AyzAuthPluginOptions>>();
    expectTypeOf<AyzAuthPluginOptions['auth']>().toEqualTypeOf<Auth>();
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext | null>();
    expectTypeOf<FastifyRequest['authLog']>().toEqualTypeOf<FastifyBaseLogger | undefined>();
    expectTypeOf<AyzAuthPluginOptions['errors']>().toEqualTypeOf<'reply' | 'throw' | undefined>();
    expectTypeOf<AyzAuthPluginOptions['errorResponse']>().toEqualTypeOf<ErrorResponseBuilder | undefined>();
    expectTypeOf<Parameters<ErrorResponseBuilder>>().toEqualTypeOf<[AuthError, FastifyRequest]>();
    expectTypeOf<AuthError['statusCode']>().toEqualTypeOf<AuthError['status']>();
    expectTypeOf<FastifyInstance['verifyAuth']>().toEqualTypeOf<AuthHook>();
    expectTypeOf<FastifyInstance['verifyAuthOptional']>().toEqualTypeOf<AuthHook>();
    expectTypeOf<FastifyInstance['requireEntitlement']>().toEqualTypeOf<(name: string) => AuthHook>();
    expectTypeOf<FastifyInstance['requireAnyEntitlement']>().toEqualTypeOf<(names: string[]) => AuthHook>();
    expectTypeOf<FastifyInstance['requireAllEntitlements']>().toEqualTypeOf<(names: string[]) => AuthHook>();
    expectTypeOf<FastifyInstance['requireFactors']>().toEqualTypeOf<(types: string[], options?: FactorGuardOptions) => AuthHook>();
    expectTypeOf<FastifyInstance['requirePermission']>().toEqualTypeOf<(resource: string, action: string) => AuthHook>();
    expectTypeOf<FastifyInstance['requireClaims']>().toEqualTypeOf<(names: string[]) => AuthHook>();
    expectTypeOf(getAuth).returns.toEqualTypeOf<AuthContext>();
  });

  it('the hooks fit onRequest, preHandler, addHook and typed routes', async () => {
    const app = fastify();
    const register = () => {
      void app.register(ayzAuth, { auth: {} as Auth });
      app.addHook('onRequest', app.verifyAuth);
      app.addHook('preHandler', app.verifyAuthOptional);
      app.post<{ Body: { name: string }; Params: { id: string } }>(
        '/items/:id',
        { onRequest: app.verifyAuth, preHandler: [app.requireEntitlement('reports'), app.requireFactors(['totp'])] },
        async (request) => {
          expectTypeOf(request.body.name).toBeString();
          expectTypeOf(request.auth).toEqualTypeOf<AuthContext | null>();
          expectTypeOf(getAuth(request).memberId).toBeString();
          return { ok: true };
        },
      );
      app.get('/any', { preHandler: app.requireAnyEntitlement(['a', 'b']) }, async () => ({}));
      app.route({ method: 'GET', url: '/r', onRequest: [app.verifyAuth], handler: async (request) => request.auth });
    };
    expectTypeOf(register).toBeFunction();
    await app.close();
  });
});
