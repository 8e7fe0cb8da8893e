/**
 * Checks for routes that accept M2M tokens: the scopes of a machine, and the rule that a
 * session-only check (entitlements, roles, factors, teams, tenancy) never lets a machine past.
 */
import type { AnyAuthContext, MemberAuthContext } from './auth-context-union.js';
import { AuthError } from './errors.js';

/** `action:resource` → [action, resource]; a bare `action` has the resource `-`, as in Stytch's SDK. */
function split(scope: string): readonly [string, string] {
  const colon = scope.indexOf(':');
  return colon === -1 ? [scope, '-'] : [scope.slice(0, colon), scope.slice(colon + 1)];
}

/**
 * Whether `granted` satisfies every scope of `required`, with the semantics of Stytch's M2M
 * scope check: a required `action:resource` is met by the same scope, or by `action:*`. (The
 * resource is everything after the first colon: `read:users:all` is not `read:users`.)
 */
export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
  const byAction = new Map<string, Set<string>>();
  for (const scope of granted) {
    const [action, resource] = split(scope);
    let resources = byAction.get(action);
    if (resources === undefined) byAction.set(action, (resources = new Set()));
    resources.add(resource);
  }
  return required.every((scope) => {
    const [action, resource] = split(scope);
    const resources = byAction.get(action);
    return resources !== undefined && (resources.has('*') || resources.has(resource));
  });
}

/**
 * 403 `scope_missing` unless the context is a machine holding every required scope; null when
 * it passes. A member session has no scopes, so it never passes: a route open to both kinds
 * checks members another way (`ctx.kind === 'member' ? roleCheck : scopeError`).
 */
export function scopeError(context: AnyAuthContext, required: readonly string[]): AuthError | null {
  if (context.kind === 'm2m' && hasScopes(context.scopes, required)) return null;
  return new AuthError('scope_missing', {
    details: { required_scopes: [...required] },
    reason: context.kind === 'm2m' ? 'the M2M client lacks a required scope' : 'a member session has no M2M scopes',
  });
}

/**
 * The rule for every session-only check: a machine is refused with 403 `member_required`
 * before the check looks at member fields it does not have. Null for a member.
 */
export function memberRequiredError(context: AnyAuthContext): AuthError | null {
  return context.kind === 'member' ? null : new AuthError('member_required', { reason: 'an M2M client on a session-only check' });
}

/** The member context, or the 403 `member_required` of a machine: for checks written as functions of a member. */
export function requireMember(context: AnyAuthContext): MemberAuthContext {
  if (context.kind !== 'member') throw new AuthError('member_required', { reason: 'an M2M client on a session-only check' });
  return context;
}
