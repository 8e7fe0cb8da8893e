/**
 * The credential of a request under the token-source options (issue 17), in the order that
 * keeps hostile requests cheap: source (header wins, else the session cookies) → CSRF (a
 * forged cross-site request costs no signature check and no Stytch call) → kind (`accept`).
 * Verification comes after, in the core.
 */
import type { RequestHeaders } from '../auth-types.js';
import { isJwtShaped } from './bearer.js';
import { csrfError } from './csrf.js';
import { acceptError, jwtKindHint, type AcceptedTokenKind, type JwtKind } from './m2m-token.js';
import { tokenFromRequest, type ResolvedTokenSourceOptions, type TokenSource } from './token-source.js';

export interface RequestCredential {
  readonly token: string;
  readonly source: TokenSource;
  /** The routing hint (`jwtKindHint`), `opaque` for a non-JWT; the verifier still checks the kind. */
  readonly kind: JwtKind | 'opaque';
}

/** Throws the `AuthError` of the first refusal: `token_*` of the source, `csrf_failed`, `token_invalid` of a kind not accepted. */
export function requestCredential(
  headers: RequestHeaders,
  method: string,
  sources: ResolvedTokenSourceOptions,
  accept: readonly AcceptedTokenKind[],
): RequestCredential {
  const { token, source } = tokenFromRequest(headers, sources);
  const csrf = csrfError({ method, headers }, source, sources.allowedOrigins);
  if (csrf !== null) throw csrf;
  const kind = isJwtShaped(token) ? jwtKindHint(token) : 'opaque';
  const refused = acceptError(kind, accept);
  if (refused !== null) throw refused;
  return { token, source, kind };
}

/**
 * True when the request is read exactly as before issue 17: the `Authorization` header only,
 * member sessions only. The core then keeps its original path (and its warm fast path).
 */
export function isHeaderSessionOnly(sources: ResolvedTokenSourceOptions, accept: readonly AcceptedTokenKind[]): boolean {
  return sources.tokenFrom.length === 1 && sources.tokenFrom[0] === 'header' && accept.length === 1 && accept[0] === 'session';
}

/**
 * A route's `accept` option, checked when the route is defined: a non-empty list of distinct
 * `'session'` / `'m2m'`. Undefined stays undefined (the `Auth`'s default). Frozen copy.
 */
export function acceptOption(value: unknown, where: string): readonly AcceptedTokenKind[] | undefined {
  if (value === undefined) return undefined;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((kind) => kind === 'session' || kind === 'm2m') &&
    new Set(value).size === value.length;
  if (!ok) throw new TypeError(`ayz-auth: ${where} accept must be a non-empty list of distinct 'session' / 'm2m'`);
  return Object.freeze([...(value as AcceptedTokenKind[])]);
}
