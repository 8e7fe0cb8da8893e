import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';

/** Step-up: every Stytch factor type (e.g. `totp`) must be among the session's factors. */
export function factorError(ctx: AuthContext, types: readonly string[]): AuthError | null {
  const missing = types.filter((t) => !ctx.authenticationFactors.includes(t));
  if (missing.length === 0) return null;
  return new AuthError('factor_missing', {
    message: `Missing required authentication factors: ${missing.join(', ')}`,
    details: { required_factors: [...types], missing_factors: missing },
  });
}
