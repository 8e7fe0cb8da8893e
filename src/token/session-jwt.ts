import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { AuthError } from '../errors.js';
import { isSafeStytchId, STYTCH_SESSION_CLAIM } from './identity.js';
import type { JwksStore } from './jwks-store.js';

export interface SessionJwtPolicy {
  readonly projectId: string;
  readonly issuers: readonly string[];
  readonly clockToleranceSec: number;
  readonly maxTokenAgeSec: number | null;
}

export type SessionJwtVerdict =
  | { readonly ok: true; readonly payload: JWTPayload }
  /**
   * A member session JWT Stytch really signed for us, only past `exp` (and not too old): may
   * be renewed through Stytch. `reason` (`expired 73 s ago`) is for the log line if it is not.
   */
  | { readonly ok: false; readonly expired: true; readonly payload: JWTPayload; readonly reason: string };

/** Header values shown in a reason only when short and plain: a log line never carries an attacker's essay. */
const SHOWABLE = /^[A-Za-z0-9+._:/-]{1,32}$/;

function shown(value: unknown): string {
  return typeof value === 'string' && SHOWABLE.test(value) ? value : '(not shown)';
}

const nowSec = (): number => Math.floor(Date.now() / 1000);

/**
 * What jose checks of every Stytch JWT, session or M2M: RS256 only, `typ: JWT`, our project as
 * audience, one of our issuers, `sub` and `exp` present, `exp`/`nbf` with the configured
 * leeway, and the age limit when set.
 */
function stytchJwtVerifyOptions(policy: SessionJwtPolicy): JWTVerifyOptions {
  return {
    algorithms: ['RS256'],
    typ: 'JWT',
    audience: policy.projectId,
    issuer: policy.issuers as string[],
    clockTolerance: policy.clockToleranceSec,
    requiredClaims: ['sub', 'exp'],
    ...(policy.maxTokenAgeSec !== null ? { maxTokenAge: policy.maxTokenAgeSec } : {}),
  };
}

/**
 * A Stytch JWT through jose with `stytchJwtVerifyOptions`, jose's refusals turned into ours
 * (never the token's text in a reason). A token past `exp` is returned with `expired` set (jose
 * checked its signature first): the caller decides what an expired token of its kind means.
 */
export async function verifyStytchJwt(
  token: string,
  store: JwksStore,
  policy: SessionJwtPolicy,
): Promise<{ readonly payload: JWTPayload; readonly expired: InstanceType<typeof joseErrors.JWTExpired> | null }> {
  try {
    const { payload } = await jwtVerify(token, store.getKey, stytchJwtVerifyOptions(policy));
    return { payload, expired: null };
  } catch (error) {
    if (error instanceof AuthError) throw error;
    if (error instanceof joseErrors.JWTExpired) {
      if (error.claim !== 'iat') return { payload: error.payload, expired: error };
      const age = typeof error.payload.iat === 'number' ? `issued ${nowSec() - error.payload.iat} s ago, ` : '';
      throw new AuthError('token_too_old', { cause: error, reason: `${age}over jwt.maxTokenAgeSec ${policy.maxTokenAgeSec ?? ''}` });
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) throw jwtClaimFailure(error, token);
    throw joseError(error, token);
  }
}

/**
 * Stytch caps session custom claims at 4 KB of JSON, and each level of nesting costs at least
 * two bytes (`[]`): no token Stytch issues nests deeper than 2,048 levels below the claims set.
 * A deeper one (a 16 KB header allows ~5,000) would exhaust the stack of whatever walks it
 * recursively — the identity's freeze here, `JSON.stringify` in the application.
 */
export const MAX_CLAIMS_DEPTH = 1 + 4_096 / 2;

/** Nesting depth of a parsed claims set, without recursion, giving up past `limit`. */
export function deeperThan(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 1; level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const item of level) {
      if (typeof item !== 'object' || item === null) continue;
      if (depth > limit) return true;
      for (const child of Array.isArray(item) ? item : Object.values(item)) {
        if (typeof child === 'object' && child !== null) next.push(child);
      }
    }
    level = next;
  }
  return false;
}

function protectedHeader(token: string): Record<string, unknown> | null {
  try {
    return decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** jose's own messages are fixed text, except where they quote a header name: printable, bounded, unquoted. */
function joseMessage(error: Error): string {
  return error.message.replace(/"[^"]*"/g, (quoted) => (SHOWABLE.test(quoted.slice(1, -1)) ? quoted : '"…"')).replace(/[^\x20-\x7e]/g, '').slice(0, 100);
}

/**
 * What makes a verified claims set a member session. Stytch signs Connected App (OAuth) and
 * M2M access tokens with the same keys, `iss`, `aud` and `typ` as session JWTs; a Connected
 * App token even names the member and organization. Only the session claim, an object with a
 * session id, makes a member session (RFC 8725 §3.11–3.12: token types are kept apart by
 * content when the header cannot tell them apart). And no nesting deeper than Stytch can issue.
 */
function requireMemberSession(payload: JWTPayload): void {
  if (deeperThan(payload, MAX_CLAIMS_DEPTH)) {
    throw new AuthError('token_invalid', { reason: `claims nested deeper than ${MAX_CLAIMS_DEPTH} levels` });
  }
  const session = payload[STYTCH_SESSION_CLAIM];
  if (session === undefined) {
    const oauth = 'scope' in payload || 'client_id' in payload;
    throw new AuthError('token_invalid', {
      reason: oauth
        ? 'no session claim: an OAuth access token (Connected App or M2M), not a member session'
        : 'no session claim: not a member session JWT',
    });
  }
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    throw new AuthError('token_invalid', { reason: 'session claim is not an object' });
  }
  if (!isSafeStytchId((session as Record<string, unknown>).id)) {
    throw new AuthError('token_invalid', { reason: 'session claim has no string id' });
  }
}

/**
 * `maxTokenAgeSec` for a token jose has already refused as expired: jose checks `exp` before
 * the age, so without this a token both too old and expired would be renewed through Stytch.
 */
function checkAge(payload: JWTPayload, policy: SessionJwtPolicy): void {
  if (policy.maxTokenAgeSec === null) return;
  // jose has checked `iat` is present and a number whenever `maxTokenAge` is set.
  if (typeof payload.iat !== 'number') throw new AuthError('token_invalid', { reason: 'claim iat missing' });
  const age = nowSec() - payload.iat;
  if (age - policy.clockToleranceSec > policy.maxTokenAgeSec) {
    throw new AuthError('token_too_old', { reason: `issued ${age} s ago, over jwt.maxTokenAgeSec ${policy.maxTokenAgeSec}` });
  }
  if (age < -policy.clockToleranceSec) {
    throw new AuthError('token_not_yet_valid', { reason: `claim iat ${-age} s in the future` });
  }
}

export function jwtClaimFailure(error: InstanceType<typeof joseErrors.JWTClaimValidationFailed>, token: string): AuthError {
  const { claim, reason } = error;
  const payload = error.payload;
  if (claim === 'typ') {
    const typ = protectedHeader(token)?.typ;
    return new AuthError('token_invalid', { cause: error, reason: typ === undefined ? 'typ missing' : `typ ${shown(typ)} not accepted (JWT required)` });
  }
  // Only a well-formed `nbf` in the future is "not yet valid"; a malformed one is just invalid.
  if (claim === 'nbf' && reason === 'check_failed' && typeof payload.nbf === 'number') {
    return new AuthError('token_not_yet_valid', { cause: error, reason: `not valid for another ${payload.nbf - nowSec()} s (nbf)` });
  }
  // jose's other `iat` failure with `maxTokenAge`: issued in the future. Not too old: not valid yet.
  if (claim === 'iat' && reason === 'check_failed' && typeof payload.iat === 'number') {
    return new AuthError('token_not_yet_valid', { cause: error, reason: `claim iat ${payload.iat - nowSec()} s in the future` });
  }
  const what = reason === 'missing' ? 'missing' : reason === 'check_failed' ? 'mismatch' : 'invalid (not a NumericDate)';
  // jose names only the registered claims it checks (iss, aud, sub, exp, nbf, iat): safe to show.
  return new AuthError('token_invalid', { cause: error, reason: `claim ${shown(claim)} ${what}` });
}

/** Why jose refused a token before its claims: signature, algorithm, or shape. Never the token's text. */
export function joseError(error: unknown, token: string): AuthError {
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new AuthError('token_invalid', { cause: error, reason: 'signature verification failed' });
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) {
    return new AuthError('token_invalid', { cause: error, reason: `alg ${shown(protectedHeader(token)?.alg)} not allowed (RS256 only)` });
  }
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return new AuthError('token_invalid', { cause: error, reason: 'several published keys match a token without kid' });
  }
  if (error instanceof Error && /Extension Header Parameter|"crit"/.test(error.message)) {
    return new AuthError('token_invalid', { cause: error, reason: 'unsupported JWS header (crit)' });
  }
  if (error instanceof joseErrors.JWSInvalid) {
    const header = protectedHeader(token);
    const reason = header !== null && header.alg === undefined ? 'alg missing' : `malformed JWS: ${joseMessage(error)}`;
    return new AuthError('token_invalid', { cause: error, reason });
  }
  if (error instanceof joseErrors.JWTInvalid) {
    return new AuthError('token_invalid', { cause: error, reason: `malformed JWT: ${joseMessage(error)}` });
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new AuthError('token_invalid', { cause: error, reason: `verification failed (${shown(name)})` });
}

/**
 * Verify a Stytch member session JWT locally: RS256 only, `typ: JWT`, our project as audience,
 * one of our issuers, `exp`/`nbf` with the configured leeway, the session claim present. jose
 * checks the signature before any claim, so an `expired` verdict is only ever given for a
 * member session Stytch really signed for us, and never for one past `maxTokenAgeSec`.
 */
export async function verifySessionJwt(token: string, store: JwksStore, policy: SessionJwtPolicy): Promise<SessionJwtVerdict> {
  const verified = await verifyStytchJwt(token, store, policy);
  const { payload } = verified;
  requireMemberSession(payload);
  if (verified.expired === null) return { ok: true, payload };
  checkAge(payload, policy);
  const exp = payload.exp;
  const reason = typeof exp === 'number' ? `expired ${nowSec() - exp} s ago` : 'expired';
  return { ok: false, expired: true, payload, reason };
}
