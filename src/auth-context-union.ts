/**
 * Who is calling, as a union that says which kind of caller it is: a member of an organization
 * (a Stytch B2B session, with its MongoDB context) or a machine (a Stytch M2M access token).
 *
 * Both kinds carry every field, so code that reads a field without narrowing still compiles and
 * never reads `undefined`; the fields of the other kind are `null` (scalars) or empty (lists).
 * `kind` narrows, and so does any member scalar (`ctx.memberId !== null` is a member): code that
 * needs a `memberId: string` or a tenant must first know it has a member.
 */
import type { AuthContext, AuthenticationFactorTime } from './auth-context.js';

/** A member session: today's `AuthContext`, plus the machine fields, empty. */
export interface MemberAuthContext extends AuthContext {
  readonly kind: 'member';
  readonly clientId: null;
  readonly scopes: readonly string[];
}

/**
 * A machine: a Stytch M2M client that authenticated with its access token. Nothing of it is
 * read from MongoDB: an M2M client belongs to the project, not to an organization, so it has no
 * user, organization, team or entitlements (all `null`), and no roles or factors (empty).
 */
export interface M2mAuthContext {
  readonly kind: 'm2m';
  /** The M2M client id (`m2m-client-test-…`), the token's `sub`. */
  readonly clientId: string;
  /** The token's `scope` claim, split on spaces, in order, without empties or repeats. */
  readonly scopes: readonly string[];
  /** Claims of the token beyond the registered ones and `scope` (Stytch's M2M custom claims). */
  readonly customClaims: Readonly<Record<string, unknown>>;
  /** The token's `jti`, when it has one. */
  readonly tokenId: string | null;
  readonly tokenIssuedAt: Date | null;
  readonly tokenExpiresAt: Date;
  readonly authenticatedAt: Date;

  readonly memberId: null;
  readonly sessionId: null;
  readonly stytchOrgId: null;
  readonly orgSlug: null;
  readonly memberEmail: null;
  readonly memberName: null;
  readonly roles: readonly string[];
  readonly authenticationFactors: readonly string[];
  readonly authenticationFactorTimes: readonly AuthenticationFactorTime[];
  readonly sessionStartedAt: null;
  readonly sessionExpiresAt: null;
  readonly sessionLastAccessedAt: null;
  readonly mongoUserId: null;
  readonly orgId: null;
  readonly currentTeamId: null;
  readonly currentTeamName: null;
  readonly entitlements: null;
  readonly subscriptionTier: null;
  readonly subscriptionLimits: null;
}

export type AuthContextKind = 'member' | 'm2m';

/** The context of a route that accepts both kinds (`accept: ['session', 'm2m']`). */
export type AnyAuthContext = MemberAuthContext | M2mAuthContext;

/** The machine identity of a verified M2M access token (`verifyM2mToken`). */
export interface M2mIdentity {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly customClaims: Readonly<Record<string, unknown>>;
  readonly tokenId: string | null;
  readonly tokenIssuedAt: Date | null;
  readonly tokenExpiresAt: Date;
}

const EMPTY: readonly string[] = Object.freeze([]);

/** Today's member context, tagged. Frozen, like every context handed out. */
export function memberContext(context: AuthContext): MemberAuthContext {
  return Object.freeze({ ...context, kind: 'member', clientId: null, scopes: EMPTY });
}

/** The context of an M2M identity: no MongoDB read, every member-side field empty. Frozen. */
export function m2mContext(identity: M2mIdentity, authenticatedAt: Date = new Date()): M2mAuthContext {
  return Object.freeze({
    kind: 'm2m',
    clientId: identity.clientId,
    scopes: identity.scopes,
    customClaims: identity.customClaims,
    tokenId: identity.tokenId,
    tokenIssuedAt: identity.tokenIssuedAt,
    tokenExpiresAt: identity.tokenExpiresAt,
    authenticatedAt,
    memberId: null,
    sessionId: null,
    stytchOrgId: null,
    orgSlug: null,
    memberEmail: null,
    memberName: null,
    roles: EMPTY,
    authenticationFactors: EMPTY,
    authenticationFactorTimes: [],
    sessionStartedAt: null,
    sessionExpiresAt: null,
    sessionLastAccessedAt: null,
    mongoUserId: null,
    orgId: null,
    currentTeamId: null,
    currentTeamName: null,
    entitlements: null,
    subscriptionTier: null,
    subscriptionLimits: null,
  });
}

export function isMemberContext(context: AnyAuthContext): context is MemberAuthContext {
  return context.kind === 'member';
}

export function isM2mContext(context: AnyAuthContext): context is M2mAuthContext {
  return context.kind === 'm2m';
}
