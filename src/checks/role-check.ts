/**
 * Role checks over the Stytch session's roles (`ctx.roles`), with an optional ordered
 * hierarchy in which a higher role satisfies every role below it.
 */
import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';
import type { Check, CheckMode } from './check.js';
import { requiredNames } from './required-names.js';

/** Options of the role guards (`requireRole`, `requireAnyRole`) and of `hasRole`. */
export interface RoleGuardOptions {
  /**
   * Roles from highest to lowest, e.g. `['owner', 'admin', 'member', 'viewer']`: holding a role
   * satisfies it and every role after it. Roles not listed are matched exactly.
   */
  hierarchy?: readonly string[];
}

export interface RoleCheckOptions extends RoleGuardOptions {
  /** Default `any` (with one role, `one` and `any` are the same). */
  mode?: CheckMode;
}

/**
 * For each required role, the set of held roles that satisfy it: itself, plus every role
 * above it in the hierarchy.
 */
function satisfiers(required: readonly string[], hierarchy: readonly string[] | undefined): ReadonlyMap<string, ReadonlySet<string>> {
  const map = new Map<string, ReadonlySet<string>>();
  for (const role of required) {
    const rank = hierarchy ? hierarchy.indexOf(role) : -1;
    map.set(role, new Set(rank < 0 ? [role] : hierarchy!.slice(0, rank + 1)));
  }
  return map;
}

/**
 * Validates once and returns the check the adapters run per request (no allocation unless it
 * refuses).
 *
 * @example
 * const editors = createRoleCheck(['editor'], { hierarchy: ['owner', 'admin', 'editor', 'viewer'] });
 * app.post('/articles', verifyAuth(auth), toMiddleware(editors), handler);
 */
export function createRoleCheck(roles: readonly string[], options: RoleCheckOptions = {}): Check {
  const required = requiredNames('createRoleCheck (the required roles)', roles);
  const mode = options.mode ?? 'any';
  if (mode !== 'one' && mode !== 'any' && mode !== 'all') throw new TypeError("ayz-auth: role mode must be 'one', 'any' or 'all'");
  let hierarchy: readonly string[] | undefined;
  if (options.hierarchy !== undefined) {
    hierarchy = requiredNames('the role hierarchy', options.hierarchy);
    if (new Set(hierarchy).size !== hierarchy.length) throw new TypeError('ayz-auth: the role hierarchy lists a role twice');
  }
  const accepted = satisfiers(required, hierarchy);
  const held = (ctx: AuthContext, role: string): boolean => {
    const ok = accepted.get(role)!;
    for (const r of ctx.roles) if (ok.has(r)) return true;
    return false;
  };
  const message =
    mode === 'all'
      ? `This action requires all of the roles: ${required.join(', ')}`
      : required.length === 1
        ? `This action requires the '${required[0]}' role${hierarchy && hierarchy.includes(required[0]!) ? ' or a higher one' : ''}`
        : `This action requires one of the roles: ${required.join(', ')}`;
  return (ctx) => {
    const satisfied = mode === 'all' ? required.every((r) => held(ctx, r)) : required.some((r) => held(ctx, r));
    if (satisfied) return null;
    return new AuthError('role_missing', {
      message,
      details: { required_roles: required, current_roles: [...ctx.roles] },
    });
  };
}

/**
 * 403 `role_missing` (body: `required_roles`, `current_roles`) unless the session's roles
 * satisfy `roles` under `mode` (default `any`) and the optional hierarchy; else null.
 */
export function roleError(ctx: AuthContext, roles: readonly string[], options: RoleCheckOptions = {}): AuthError | null {
  return createRoleCheck(roles, options)(ctx);
}

/** True when the session holds `role`, or a higher one of `hierarchy`. */
export function hasRole(ctx: AuthContext, role: string, options: RoleGuardOptions = {}): boolean {
  return roleError(ctx, [role], options) === null;
}
