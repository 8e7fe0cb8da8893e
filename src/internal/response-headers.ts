import type { AuthError } from '../errors.js';

/** Response header carrying a renewed session JWT (an expired JWT of a live session). */
export const REFRESHED_SESSION_JWT_HEADER = 'Stytch-Session-Jwt' as const;

const EXPOSE = 'Access-Control-Expose-Headers';

/**
 * The headers that hand a renewed session JWT back: the JWT, `Cache-Control: no-store` (a
 * response carrying a session credential must not be stored by any cache on the way), and
 * the JWT's header added to `Access-Control-Expose-Headers` unless already listed, so a
 * browser client can read it. `exposed` is that header's current value on the response.
 */
export function refreshedSessionJwtHeaders(jwt: string, exposed: unknown): Record<string, string> {
  const headers: Record<string, string> = { [REFRESHED_SESSION_JWT_HEADER]: jwt, 'Cache-Control': 'no-store' };
  if (exposed === undefined || exposed === '') {
    headers[EXPOSE] = REFRESHED_SESSION_JWT_HEADER;
    return headers;
  }
  const list = Array.isArray(exposed) ? exposed.join(', ') : String(exposed);
  const wanted = REFRESHED_SESSION_JWT_HEADER.toLowerCase();
  if (!list.split(',').some((h) => h.trim().toLowerCase() === wanted)) headers[EXPOSE] = `${list}, ${REFRESHED_SESSION_JWT_HEADER}`;
  return headers;
}

/** The body (and its type) of an error response, as the service wants it. */
export interface AuthErrorResponse {
  body: unknown;
  /** Default `application/json; charset=utf-8`. A string body is sent as is, anything else as JSON. */
  contentType?: string;
}

/**
 * Builds the error responses of `verifyAuth` and of every guard after it (e.g. problem+json
 * with a request id). Status, `WWW-Authenticate`, `Retry-After` and `Cache-Control: no-store`
 * stay the library's. `R` is the framework's request.
 */
export type ErrorResponseBuilderFor<R> = (error: AuthError, request: R) => AuthErrorResponse;

/** A refusal ready to send: every header (the error's own, `Cache-Control`, the type) and the body. */
export interface Refusal {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly payload: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * An `AuthError` as a response: its status and headers, `Cache-Control: no-store`, and the
 * body (JSON `{ error, message, … }`, or what the service's builder makes). Throws only when
 * the service's builder throws.
 */
export function refusalOf<R>(error: AuthError, request: R, build: ErrorResponseBuilderFor<R> | undefined): Refusal {
  let payload: string;
  let contentType = JSON_TYPE;
  if (build === undefined) {
    payload = JSON.stringify(error.body);
  } else {
    const built = build(error, request);
    payload = typeof built.body === 'string' ? built.body : JSON.stringify(built.body);
    if (built.contentType !== undefined) contentType = built.contentType;
  }
  return { status: error.status, headers: { ...error.headers, 'Content-Type': contentType, 'Cache-Control': 'no-store' }, payload };
}
