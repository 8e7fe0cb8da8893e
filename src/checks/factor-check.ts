import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';
import type { Check } from './check.js';
import { requiredNames } from './required-names.js';
import { factorAgeError, parseFactorWindow, type FactorGuardOptions } from './factor-age.js';

/**
 * Step-up: every Stytch factor type (e.g. `totp`) must be among the session's factors (else 403
 * `factor_missing`) and, with `options.within`, authenticated within that window (else 403
 * `factor_stale`, see `./factor-age.ts`). Route guards use `createFactorCheck`, which parses
 * `within` once.
 */
export function factorError(ctx: AuthContext, types: readonly string[], options?: FactorGuardOptions): AuthError | null {
  const missing = types.filter((t) => !ctx.authenticationFactors.includes(t));
  if (missing.length === 0) {
    return options?.within === undefined ? null : factorAgeError(ctx, types, parseFactorWindow('factorError', options.within));
  }
  return new AuthError('factor_missing', {
    message: `Missing required authentication factors: ${missing.join(', ')}`,
    details: { required_factors: [...types], missing_factors: missing },
  });
}

/**
 * The step-up check, its arguments validated once (here): 403 `factor_missing` when a factor
 * was not used in the session at all, else (with `within`) 403 `factor_stale` when one was used
 * too long ago. What `requireFactors` of both adapters runs; usable in a service's own guard.
 *
 * @example
 * const recentTotp = createFactorCheck(['totp'], { within: '10m' });
 * app.post('/payouts', verifyAuth(auth), toMiddleware(recentTotp, 'recentTotp'), handler);
 */
export function createFactorCheck(types: string[], options?: FactorGuardOptions, what = 'createFactorCheck'): Check {
  const required = requiredNames(what, types);
  // A misspelt option (`{ whithin: '10m' }`) would silently turn the step-up off: refuse it.
  if (options !== undefined && (typeof options !== 'object' || options === null || Object.keys(options).some((k) => k !== 'within'))) {
    throw new TypeError(`ayz-auth: ${what} expects its options as { within: '10m' }`);
  }
  const within = options?.within;
  if (within === undefined) return (ctx) => factorError(ctx, required);
  const withinSec = parseFactorWindow(what, within);
  return (ctx) => factorError(ctx, required) ?? factorAgeError(ctx, required, withinSec);
}
