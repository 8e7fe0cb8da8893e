/**
 * The CSRF defence of cookie-authenticated requests. A cookie is an ambient credential: the
 * browser attaches it to requests other sites make. For unsafe methods the request must show
 * it comes from the service's own origin (`Sec-Fetch-Site: same-origin`) or from an origin the
 * service lists (`Origin`, exact match). Both headers are set by browsers and cannot be set by
 * a page's script; a client that is not a browser has no victim's cookies to abuse.
 * Nothing stateful (no double-submit token): it works with the SDK's cookies as they are.
 */
import type { RequestHeaders } from '../auth-types.js';
import { AuthError } from '../errors.js';
import type { TokenSource } from './token-source.js';

/** RFC 9110 §9.2.1 safe methods: they must not change state, so a forged one gains nothing. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

function single(value: string | readonly string[] | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * Null when the request may go on; else 403 `csrf_failed`. Decision, in order: a header token
 * → allowed (not ambient); a safe method → allowed; `Sec-Fetch-Site: same-origin` → allowed;
 * an `Origin` exactly in `allowedOrigins` → allowed; anything else (no `Origin`, `Origin:
 * null`, another origin, several `Origin` headers) → refused. Fails closed.
 */
export function csrfError(
  request: { readonly method: string; readonly headers: RequestHeaders },
  source: TokenSource,
  allowedOrigins: ReadonlySet<string>,
): AuthError | null {
  if (source !== 'cookie') return null;
  // Methods are case-sensitive (RFC 9110 §9.1): `get` is not GET, so it is not safe.
  if (SAFE_METHODS.has(request.method)) return null;
  if (single(request.headers['sec-fetch-site']) === 'same-origin') return null;
  const origin = single(request.headers['origin']);
  if (origin !== null && origin !== 'null' && allowedOrigins.has(origin)) return null;
  // The reason names what was missing, never the request's own Origin text.
  const reason =
    origin === null
      ? request.headers['origin'] === undefined
        ? 'no Origin header and not Sec-Fetch-Site: same-origin'
        : 'several Origin headers'
      : origin === 'null'
        ? 'Origin null (an opaque origin)'
        : 'Origin not in csrf.allowedOrigins';
  return new AuthError('csrf_failed', { reason: `unsafe method on a cookie-authenticated request: ${reason}` });
}
