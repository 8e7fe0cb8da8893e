import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AuthError } from '../errors.js';
import type { JwksStore } from './jwks-store.js';

export interface SessionJwtPolicy {
  readonly projectId: string;
  readonly issuers: readonly string[];
  readonly clockToleranceSec: number;
  readonly maxTokenAgeSec: number | null;
}

export type SessionJwtVerdict =
  | { readonly ok: true; readonly payload: JWTPayload }
  /** Genuinely signed and addressed to us, only past `exp`: may be renewed through Stytch. */
  | { readonly ok: false; readonly expired: true; readonly payload: JWTPayload };

function claimError(error: InstanceType<typeof joseErrors.JWTClaimValidationFailed>): AuthError {
  // Only a well-formed `nbf` in the future is "not yet valid"; a malformed one is just invalid.
  if (error.claim === 'nbf' && error.reason === 'check_failed') return new AuthError('token_not_yet_valid', { cause: error });
  if (error.claim === 'iat' && error.reason === 'check_failed') return new AuthError('token_too_old', { cause: error });
  return new AuthError('token_invalid', { cause: error });
}

/**
 * Verify a Stytch session JWT locally: RS256 only, `typ: JWT`, our project as audience, one of
 * our issuers, `exp`/`nbf` with the configured leeway. jose checks the signature before any
 * claim, so an `expired` verdict is only ever given for a token Stytch really signed for us.
 */
export async function verifySessionJwt(token: string, store: JwksStore, policy: SessionJwtPolicy): Promise<SessionJwtVerdict> {
  try {
    const { payload } = await jwtVerify(token, store.getKey, {
      algorithms: ['RS256'],
      typ: 'JWT',
      audience: policy.projectId,
      issuer: policy.issuers as string[],
      clockTolerance: policy.clockToleranceSec,
      requiredClaims: ['sub', 'exp'],
      ...(policy.maxTokenAgeSec !== null ? { maxTokenAge: policy.maxTokenAgeSec } : {}),
    });
    return { ok: true, payload };
  } catch (error) {
    if (error instanceof AuthError) throw error;
    if (error instanceof joseErrors.JWTExpired) {
      // jose reports a `maxTokenAge` breach as an expiry of `iat`: that is not renewable.
      if (error.claim === 'iat') throw new AuthError('token_too_old', { cause: error });
      return { ok: false, expired: true, payload: error.payload };
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) throw claimError(error);
    // Bad signature, disallowed alg, malformed segments, unknown key: all the same to a client.
    throw new AuthError('token_invalid', { cause: error });
  }
}
