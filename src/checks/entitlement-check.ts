import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';
import type { CheckMode } from './check.js';

/**
 * True when the caller's organization holds the entitlement.
 *
 * @example
 * if (hasEntitlement(getAuth(req), 'reports')) showReports();
 */
export function hasEntitlement(ctx: AuthContext, name: string): boolean {
  return ctx.entitlements !== null && ctx.entitlements.includes(name);
}

/** The check itself, allocating nothing (it runs on every request of a guarded route). */
function holds(held: readonly string[] | null, names: readonly string[], mode: CheckMode): boolean {
  if (held === null || names.length === 0) return false;
  const any = mode === 'any';
  for (const name of names) {
    const has = held.includes(name);
    if (any && has) return true;
    if (!any && !has) return false;
  }
  return !any;
}

/**
 * The 403 for a missing entitlement, or null when the context holds what is required. The
 * body carries the fields clients of the Python library read: `required_entitlement(s)`,
 * `missing_entitlements`, `current_tier`, `upgrade_required`.
 */
export function entitlementError(ctx: AuthContext, names: readonly string[], mode: CheckMode): AuthError | null {
  if (holds(ctx.entitlements, names, mode)) return null;
  const held = ctx.entitlements ?? [];
  const missing = names.filter((n) => !held.includes(n));
  const satisfied =
    ctx.entitlements !== null && (mode === 'any' ? missing.length < names.length : missing.length === 0) && names.length > 0;
  if (satisfied) return null;
  const message =
    ctx.entitlements === null
      ? 'Entitlements are not available for this organization'
      : mode === 'one'
        ? `This feature requires the '${names[0] ?? ''}' entitlement`
        : mode === 'any'
          ? `This feature requires one of: ${names.join(', ')}`
          : `This feature requires all of: ${names.join(', ')}`;
  return new AuthError('entitlement_missing', {
    message,
    details: {
      ...(mode === 'one' ? { required_entitlement: names[0] ?? '' } : { required_entitlements: [...names] }),
      missing_entitlements: missing,
      current_tier: ctx.subscriptionTier,
      upgrade_required: true,
    },
  });
}
