/**
 * Where a request's token comes from: the `Authorization` header, or the session cookies that
 * Stytch's frontend SDK keeps (`stytch_session_jwt`, `stytch_session` unless renamed). Opt-in:
 * with the defaults (`tokenFrom: ['header']`) nothing but the header is ever read.
 */
import { parse as parseCookieHeader } from 'cookie';
import type { z } from 'zod';
import { tokenSourceOptionsSchema } from '../config/options-schema.js';
import type { RequestHeaders } from '../auth-types.js';
import { AuthError } from '../errors.js';
import { checkBearerToken, parseBearerHeader } from './bearer.js';
import type { AcceptedTokenKind } from './m2m-token.js';

export type TokenSource = 'header' | 'cookie';

/** The cookie names of Stytch's frontend SDK (`cookieOptions.jwtCookieName` / `opaqueTokenCookieName`). */
export interface SessionCookieNames {
  readonly jwt: string;
  readonly opaque: string;
}

export { STYTCH_SESSION_COOKIES, tokenSourceOptionsSchema } from '../config/options-schema.js';

/**
 * Longest `Cookie` header read. Node refuses requests whose headers exceed 16 KB altogether
 * unless a server raises `--max-http-header-size`; past twice that, the header is refused
 * before any parsing rather than scanned.
 */
export const MAX_COOKIE_HEADER_LENGTH = 32_768;

export type TokenSourceOptions = z.input<typeof tokenSourceOptionsSchema>;

/** Frozen token-source settings from the schema's output (every default filled in). */
export function resolvedTokenSources(parsed: z.output<typeof tokenSourceOptionsSchema>) {
  return Object.freeze({
    tokenFrom: Object.freeze([...parsed.tokenFrom]) as readonly TokenSource[],
    cookies: Object.freeze({ ...parsed.cookies }) as SessionCookieNames,
    allowedOrigins: new Set(parsed.csrf.allowedOrigins) as ReadonlySet<string>,
    accept: Object.freeze([...parsed.accept]) as readonly AcceptedTokenKind[],
  });
}

export type ResolvedTokenSourceOptions = ReturnType<typeof resolvedTokenSources>;

/** Defaults filled in; throws zod's error on invalid options (the core turns it into `AuthConfigError`). */
export function resolveTokenSourceOptions(options: TokenSourceOptions = {}): ResolvedTokenSourceOptions {
  return resolvedTokenSources(tokenSourceOptionsSchema.parse(options));
}

/**
 * The rule between sources, pure: the header wins whenever it is present and read, whatever
 * the order of `tokenFrom` (an explicit credential over an ambient one); a cookie counts only
 * without one. Null: no credential from an enabled source.
 */
export function chooseTokenSource(present: { readonly header: boolean; readonly cookie: boolean }, tokenFrom: readonly TokenSource[]): TokenSource | null {
  if (present.header && tokenFrom.includes('header')) return 'header';
  if (present.cookie && tokenFrom.includes('cookie')) return 'cookie';
  return null;
}

function headerValue(headers: RequestHeaders, name: string): string | readonly string[] | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  // Node lower-cases header names; a plain object from elsewhere may not.
  for (const key in headers) if (key.length === name.length && key.toLowerCase() === name) return headers[key];
  return undefined;
}

/** An `Authorization` header that says anything at all; an empty one is no credential. */
function authorizationPresent(value: string | readonly string[] | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') return value.trim() !== '';
  return value.length > 0;
}

/**
 * How many `name=` pairs the header holds, split as `cookie` splits it (`;`, then the name
 * before the first `=`, trimmed). `cookie` keeps the first of duplicated names silently, and
 * the order browsers send duplicates in (longest path first) is no sign of which to trust.
 */
function occurrences(header: string, name: string): number {
  let count = 0;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq !== -1 && pair.slice(0, eq).trim() === name) count++;
  }
  return count;
}

export interface SessionCookie {
  readonly token: string;
  /** Which cookie: the JWT one is preferred, verified locally; the opaque one needs Stytch. */
  readonly cookie: 'jwt' | 'opaque';
}

/**
 * The session token of a `Cookie` header: the JWT cookie when it has a value, else the opaque
 * one, else null (an empty value is how a cookie is cleared: no credential). Refusals have
 * fixed codes: a header over `MAX_COOKIE_HEADER_LENGTH` or a bad value `token_malformed`, a
 * session cookie sent twice `token_multiple`. Cookies of other names are never looked at.
 */
export function readSessionCookie(value: string | readonly string[] | undefined, names: SessionCookieNames): SessionCookie | null {
  if (value === undefined) return null;
  // Node joins repeated Cookie headers with "; "; a framework handing over a list gets the same.
  const header = typeof value === 'string' ? value : value.join('; ');
  if (header.length > MAX_COOKIE_HEADER_LENGTH) {
    throw new AuthError('token_malformed', { reason: `Cookie header longer than ${MAX_COOKIE_HEADER_LENGTH} characters` });
  }
  if (!header.includes(names.jwt) && !header.includes(names.opaque)) return null;
  const jar = parseCookieHeader(header);
  for (const which of ['jwt', 'opaque'] as const) {
    const name = names[which];
    if (occurrences(header, name) > 1) {
      throw new AuthError('token_multiple', { message: 'Exactly one session cookie of each name must be sent', reason: `cookie ${which} (${name}) sent more than once` });
    }
  }
  for (const which of ['jwt', 'opaque'] as const) {
    const token = Object.hasOwn(jar, names[which]) ? jar[names[which]] : undefined;
    if (token === undefined || token === '') continue;
    try {
      return { token: checkBearerToken(token), cookie: which };
    } catch (error) {
      if (error instanceof AuthError) throw new AuthError(error.code, { reason: `${error.reason ?? error.code} (cookie ${which})` });
      throw error;
    }
  }
  return null;
}

export interface RequestToken {
  readonly token: string;
  readonly source: TokenSource;
  /** For a cookie: which one. Null for the header. */
  readonly cookie: 'jwt' | 'opaque' | null;
}

/**
 * The request's token under the options. With the header chosen, the `Cookie` header is not
 * even parsed: hostile cookies never spoil a request that authenticates by header. With no
 * credential from an enabled source: 401 `token_missing`.
 */
export function tokenFromRequest(headers: RequestHeaders, options: Pick<ResolvedTokenSourceOptions, 'tokenFrom' | 'cookies'>): RequestToken {
  const authorization = headerValue(headers, 'authorization');
  const header = authorizationPresent(authorization);
  if (chooseTokenSource({ header, cookie: false }, options.tokenFrom) === 'header') {
    return { token: parseBearerHeader(authorization), source: 'header', cookie: null };
  }
  const cookie = options.tokenFrom.includes('cookie') ? readSessionCookie(headerValue(headers, 'cookie'), options.cookies) : null;
  if (chooseTokenSource({ header, cookie: cookie !== null }, options.tokenFrom) === 'cookie' && cookie !== null) {
    return { token: cookie.token, source: 'cookie', cookie: cookie.cookie };
  }
  throw new AuthError('token_missing', {
    reason: options.tokenFrom.includes('cookie') ? 'no Authorization header and no session cookie' : 'no Authorization header',
  });
}
