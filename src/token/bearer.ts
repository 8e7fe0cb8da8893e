import { AuthError } from '../errors.js';
import type { RequestHeaders } from '../auth-types.js';

/** Longest Authorization header we look at; anything longer is refused before any parsing. */
export const MAX_HEADER_LENGTH = 16_384;
/**
 * Every token a header under `MAX_HEADER_LENGTH` can carry (`Bearer ` is 7 characters). Stytch
 * session JWTs are usually 1–2 KB, but 4 KB of session custom claims and several authentication
 * factors take one past 9 KB: a tighter cap would refuse genuine sessions.
 */
export const MAX_TOKEN_LENGTH = MAX_HEADER_LENGTH - 'Bearer '.length;
/** The Python library's floor: shorter values are not Stytch tokens. */
export const MIN_TOKEN_LENGTH = 20;

const TOKEN_CHARS = /^[A-Za-z0-9_.-]+$/;
const SEPARATORS = /[\s,]+/;
// Line breaks and other control characters (tab aside, a separator) are malformed, not a list.
const CONTROL_CHARS = /[\x00-\x08\x0a-\x1f\x7f]/;

function authorizationValue(headers: RequestHeaders): string | readonly string[] | undefined {
  const direct = headers['authorization'];
  if (direct !== undefined) return direct;
  // Node lower-cases header names; a plain object from elsewhere may not.
  for (const name in headers) {
    if (name.length === 13 && name.toLowerCase() === 'authorization') return headers[name];
  }
  return undefined;
}

/**
 * The token of an `Authorization: Bearer <token>` header value. The checks run cheapest first
 * and every refusal has its own code, so a client can tell a missing header from a bad one.
 */
export function parseBearerHeader(value: string | readonly string[] | undefined): string {
  if (value === undefined) throw new AuthError('token_missing', { reason: 'no Authorization header' });
  if (typeof value !== 'string') {
    if (value.length === 0) throw new AuthError('token_missing', { reason: 'no Authorization header' });
    if (value.length > 1) throw new AuthError('token_multiple', { reason: `${value.length} Authorization headers` });
    return parseBearerHeader(value[0]);
  }
  if (value.length > MAX_HEADER_LENGTH) {
    throw new AuthError('token_malformed', { reason: `Authorization header longer than ${MAX_HEADER_LENGTH} characters` });
  }
  const trimmed = value.trim();
  if (trimmed === '') throw new AuthError('token_missing', { reason: 'empty Authorization header' });

  const space = trimmed.search(/\s/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') throw new AuthError('scheme_invalid', { reason: 'scheme is not Bearer' });
  if (space === -1) throw new AuthError('token_empty', { reason: 'Bearer without a token' });

  const rest = trimmed.slice(space + 1).trim();
  // Fast path: a well-formed token is one scan. Token characters include no control
  // character, whitespace or comma, so this returns exactly when the checks below would.
  if (rest.length >= MIN_TOKEN_LENGTH && rest.length <= MAX_TOKEN_LENGTH && TOKEN_CHARS.test(rest)) return rest;
  if (rest === '') throw new AuthError('token_empty', { reason: 'Bearer without a token' });
  if (CONTROL_CHARS.test(rest)) throw new AuthError('token_malformed', { reason: 'control character in the token' });
  if (SEPARATORS.test(rest)) {
    const parts = rest.split(SEPARATORS).filter((p) => p !== '');
    // `Bearer a, Bearer b` (two headers folded into one) counts as several tokens too.
    if (parts.length > 1) throw new AuthError('token_multiple', { reason: `${parts.length} tokens in one header` });
    throw new AuthError('token_malformed', { reason: 'separator in the token' });
  }
  throw shapeError(rest);
}

/** Why a single token is not bearer-shaped (its length and character set only; never its text). */
function shapeError(token: string): AuthError {
  if (token.length < MIN_TOKEN_LENGTH) {
    return new AuthError('token_malformed', { reason: `token shorter than ${MIN_TOKEN_LENGTH} characters (${token.length})` });
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    return new AuthError('token_malformed', { reason: `token longer than ${MAX_TOKEN_LENGTH} characters (${token.length})` });
  }
  return new AuthError('token_malformed', { reason: 'character outside [A-Za-z0-9_.-] in the token' });
}

/**
 * The token of the request's `Authorization: Bearer …` header. Throws `AuthError`:
 * `token_missing` without one, `token_multiple` for repeated headers, `token_malformed` for a
 * scheme other than Bearer or characters a Stytch token never has. Never logs the token.
 */
export function extractBearerToken(headers: RequestHeaders): string {
  return parseBearerHeader(authorizationValue(headers));
}

/**
 * The checks a header's token gets, for a token handed over directly (`auth.authenticate`):
 * nothing that a header could not carry reaches the verifier, let alone Stytch.
 */
export function checkBearerToken(token: string): string {
  if (isBearerTokenShaped(token)) return token;
  if (token.trim() === '') throw new AuthError('token_missing', { reason: 'empty token' });
  throw shapeError(token);
}

/** What a token extracted from a header always is: 20 to `MAX_TOKEN_LENGTH` characters of `[A-Za-z0-9_.-]`. */
export function isBearerTokenShaped(token: string): boolean {
  return token.length >= MIN_TOKEN_LENGTH && token.length <= MAX_TOKEN_LENGTH && TOKEN_CHARS.test(token);
}

/**
 * The warm path's shortcut: for a header `authorization: Bearer <rest>` (one string value, the
 * scheme in any case, one space), `<rest>`, found without scanning it; otherwise null.
 * Nothing in `<rest>` is checked (not even for more whitespace): a candidate may only be trusted when it is
 * byte-for-byte a token known to be `isBearerTokenShaped` (a verified-token cache hit of a
 * token so marked). For such a token, `extractBearerToken` of the same headers returns the same string.
 */
export function bearerCandidate(headers: RequestHeaders): string | null {
  const value = headers['authorization'];
  if (typeof value !== 'string') return null;
  const length = value.length;
  if (length < 7 + MIN_TOKEN_LENGTH || length > 7 + MAX_TOKEN_LENGTH || value.charCodeAt(6) !== 32) return null;
  const scheme = value.slice(0, 6);
  if (scheme !== 'Bearer' && scheme.toLowerCase() !== 'bearer') return null;
  return value.slice(7);
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Three base64url segments: a session JWT, verified locally. Anything else is opaque. */
export function isJwtShaped(token: string): boolean {
  return JWT_SHAPE.test(token);
}
