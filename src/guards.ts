import type { AuthContext } from './auth-context.js';
import { assertDirectoryWired } from './context/directory-wiring.js';
import { AuthError } from './errors.js';
import { teamError } from './tenancy/team-check.js';

export type EntitlementMode = 'one' | 'any' | 'all';

export function hasEntitlement(ctx: AuthContext, name: string): boolean {
  return ctx.entitlements !== null && ctx.entitlements.includes(name);
}

/**
 * The 403 for a missing entitlement, or null when the context holds what is required. The
 * body carries the fields clients of the Python library read: `required_entitlement(s)`,
 * `missing_entitlements`, `current_tier`, `upgrade_required`.
 */
export function entitlementError(ctx: AuthContext, names: readonly string[], mode: EntitlementMode): AuthError | null {
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

/** Step-up: every Stytch factor type (e.g. `totp`) must be among the session's factors. */
export function factorError(ctx: AuthContext, types: readonly string[]): AuthError | null {
  const missing = types.filter((t) => !ctx.authenticationFactors.includes(t));
  if (missing.length === 0) return null;
  return new AuthError('factor_missing', {
    message: `Missing required authentication factors: ${missing.join(', ')}`,
    details: { required_factors: [...types], missing_factors: missing },
  });
}

/** Every name must be a key of the session's custom claims (presence, as in the Python library). */
export function claimError(ctx: AuthContext, names: readonly string[]): AuthError | null {
  const missing = names.filter((n) => !Object.prototype.hasOwnProperty.call(ctx.customClaims, n));
  if (missing.length === 0) return null;
  return new AuthError('claim_missing', {
    message: `Missing required claims: ${missing.join(', ')}`,
    details: { required_claims: [...names], missing_claims: missing },
  });
}

/**
 * A route guard's decision: the refusal, or null to let the request through. A check may throw
 * a plain `Error` for a wiring mistake of the service (e.g. an entitlement guard on an `Auth`
 * without MongoDB); the adapters hand it to the framework's error handler.
 */
export type GuardCheck = (ctx: AuthContext) => AuthError | null;

/** Guard arguments are checked once, when the route is defined, never per request. */
function nameList(fn: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`ayz-auth: ${fn} expects a non-empty array of non-empty strings`);
  }
  return Object.freeze([...(value as string[])]);
}

function oneName(fn: string, value: unknown): readonly string[] {
  if (typeof value !== 'string' || value === '') throw new TypeError(`ayz-auth: ${fn} expects a non-empty string`);
  return Object.freeze([value]);
}

/**
 * The checks behind the adapters' `requireEntitlement` & co., so both frameworks share one
 * definition of each guard (and their argument errors). `fn` names the guard in those errors.
 * The entitlement and team checks need the directory: on a context made by an `Auth` without
 * MongoDB they throw the wiring error instead of refusing the customer.
 */
export const guardChecks = {
  entitlement(fn: string, name: string): GuardCheck {
    const required = oneName(fn, name);
    return (ctx) => {
      assertDirectoryWired(ctx, fn);
      return entitlementError(ctx, required, 'one');
    };
  },
  anyEntitlement(fn: string, names: string[]): GuardCheck {
    const required = nameList(fn, names);
    return (ctx) => {
      assertDirectoryWired(ctx, fn);
      return entitlementError(ctx, required, 'any');
    };
  },
  allEntitlements(fn: string, names: string[]): GuardCheck {
    const required = nameList(fn, names);
    return (ctx) => {
      assertDirectoryWired(ctx, fn);
      return entitlementError(ctx, required, 'all');
    };
  },
  team(fn: string): GuardCheck {
    return (ctx) => {
      assertDirectoryWired(ctx, fn);
      return teamError(ctx);
    };
  },
  factors(fn: string, types: string[]): GuardCheck {
    const required = nameList(fn, types);
    return (ctx) => factorError(ctx, required);
  },
  claims(fn: string, names: string[]): GuardCheck {
    const required = nameList(fn, names);
    return (ctx) => claimError(ctx, required);
  },
} as const;
