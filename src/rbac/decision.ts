/**
 * The permission decision, with Stytch's semantics (its backend SDK's local authorization
 * check): a member may perform `action` on `resource` when at least one of the session's roles
 * is a role of the policy (the project's roles, plus the organization's custom roles when there
 * are any) holding a permission whose `resource_id` equals `resource` exactly and whose
 * `actions` include `action` or the wildcard `*`. Nothing else grants: no resource wildcard, no
 * prefix match, no role hierarchy, no case folding; a session role the policy does not define
 * grants nothing; an unknown resource or action is simply not granted.
 *
 * The policy is compiled once per fetch into maps, so a decision is a few map lookups on the
 * request path instead of a walk over every role and permission.
 */
import type { RbacPolicy, RbacRole } from './policy.js';

export const WILDCARD_ACTION = '*';

interface ResourceGrants {
  /** Roles granting each named action, in policy order. */
  readonly byAction: Map<string, string[]>;
  /** Roles granting `*` on the resource, in policy order. */
  readonly wildcard: string[];
}

/** A policy ready for decisions. Immutable once built. */
export interface PermissionIndex {
  /** Whether any of `roles` may perform `action` on `resource`. */
  isAuthorized(roles: readonly string[], resource: string, action: string): boolean;
  /** Every role of the policy that grants `action` on `resource` (policy order, no duplicates). */
  grantingRoles(resource: string, action: string): readonly string[];
  /** Whether the policy declares `resource` (to warn about a guard that names a typo). */
  hasResource(resource: string): boolean;
  /** The policy's roles, project roles first: what the index was built from. */
  readonly roles: readonly RbacRole[];
}

function addRole(index: Map<string, ResourceGrants>, roleId: string, resource: string, actions: readonly string[]): void {
  let grants = index.get(resource);
  if (grants === undefined) {
    grants = { byAction: new Map(), wildcard: [] };
    index.set(resource, grants);
  }
  for (const action of actions) {
    const list = action === WILDCARD_ACTION ? grants.wildcard : (grants.byAction.get(action) ?? []);
    if (!list.includes(roleId)) list.push(roleId);
    if (action !== WILDCARD_ACTION && !grants.byAction.has(action)) grants.byAction.set(action, list);
  }
}

/**
 * Compiles the roles of a project policy and, when given, an organization's custom roles (which
 * Stytch adds to the project's, so a role id defined in both grants the union).
 */
export function buildPermissionIndex(policy: Pick<RbacPolicy, 'roles'> & Partial<Pick<RbacPolicy, 'resources'>>, orgRoles: readonly RbacRole[] = []): PermissionIndex {
  const roles = orgRoles.length === 0 ? policy.roles : [...policy.roles, ...orgRoles];
  const index = new Map<string, ResourceGrants>();
  for (const role of roles) {
    for (const permission of role.permissions) addRole(index, role.role_id, permission.resource_id, permission.actions);
  }
  const declared = new Set((policy.resources ?? []).map((r) => r.resource_id));
  for (const resource of index.keys()) declared.add(resource);
  const cache = new Map<string, readonly string[]>();

  const grantingRoles = (resource: string, action: string): readonly string[] => {
    const key = `${resource}\u0000${action}`;
    let roles = cache.get(key);
    if (roles === undefined) {
      const grants = index.get(resource);
      const named = grants?.byAction.get(action) ?? [];
      const all = grants === undefined ? [] : [...named, ...grants.wildcard.filter((r) => !named.includes(r))];
      roles = Object.freeze(all);
      // Bounded: keys come from guards defined in code, but hasPermission may be called with anything.
      if (cache.size < 10_000) cache.set(key, roles);
    }
    return roles;
  };

  return Object.freeze({
    roles,
    isAuthorized(held: readonly string[], resource: string, action: string): boolean {
      if (held.length === 0) return false;
      const granting = grantingRoles(resource, action);
      for (const role of held) if (granting.includes(role)) return true;
      return false;
    },
    grantingRoles,
    hasResource: (resource: string) => declared.has(resource),
  });
}

/**
 * The decision on a raw policy, for one-off use (tests, scripts). The request path uses a
 * `PermissionIndex` built once per policy fetch.
 */
export function isAuthorized(
  policy: Pick<RbacPolicy, 'roles'>,
  roles: readonly string[],
  resource: string,
  action: string,
  orgRoles: readonly RbacRole[] = [],
): boolean {
  return buildPermissionIndex(policy, orgRoles).isAuthorized(roles, resource, action);
}
