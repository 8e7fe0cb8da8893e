import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';

/**
 * 403 `claim_missing` unless every name is a key of the session's custom claims (presence, as
 * in the Python library); else null.
 */
export function claimError(ctx: AuthContext, names: readonly string[]): AuthError | null {
  const missing = names.filter((n) => !Object.prototype.hasOwnProperty.call(ctx.customClaims, n));
  if (missing.length === 0) return null;
  return new AuthError('claim_missing', {
    message: `Missing required claims: ${missing.join(', ')}`,
    details: { required_claims: [...names], missing_claims: missing },
  });
}
