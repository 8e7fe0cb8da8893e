import { AuthError } from '../errors.js';
import type { RequestHeaders } from '../auth-types.js';

/** Longest Authorization header we look at; anything longer is refused before any parsing. */
export const MAX_HEADER_LENGTH = 16_384;
/** Stytch session JWTs are ~1–2 KB; opaque tokens 44 chars. 8 KB leaves room, no more. */
export const MAX_TOKEN_LENGTH = 8_192;
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
  if (value === undefined) throw new AuthError('token_missing');
  if (typeof value !== 'string') {
    if (value.length === 0) throw new AuthError('token_missing');
    if (value.length > 1) throw new AuthError('token_multiple');
    return parseBearerHeader(value[0]);
  }
  if (value.length > MAX_HEADER_LENGTH) throw new AuthError('token_malformed');
  const trimmed = value.trim();
  if (trimmed === '') throw new AuthError('token_missing');

  const space = trimmed.search(/\s/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') throw new AuthError('scheme_invalid');
  if (space === -1) throw new AuthError('token_empty');

  const rest = trimmed.slice(space + 1).trim();
  // Fast path: a well-formed token is one scan. Token characters include no control
  // character, whitespace or comma, so this returns exactly when the checks below would.
  if (rest.length >= MIN_TOKEN_LENGTH && rest.length <= MAX_TOKEN_LENGTH && TOKEN_CHARS.test(rest)) return rest;
  if (rest === '') throw new AuthError('token_empty');
  if (CONTROL_CHARS.test(rest)) throw new AuthError('token_malformed');
  if (SEPARATORS.test(rest)) {
    const parts = rest.split(SEPARATORS).filter((p) => p !== '');
    // `Bearer a, Bearer b` (two headers folded into one) counts as several tokens too.
    throw new AuthError(parts.length > 1 ? 'token_multiple' : 'token_malformed');
  }
  if (rest.length < MIN_TOKEN_LENGTH || rest.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(rest)) {
    throw new AuthError('token_malformed');
  }
  return rest;
}

export function extractBearerToken(headers: RequestHeaders): string {
  return parseBearerHeader(authorizationValue(headers));
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Three base64url segments: a session JWT, verified locally. Anything else is opaque. */
export function isJwtShaped(token: string): boolean {
  return JWT_SHAPE.test(token);
}
