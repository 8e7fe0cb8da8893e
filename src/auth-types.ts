import type { Logger } from 'pino';
import type { AuthContext } from './auth-context.js';

export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What one authentication yields beyond the context. */
export interface AuthResult {
  readonly context: AuthContext;
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

export interface Auth {
  /** Verify a bearer token and build its context. Throws `AuthError`. */
  authenticate(token: string): Promise<AuthContext>;
  /** Read the `Authorization` header, verify it and build the context. Throws `AuthError`. */
  authenticateRequest(headers: RequestHeaders): Promise<AuthContext>;
  /** As `authenticateRequest`, plus a refreshed session JWT when there is one. */
  authenticateRequestWithResult(headers: RequestHeaders): Promise<AuthResult>;
  /** Forget cached lookups after a service changed a user's team or an org's plan. */
  invalidate(target: InvalidateTarget): void;
  /** The library's logger (a pino child), for adapters that need one. */
  readonly logger: Logger;
  /** Closes what `createAuth` opened (its own MongoClient); leaves a caller's `Db` alone. */
  close(): Promise<void>;
}
