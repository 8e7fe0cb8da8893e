import { describe, expect, expectTypeOf, it } from 'vitest';
import { jwtVerify } from 'jose';
import { createLocalTestIssuer } from 'ayz-auth/testing';
import { isM2mContext, isMemberContext, m2mContext, memberContext, type AnyAuthContext, type M2mAuthContext, type MemberAuthContext } from '../../src/auth-context-union.js';
import { EMPTY_DIRECTORY_CONTEXT } from '../../src/auth-context.js';

const member = memberContext({
  memberId: 'member-test-1', sessionId: null, stytchOrgId: 'organization-test-1', orgSlug: null, memberEmail: null, memberName: null,
  roles: [], authenticationFactors: [], authenticationFactorTimes: [], sessionStartedAt: null, sessionExpiresAt: null, sessionLastAccessedAt: null,
  customClaims: {}, authenticatedAt: new Date(), ...EMPTY_DIRECTORY_CONTEXT,
});
const machine = m2mContext({ clientId: 'm2m-client-test-1', scopes: ['read:users'], customClaims: {}, tokenId: null, tokenIssuedAt: null, tokenExpiresAt: new Date() });

/** Compile-time only: what code that uses the context may and may not write. */
function takesMemberId(id: string): string {
  return id;
}
function narrowing(ctx: AnyAuthContext): string {
  // @ts-expect-error a member id needs a member: on the union it may be null
  takesMemberId(ctx.memberId);
  if (ctx.kind === 'member') {
    expectTypeOf(ctx).toEqualTypeOf<MemberAuthContext>();
    return takesMemberId(ctx.memberId);
  }
  expectTypeOf(ctx).toEqualTypeOf<M2mAuthContext>();
  expectTypeOf(ctx.mongoUserId).toEqualTypeOf<null>();
  return ctx.clientId;
}
function narrowingByField(ctx: AnyAuthContext): string | null {
  // Any member scalar is a discriminant too.
  return ctx.stytchOrgId !== null ? takesMemberId(ctx.memberId) : null;
}

describe('the AuthContext union', () => {
  it('narrows on kind (and on any member scalar), at compile time and at run time', () => {
    expect(narrowing(member)).toBe('member-test-1');
    expect(narrowing(machine)).toBe('m2m-client-test-1');
    expect(narrowingByField(member)).toBe('member-test-1');
    expect(narrowingByField(machine)).toBeNull();
    expect([isMemberContext(member), isM2mContext(member), isMemberContext(machine), isM2mContext(machine)]).toEqual([true, false, false, true]);
    // Both kinds are frozen, lists included: a handler cannot grant itself a scope.
    expect(Object.isFrozen(member) && Object.isFrozen(machine) && Object.isFrozen(machine.roles)).toBe(true);
  });

  it('the local test issuer mints M2M tokens too, verifiable against its key set', async () => {
    const issuer = await createLocalTestIssuer();
    const { payload, protectedHeader } = await jwtVerify(issuer.m2mToken({ clientId: 'm2m-client-test-local', scopes: ['a', 'b:c'] }), issuer.keySet(), {
      audience: issuer.projectId,
      issuer: issuer.issuer,
      algorithms: ['RS256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: issuer.kid });
    expect(payload).toMatchObject({ sub: 'm2m-client-test-local', scope: 'a b:c', aud: [issuer.projectId] });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });
});
