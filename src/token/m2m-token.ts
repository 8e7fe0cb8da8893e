/**
 * Stytch M2M access tokens: client-credentials JWTs that Stytch signs with the project's keys,
 * under the same `iss`, `aud` and `typ` as member session JWTs (Stytch's own B2B SDK verifies
 * both against the B2B sessions JWKS). What tells them apart is content: an M2M token names an
 * M2M client in `sub` (`m2m-client-…`), carries a `scope` claim, and has no session claim.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { M2mIdentity } from '../auth-context-union.js';
import { AuthError } from '../errors.js';
import { isSafeStytchId, STYTCH_ORGANIZATION_CLAIM, STYTCH_SESSION_CLAIM } from './identity.js';
import type { JwksStore } from './jwks-store.js';
import { deeperThan, MAX_CLAIMS_DEPTH, verifyStytchJwt, type SessionJwtPolicy } from './session-jwt.js';

/** The same policy as session JWTs: one project, one JWKS store, one set of issuers. */
export type M2mTokenPolicy = SessionJwtPolicy;

/**
 * An M2M client id. Connected App tokens also carry `scope`, but name a member in `sub`
 * (`member-…`) and the app in `client_id` (`connected-app-…`): only this prefix is a machine.
 */
const M2M_CLIENT_ID = /^m2m-client-[A-Za-z0-9_.:-]{1,117}$/;

export function isM2mClientId(value: unknown): value is string {
  return typeof value === 'string' && M2M_CLIENT_ID.test(value) && isSafeStytchId(value);
}

/**
 * A scope as Stytch's M2M clients define them: `action` or `action:resource`, printable ASCII
 * without spaces (the separator). Anything else in a verified token is Stytch's business, but
 * it never reaches a scope comparison or a log line.
 */
const SCOPE = /^[\x21-\x7e]{1,128}$/;
/** Far more than any M2M client is given; a longer list is refused rather than scanned. */
export const MAX_SCOPES = 256;

const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'scope']);
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function parseScopes(claim: unknown): string[] {
  if (typeof claim !== 'string') throw new AuthError('token_invalid', { reason: 'claim scope missing or not a string: not an M2M access token' });
  const scopes: string[] = [];
  const seen = new Set<string>();
  for (const scope of claim.split(' ')) {
    if (scope === '') continue;
    if (!SCOPE.test(scope)) throw new AuthError('token_invalid', { reason: 'claim scope holds a malformed scope' });
    if (seen.has(scope)) continue;
    seen.add(scope);
    scopes.push(scope);
    if (scopes.length > MAX_SCOPES) throw new AuthError('token_invalid', { reason: `claim scope lists over ${MAX_SCOPES} scopes` });
  }
  return scopes;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * What makes a verified claims set an M2M token: an M2M client as `sub`, a `scope`, and none
 * of the claims of a member session (RFC 8725 §3.11: token types kept apart by content).
 */
function m2mIdentityFrom(payload: JWTPayload): M2mIdentity {
  if (deeperThan(payload, MAX_CLAIMS_DEPTH)) {
    throw new AuthError('token_invalid', { reason: `claims nested deeper than ${MAX_CLAIMS_DEPTH} levels` });
  }
  if (payload[STYTCH_SESSION_CLAIM] !== undefined || payload[STYTCH_ORGANIZATION_CLAIM] !== undefined) {
    throw new AuthError('token_invalid', { reason: 'a member session JWT, not an M2M access token' });
  }
  if (!isM2mClientId(payload.sub)) {
    throw new AuthError('token_invalid', { reason: 'claim sub is not an M2M client id: not an M2M access token' });
  }
  const scopes = parseScopes(payload.scope);
  const customClaims: Record<string, unknown> = {};
  for (const key of Object.keys(payload)) {
    if (REGISTERED_CLAIMS.has(key) || POISON_KEYS.has(key)) continue;
    customClaims[key] = payload[key];
  }
  return deepFreeze({
    clientId: payload.sub,
    scopes,
    customClaims,
    tokenId: typeof payload.jti === 'string' && payload.jti !== '' ? payload.jti : null,
    tokenIssuedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : null,
    // `exp` is a required claim: jose has checked it is a number.
    tokenExpiresAt: new Date((payload.exp as number) * 1000),
  });
}

/**
 * Verify a Stytch M2M access token locally: RS256 only, `typ: JWT`, our project as audience,
 * one of our issuers, `exp`/`nbf` with the configured leeway, `jwt.maxTokenAgeSec` when set.
 * Unlike a session JWT, an expired M2M token is never renewable (`token_expired`): the client
 * asks Stytch for a new one with its credentials.
 */
export async function verifyM2mToken(token: string, store: JwksStore, policy: M2mTokenPolicy): Promise<M2mIdentity> {
  const { payload, expired } = await verifyStytchJwt(token, store, policy);
  // Only a token that really is an M2M token is called expired; a session JWT stays a wrong kind.
  const identity = m2mIdentityFrom(payload);
  if (expired === null) return identity;
  const ago = typeof payload.exp === 'number' ? ` ${Math.floor(Date.now() / 1000) - payload.exp} s ago` : '';
  throw new AuthError('token_expired', { cause: expired, reason: `the M2M access token expired${ago}` });
}

export type JwtKind = 'm2m' | 'session';

/**
 * Which verifier a JWT should go to, read from its unverified claims: `m2m` when `sub` names
 * an M2M client and no session claim is present, `session` otherwise (and for anything that
 * does not decode: the session verifier gives the precise refusal). Only a routing hint: both
 * verifiers check the signature and then the kind, so a forged hint reaches a verifier that
 * refuses the token.
 */
export function jwtKindHint(token: string): JwtKind {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    return 'session';
  }
  return claims[STYTCH_SESSION_CLAIM] === undefined && typeof claims.sub === 'string' && claims.sub.startsWith('m2m-client-')
    ? 'm2m'
    : 'session';
}

/** What a route accepts (`accept` option): member sessions, M2M access tokens, or both. */
export type AcceptedTokenKind = 'session' | 'm2m';

/**
 * The refusal of a token of a kind the route does not accept, or null. `kind` is the routing
 * hint (`jwtKindHint`), `opaque` for a non-JWT (always a member session token). A refusal here
 * never depends on the hint being true: whatever it says, the token is not accepted. Both
 * directions are 401 `token_invalid`, as an M2M token has always been for session-only routes:
 * the token is not a credential for this route, whatever it proves elsewhere.
 */
export function acceptError(kind: JwtKind | 'opaque', accept: readonly AcceptedTokenKind[]): AuthError | null {
  if (kind === 'm2m') {
    return accept.includes('m2m') ? null : new AuthError('token_invalid', { reason: 'an M2M access token, and this route accepts only member sessions' });
  }
  return accept.includes('session') ? null : new AuthError('token_invalid', { reason: 'a member session token, and this route accepts only M2M access tokens' });
}
