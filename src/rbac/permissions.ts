/**
 * Permission checks on an `AuthContext`. A context made by an `Auth` that has the Stytch
 * secret leads (through its origin, see ContextOrigin, invisible on the frozen context) to that
 * Auth's policy store, so `hasPermission(ctx, resource, action)` needs nothing else and makes
 * no network call once the policy is loaded.
 */
import type { AuthContext } from '../auth-context.js';
import type { AsyncCheck } from '../checks/check.js';
import { originOf } from '../context/context-origin.js';
import { AuthError } from '../errors.js';
import type { PermissionIndex } from './decision.js';
import type { RbacPolicyStore } from './policy-store.js';

/** A context not made by an Auth with the secret is the service's wiring error, not a refusal. */
function storeOf(ctx: AuthContext, fn: string): RbacPolicyStore {
  const store = originOf(ctx)?.policy;
  if (store == null) {
    throw new Error(
      `ayz-auth: ${fn} needs a context made by an Auth that has the Stytch secret (stytch.secret / STYTCH_SECRET), which reads the RBAC policy`,
    );
  }
  return store;
}

function indexNow(ctx: AuthContext, store: RbacPolicyStore): PermissionIndex {
  const index = store.current(ctx.stytchOrgId);
  if (index !== null) return index;
  // Start the fetch a later call can use; this one cannot wait (it is synchronous).
  store.load(ctx.stytchOrgId).catch(() => undefined);
  throw store.unavailable(ctx.stytchOrgId);
}

function refusal(index: PermissionIndex, resource: string, action: string): AuthError {
  return new AuthError('permission_missing', {
    details: {
      required_permission: { resource, action },
      granting_roles: [...index.grantingRoles(resource, action)],
    },
  });
}

function decide(ctx: AuthContext, store: RbacPolicyStore, index: PermissionIndex, resource: string, action: string): AuthError | null {
  if (index.isAuthorized(ctx.roles, resource, action)) return null;
  store.noteUnknownResource(index, resource);
  return refusal(index, resource, action);
}

/**
 * Whether the session's roles grant `action` on `resource` under the project's Stytch RBAC
 * policy (Stytch's semantics: exact resource, the action or `*`). Synchronous: throws the 503
 * `rbac_unavailable` `AuthError` while no usable policy is loaded (the first call starts the
 * load), and a plain `Error` for a context not made by an Auth with the Stytch secret.
 */
export function hasPermission(ctx: AuthContext, resource: string, action: string): boolean {
  const store = storeOf(ctx, 'hasPermission');
  return indexNow(ctx, store).isAuthorized(ctx.roles, resource, action);
}

/**
 * 403 `permission_missing` (body: `required_permission: { resource, action }` and
 * `granting_roles`, the roles of the policy that would grant it), or null when granted.
 * Synchronous, like `hasPermission`, with the same 503 and wiring error.
 */
export function permissionError(ctx: AuthContext, resource: string, action: string): AuthError | null {
  const store = storeOf(ctx, 'permissionError');
  return decide(ctx, store, indexNow(ctx, store), resource, action);
}

/**
 * What a route guard runs: the decision at once when the policy is loaded (no promise, no
 * microtask), else a promise that waits for the first load (shared by every waiting request)
 * and rejects with 503 `rbac_unavailable` when Stytch cannot give one.
 */
export type PermissionCheck = AsyncCheck;

function nonEmpty(fn: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`ayz-auth: ${fn} expects the ${what} as a non-empty string`);
  return value;
}

/** Checks the arguments once, when the route is defined; `fn` names the guard in their errors. */
export function createPermissionCheck(resource: string, action: string, fn = 'requirePermission'): PermissionCheck {
  const res = nonEmpty(fn, 'resource', resource);
  const act = nonEmpty(fn, 'action', action);
  return (ctx) => {
    const store = storeOf(ctx, fn);
    const index = store.current(ctx.stytchOrgId);
    if (index !== null) return decide(ctx, store, index, res, act);
    return store.load(ctx.stytchOrgId).then((loaded) => decide(ctx, store, loaded, res, act));
  };
}
