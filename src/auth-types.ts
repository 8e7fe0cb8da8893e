import type { Logger } from 'pino';
import type { AuthContext } from './auth-context.js';
import type { AnyAuthContext } from './auth-context-union.js';
import type { AcceptedTokenKind } from './token/m2m-token.js';

export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What one authentication yields beyond the context. */
export interface AuthResult {
  /** A member (`kind: 'member'`), or a machine (`kind: 'm2m'`) when M2M tokens are accepted. */
  readonly context: AnyAuthContext;
  /**
   * A fresh session JWT when an expired (but genuinely signed) JWT was renewed through Stytch;
   * otherwise null. Adapters send it back in the `Stytch-Session-Jwt` response header.
   */
  readonly refreshedSessionJwt: string | null;
}

/** What `invalidate` drops from the caches. */
export interface InvalidateTarget {
  /** Drop the cached organization lookups of this Stytch organization id. */
  stytchOrgId?: string;
  /** Drop the cached user lookups (and cached teams) of this Stytch member id. */
  memberId?: string;
  /** Drop this one verified token. */
  token?: string;
}

/** Per-call options of `authenticateRequest*`. */
export interface AuthenticateRequestOptions {
  /**
   * The framework's id of this request (Fastify's `request.id`, pino-http's `req.id`): every
   * library log line written for it carries it as `reqId`.
   */
  requestId?: string | number;
  /**
   * The request's method, for the CSRF defence of cookie-authenticated requests (unsafe
   * methods need a same-origin or allowed `Origin`). Absent: treated as unsafe (fails closed).
   */
  method?: string;
  /** Token kinds this route accepts; default the `Auth`'s `accept` (itself default `['session']`). */
  accept?: readonly AcceptedTokenKind[];
}

export interface Auth {
  /** Verify a bearer token and build its context. Throws `AuthError`. */
  authenticate(token: string): Promise<AuthContext>;
  /**
   * Read the `Authorization` header (or the session cookies, with `tokenFrom`), verify it and
   * build the member context. Throws `AuthError`; an M2M token is 401 `token_invalid` here (a
   * machine has no member context): use `authenticateRequestWithResult` for routes accepting M2M.
   */
  authenticateRequest(headers: RequestHeaders, options?: AuthenticateRequestOptions): Promise<AuthContext>;
  /** As `authenticateRequest`, plus a refreshed session JWT when there is one; the context may be a machine (`accept`). */
  authenticateRequestWithResult(headers: RequestHeaders, options?: AuthenticateRequestOptions): Promise<AuthResult>;
  /** Forget cached lookups after a service changed a user's team or an org's plan. */
  invalidate(target: InvalidateTarget): void;
  /** The library's logger (a pino child), for adapters that need one. */
  readonly logger: Logger;
  /**
   * Readiness, for probes: resolves once the signing keys are loaded and MongoDB (when
   * configured) answers a ping; rejects with the `AuthError` a request would get otherwise
   * (`jwks_unavailable`, `context_unavailable`). Bounded by the configured timeouts (JWKS
   * fetch, MongoDB server selection), and at once while a MongoDB reconnect is backing off.
   */
  ready(): Promise<void>;
  /**
   * Resolves once no database work of this `Auth` is pending: background writes such as
   * provisioning's `last_login_at`, and the lookups and team write-backs of requests in
   * flight. For tests and graceful shutdowns, instead of waiting an arbitrary delay.
   */
  idle(): Promise<void>;
  /**
   * Stops accepting requests, waits (bounded) for the database work in flight (see `idle`),
   * then closes what `createAuth` opened (its own MongoClient); a caller's `Db` is left alone.
   * Afterwards every method rejects with a plain `Error` saying the `Auth` is closed: using it
   * is a programming error, not an outage.
   */
  close(): Promise<void>;
}
