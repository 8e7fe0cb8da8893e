/**
 * Compile-time checks (run by `tsc` in `npm test`) of the issue-17 names: `getCaller` narrows on
 * `kind`, `getAuth` / `req.auth` stay member-typed, a plain function over both kinds cannot be
 * mounted as a member `Check` (it must go through `forAnyCaller`), and the options are typed.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Request } from 'express';
import type { FastifyRequest } from 'fastify';
import { AuthError, createAuth, forAnyCaller, scopeError, type AnyAuthContext, type AuthContext, type AuthOptions, type M2mAuthContext, type MemberAuthContext } from 'ayz-auth';
import * as ex from 'ayz-auth/express';
import * as fy from 'ayz-auth/fastify';

function takesString(value: string): string {
  return value;
}

// Never called: the body is what `tsc` checks.
function expressHandler(req: Request): string {
  const caller = ex.getCaller(req);
  expectTypeOf(caller).toEqualTypeOf<AnyAuthContext>();
  // @ts-expect-error a member id needs a member: on the union it may be null
  takesString(caller.memberId);
  if (caller.kind === 'm2m') {
    expectTypeOf(caller).toEqualTypeOf<M2mAuthContext>();
    expectTypeOf(caller.mongoUserId).toEqualTypeOf<null>();
    return caller.clientId;
  }
  expectTypeOf(caller).toEqualTypeOf<MemberAuthContext>();
  expectTypeOf(ex.getAuth(req)).toEqualTypeOf<AuthContext>();
  expectTypeOf(req.auth).toEqualTypeOf<AuthContext | null>();
  return takesString(caller.memberId);
}

function fastifyHandler(request: FastifyRequest): string {
  const caller = fy.getCaller(request);
  return caller.kind === 'member' ? takesString(caller.memberId) : caller.clientId;
}

function mounting(): void {
const bothKinds = (ctx: AnyAuthContext) => (ctx.kind === 'm2m' ? scopeError(ctx, ['read:users']) : null);
// @ts-expect-error a check over both kinds is mounted through forAnyCaller, never as a member Check
ex.toMiddleware(bothKinds);
ex.toMiddleware(forAnyCaller(bothKinds));
fy.toHook(forAnyCaller(bothKinds));
ex.toMiddleware((ctx) => (ctx.orgSlug === 'acme' ? null : new AuthError('claim_missing')));

const options: AuthOptions = {
  stytch: { projectId: 'project-test-1' },
  tokenFrom: ['header', 'cookie'],
  cookies: { jwt: 'my_jwt', opaque: 'my_session' },
  csrf: { allowedOrigins: ['https://app.example.com'] },
  accept: ['session', 'm2m'],
};
// @ts-expect-error only 'session' and 'm2m' are kinds
ex.verifyAuth(createAuth(options), { accept: ['machine'] });
}

describe('issue 17 types', () => {
  it('compile (the checks above are compile-time); the route options are also checked at run time', () => {
    expect([typeof expressHandler, typeof fastifyHandler, typeof mounting]).toEqual(['function', 'function', 'function']);
    const auth = createAuth({ stytch: { projectId: 'project-test-1' } });
    expect(() => ex.verifyAuth(auth, { accept: ['machine'] as never })).toThrow(/accept must be a non-empty list/);
    expect(() => ex.verifyAuth(auth, { accept: [] })).toThrow(/accept must be a non-empty list/);
    const options: AuthOptions = { stytch: { projectId: 'project-test-1' }, tokenFrom: ['header', 'cookie'] };
    expect(() => createAuth({ ...options, cookies: { jwt: 'same', opaque: 'same' } })).toThrow(/different cookie names/);
    expect(() => createAuth({ ...options, csrf: { allowedOrigins: ['https://app.example.com/'] } })).toThrow(/origin/);
    return auth.close();
  });
});
