/**
 * The built-in guards, defined once for both frameworks: each entry validates its arguments
 * (when the route is defined) and returns the `Check` the adapter's bridge runs per request.
 * An adapter gets its whole set with one `bindGuards(bridge)`, so a new guard is one entry
 * here, and both adapters, the Fastify decorations and their types follow.
 */
import { assertDirectoryWired } from '../context/directory-wiring.js';
import { createPermissionCheck } from '../rbac/permissions.js';
import type { AsyncCheck, Check } from './check.js';
import { scopeError } from '../scope-check.js';
import { forAnyCaller, type AnyCallerCheck } from './any-caller.js';
import { claimError } from './claim-check.js';
import { entitlementError } from './entitlement-check.js';
import type { FactorGuardOptions } from './factor-age.js';
import { createFactorCheck } from './factor-check.js';
import { requiredName, requiredNames } from './required-names.js';
import { createRoleCheck, type RoleGuardOptions } from './role-check.js';
import { teamError } from './team-check.js';

// Entitlements and team come from the directory: on a context made by an `Auth` without
// MongoDB these checks throw the wiring error instead of refusing the customer.
function directoryCheck(guard: string, check: Check): Check {
  return (ctx) => {
    assertDirectoryWired(ctx, guard);
    return check(ctx);
  };
}

function roleOptions(options: RoleGuardOptions | undefined): RoleGuardOptions {
  return options?.hierarchy === undefined ? {} : { hierarchy: options.hierarchy };
}

/** Each guard's factory; `guard` is the guard's own name, for the errors of its arguments and wiring. */
export const guardChecks = {
  /** 403 `entitlement_missing` unless the caller's organization holds `name`. After `verifyAuth`. */
  requireEntitlement(guard: string, name: string): Check {
    const required = requiredName(guard, name);
    return directoryCheck(guard, (ctx) => entitlementError(ctx, required, 'one'));
  },
  /** 403 `entitlement_missing` unless the organization holds at least one of `names`. */
  requireAnyEntitlement(guard: string, names: string[]): Check {
    const required = requiredNames(guard, names);
    return directoryCheck(guard, (ctx) => entitlementError(ctx, required, 'any'));
  },
  /** 403 `entitlement_missing` unless the organization holds every one of `names`. */
  requireAllEntitlements(guard: string, names: string[]): Check {
    const required = requiredNames(guard, names);
    return directoryCheck(guard, (ctx) => entitlementError(ctx, required, 'all'));
  },
  /**
   * Step-up: 403 `factor_missing` unless every Stytch factor type (e.g. `totp`) was used in the
   * session; with `{ within: '10m' }`, 403 `factor_stale` unless each was authenticated within it.
   */
  requireFactors(guard: string, types: string[], options?: FactorGuardOptions): Check {
    return createFactorCheck(types, options, guard);
  },
  /** 403 `claim_missing` unless every name is a key of the session's custom claims. */
  requireClaims(guard: string, names: string[]): Check {
    const required = requiredNames(guard, names);
    return (ctx) => claimError(ctx, required);
  },
  /** 400 `team_required` unless the caller has a current team in its organization. Needs MongoDB. */
  requireTeam(guard: string): Check {
    return directoryCheck(guard, teamError);
  },
  /** 403 `role_missing` unless the session holds `role` (or, with a hierarchy, a higher role). */
  requireRole(guard: string, role: string, options?: RoleGuardOptions): Check {
    return createRoleCheck(requiredName(guard, role), { mode: 'one', ...roleOptions(options) });
  },
  /** 403 `role_missing` unless the session holds one of `roles` (or, with a hierarchy, a higher role). */
  requireAnyRole(guard: string, roles: string[], options?: RoleGuardOptions): Check {
    return createRoleCheck(requiredNames(guard, roles), { mode: 'any', ...roleOptions(options) });
  },
  /**
   * 403 `permission_missing` unless the session's roles grant `action` on `resource` in the
   * Stytch RBAC policy; 503 `rbac_unavailable` when no policy can be had. Needs the Stytch secret.
   * Waits (a promise) only before the process's first policy load.
   */
  requirePermission(guard: string, resource: string, action: string): AsyncCheck {
    return createPermissionCheck(resource, action, guard);
  },
  /** M2M: 403 `scope_missing` unless the machine holds every scope (`action:*` grants any resource); a member never passes. */
  requireScopes(guard: string, scopes: string[]): AnyCallerCheck {
    const required = requiredNames(guard, scopes);
    return forAnyCaller((ctx) => scopeError(ctx, required));
  },
} as const;

type GuardArguments<F> = F extends (guard: string, ...args: infer A) => AsyncCheck | AnyCallerCheck ? A : never;

/** The built-in guards as one framework makes them: `H` is its middleware or hook type. */
export type BuiltInGuards<H> = { [K in keyof typeof guardChecks]: (...args: GuardArguments<(typeof guardChecks)[K]>) => H };

/** The name of a built-in guard (`requireEntitlement`, …, `requireAnyRole`). */
export type BuiltInGuardName = keyof typeof guardChecks;

/**
 * Every built-in guard made through one adapter's bridge. The bridge receives the guard's
 * name for its wiring error (a guard mounted without `verifyAuth`).
 */
export function bindGuards<H>(bridge: (check: AsyncCheck | AnyCallerCheck, guard: string) => H): BuiltInGuards<H> {
  const guards: Record<string, (...args: never[]) => H> = {};
  for (const guard of Object.keys(guardChecks) as BuiltInGuardName[]) {
    const make = guardChecks[guard] as (guard: string, ...args: unknown[]) => AsyncCheck | AnyCallerCheck;
    guards[guard] = (...args: unknown[]) => bridge(make(guard, ...args), guard);
  }
  return Object.freeze(guards) as unknown as BuiltInGuards<H>;
}
