import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Identity } from '../auth-context.js';
import type { ResolvedOptions } from '../config/resolve-options.js';
import { AuthError } from '../errors.js';
import { tokenFingerprint } from '../logger.js';
import { isBearerTokenShaped, isJwtShaped, MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH } from './bearer.js';
import { identityFromClaims, identityFromSessionResponse } from './identity.js';
import { jwksStoreFor, type JwksStore } from './jwks-store.js';
import { RateBoundedLog } from './rate-bounded-log.js';
import { RejectedTokenCache, type RejectedTokenEntry } from './rejected-token-cache.js';
import { verifySessionJwt, type SessionJwtPolicy } from './session-jwt.js';
import { StytchSessionsClient, type AuthenticateResponse, type SessionCredential } from './stytch-sessions-client.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { logText } from '../log-messages.js';

/** The SHA-256 of the whole token: the key of its verification in flight and of Stytch's rejection. */
function tokenKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Stytch's opaque session tokens are 44 characters long. */
const STYTCH_OPAQUE_TOKEN_LENGTH = 44;
/** Generous room above it; a longer non-JWT is not a Stytch session token. */
const MAX_OPAQUE_TOKEN_LENGTH = 256;

export interface VerifiedToken {
  readonly identity: Identity;
  readonly refreshedSessionJwt: string | null;
}

/**
 * Token in, identity out. Session JWTs are verified locally; opaque tokens (and genuine but
 * expired JWTs, when a secret allows) are checked with Stytch. Verdicts are cached by token
 * hash — Stytch's rejections too, briefly — and concurrent verifications of one token share a
 * single piece of work.
 */
export class TokenVerifier {
  readonly jwks: JwksStore;
  readonly cache: VerifiedTokenCache;
  readonly rejected: RejectedTokenCache;
  /** Also the M2M verifier's: same project, issuers and leeway (issue 17). */
  readonly policy: SessionJwtPolicy;
  private readonly stytch: StytchSessionsClient | null;
  private readonly acceptOpaqueTokens: boolean;
  private readonly remoteTtlMs: number;
  private readonly maxTokenAgeMs: number | null;
  private readonly inflight = new Map<string, Promise<VerifiedToken>>();
  private readonly rejections: RateBoundedLog;

  constructor(options: ResolvedOptions, private readonly logger: Logger) {
    this.jwks = jwksStoreFor(options.jwks, options.jwks, logger);
    this.cache = new VerifiedTokenCache(options.tokenCache.max);
    this.policy = {
      projectId: options.stytch.projectId,
      issuers: options.stytch.issuers,
      clockToleranceSec: options.jwt.clockToleranceSec,
      maxTokenAgeSec: options.jwt.maxTokenAgeSec,
    };
    this.maxTokenAgeMs = options.jwt.maxTokenAgeSec === null ? null : options.jwt.maxTokenAgeSec * 1000;
    this.remoteTtlMs = options.remote.cacheTtlSec * 1000;
    this.rejected = new RejectedTokenCache(options.remote.negativeCacheTtlSec);
    this.acceptOpaqueTokens = options.remote.acceptOpaqueTokens;
    // Anyone can make Stytch reject a token: one INFO line per interval, each at DEBUG (by the caller).
    this.rejections = new RateBoundedLog({ logger, level: 'info', message: logText('stytchRejections'), countsField: 'byCode' });
    this.stytch =
      options.stytch.secret === null
        ? null
        : new StytchSessionsClient(
            {
              apiBaseUrl: options.stytch.apiBaseUrl,
              projectId: options.stytch.projectId,
              secret: options.stytch.secret,
              timeoutMs: options.remote.timeoutMs,
              retries: options.remote.retries,
              maxInFlight: options.remote.maxInFlight,
            },
            logger,
          );
  }

  verify(token: string): Promise<VerifiedToken> {
    const cached = this.cache.get(token);
    if (cached) return Promise.resolve({ identity: cached.identity, refreshedSessionJwt: null });
    return this.verifyUncachedShared(token);
  }

  /**
   * The identity already verified for this token, synchronously; undefined on a miss. With
   * `bearerShaped`, only for a token that had the shape of a header's bearer token.
   */
  cachedIdentity(token: string, bearerShaped = false): Identity | undefined {
    const entry = this.cache.get(token);
    if (entry === undefined || (bearerShaped && !entry.bearerShaped)) return undefined;
    return entry.identity;
  }

  /**
   * `verify` after a cache miss. `log`: the request's logger (a verification shared by
   * concurrent requests logs with the first one's).
   */
  verifyUncachedShared(token: string, log: Logger = this.logger): Promise<VerifiedToken> {
    // Work in flight and Stytch's rejections are keyed by the whole token's hash: a token that
    // shares a signature with another must never share its verdict.
    const key = tokenKey(token);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.verifyUncached(token, key, log).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Forgets the token's verdict, whichever it was: verified, or rejected by Stytch. */
  forget(token: string): void {
    this.cache.delete(token);
    this.rejected.delete(tokenKey(token));
  }

  private async verifyUncached(token: string, key: string, log: Logger): Promise<VerifiedToken> {
    const remembered = this.rejected.get(key);
    if (remembered !== undefined) {
      this.rejections.record(remembered.code, 'remembered');
      throw new AuthError(remembered.code, { reason: `${remembered.reason} (remembered, no call)` });
    }
    if (!isJwtShaped(token)) {
      if (!this.stytch) throw new AuthError('token_unsupported', { reason: 'an opaque token, and no stytch.secret to check it with' });
      if (!this.acceptOpaqueTokens) {
        throw new AuthError('token_unsupported', { reason: 'an opaque token, and remote.acceptOpaqueTokens is false' });
      }
      if (token.length > MAX_OPAQUE_TOKEN_LENGTH) {
        // Not a Stytch session token: it never costs a call to Stytch.
        throw new AuthError('session_invalid', { reason: `an opaque token of ${token.length} characters (Stytch's are ${STYTCH_OPAQUE_TOKEN_LENGTH})` });
      }
      return this.remote({ session_token: token }, key, token, log, 'session_invalid');
    }
    const verdict = await verifySessionJwt(token, this.jwks, this.policy);
    if (verdict.ok) {
      const identity = identityFromClaims(verdict.payload);
      let until = (verdict.payload.exp ?? 0) * 1000;
      if (this.maxTokenAgeMs !== null && typeof verdict.payload.iat === 'number') {
        until = Math.min(until, verdict.payload.iat * 1000 + this.maxTokenAgeMs);
      }
      // JWT-shaped means base64url segments and dots only, the bearer characters: no second scan.
      const bearerShaped = token.length >= MIN_TOKEN_LENGTH && token.length <= MAX_TOKEN_LENGTH;
      this.cache.set(token, { identity, bearerShaped }, until);
      return { identity, refreshedSessionJwt: null };
    }
    // Signed by Stytch for this project, merely expired: Stytch may still hold the session live.
    if (!this.stytch) throw new AuthError('token_expired', { reason: `the JWT ${verdict.reason}, and no stytch.secret to renew it with` });
    return this.remote({ session_jwt: token }, key, token, log, 'token_expired', verdict.reason);
  }

  /**
   * Asks Stytch. Its rejection answers `rejectedAs` (an expired JWT whose session is gone is
   * `token_expired`, an opaque token `session_invalid`) and is remembered under the same code;
   * a failure to get an answer (503) is never remembered.
   */
  private async remote(
    credential: SessionCredential,
    key: string,
    token: string,
    log: Logger,
    rejectedAs: RejectedTokenEntry['code'],
    expiredReason?: string,
  ): Promise<VerifiedToken> {
    const stytch = this.stytch as StytchSessionsClient;
    let body: AuthenticateResponse;
    try {
      body = await stytch.authenticate(credential, tokenFingerprint(token), log);
    } catch (error) {
      if (!(error instanceof AuthError) || error.code !== 'session_invalid') throw error;
      const reason = rejectedAs === 'token_expired' ? `the JWT ${expiredReason ?? 'has expired'} and its session is gone: ${error.reason ?? 'rejected by Stytch'}` : (error.reason ?? 'rejected by Stytch');
      this.rejected.set(key, { code: rejectedAs, reason });
      this.rejections.record(rejectedAs);
      throw new AuthError(rejectedAs, { reason, cause: error });
    }
    const identity = identityFromSessionResponse(body);
    const expiresAt = identity.sessionExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
    this.cache.set(token, { identity, bearerShaped: isBearerTokenShaped(token) }, Math.min(Date.now() + this.remoteTtlMs, expiresAt));
    const refreshed = 'session_jwt' in credential && typeof body.session_jwt === 'string' && body.session_jwt !== '' ? body.session_jwt : null;
    return { identity, refreshedSessionJwt: refreshed };
  }
}
