/**
 * Checks that see machines too. A plain `Check` is written for members (`AuthContext`), so the
 * adapters' bridges refuse an M2M caller with 403 `member_required` before running it: every
 * built-in session guard, and every rule a service wrote before M2M tokens existed, stays
 * closed to machines without a change. A check that wants machines says so with `forAnyCaller`.
 */
import type { AnyAuthContext } from '../auth-context-union.js';
import type { AuthError } from '../errors.js';

declare const ANY_CALLER: unique symbol;

/**
 * A check over both kinds of caller (`ctx.kind` narrows), made by `forAnyCaller`. The brand
 * keeps a plain function over `AnyAuthContext` from being mounted by mistake as a member check.
 */
export type AnyCallerCheck = ((ctx: AnyAuthContext) => AuthError | null) & { readonly [ANY_CALLER]: true };

const anyCallerChecks = new WeakSet<object>();

/**
 * Marks `check` as one that sees M2M callers too (their scopes, `kind`), for `toMiddleware` /
 * `toHook`. Returns the same function.
 *
 * @example
 * const readers = forAnyCaller((ctx) => (ctx.kind === 'm2m' ? scopeError(ctx, ['read:users']) : roleError(ctx, ['admin'])));
 */
export function forAnyCaller(check: (ctx: AnyAuthContext) => AuthError | null): AnyCallerCheck {
  if (typeof check !== 'function') throw new TypeError('ayz-auth: forAnyCaller expects a function (ctx) => AuthError | null');
  anyCallerChecks.add(check);
  return check as AnyCallerCheck;
}

/** Whether a mounted check was made by `forAnyCaller` (at run time: the brand is only a type). */
export function isAnyCallerCheck(check: object): check is AnyCallerCheck {
  return anyCallerChecks.has(check);
}
