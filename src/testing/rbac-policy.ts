/**
 * The RBAC policy a test issuer serves on `GET /v1/b2b/rbac/policy` (and organizations' custom
 * roles on `GET /v1/b2b/rbac/organizations/{organization_id}`), changeable while a test runs.
 */
import type { RbacPolicy, RbacRole } from '../rbac/policy.js';

const STYTCH_RESOURCES = ['stytch.organization', 'stytch.member', 'stytch.sso', 'stytch.scim', 'stytch.self'] as const;

/**
 * Stytch's two default roles over its default resources, as every project starts with them:
 * `stytch_admin` may do everything on them, `stytch_member` everything on its own member
 * (`stytch.self`). The action lists are abbreviated to `*`; give your own policy for more.
 */
export const DEFAULT_TEST_RBAC_POLICY: RbacPolicy = Object.freeze({
  roles: [
    {
      role_id: 'stytch_admin',
      description: 'Granted to the members who create an organization; all Stytch permissions',
      permissions: STYTCH_RESOURCES.map((resource_id) => ({ resource_id, actions: ['*'] })),
    },
    {
      role_id: 'stytch_member',
      description: 'Granted to every member',
      permissions: [{ resource_id: 'stytch.self', actions: ['*'] }],
    },
  ],
  resources: STYTCH_RESOURCES.map((resource_id) => ({ resource_id, description: `Stytch default resource ${resource_id}`, actions: [] })),
  scopes: [],
});

/**
 * Fault injection for the policy endpoints (sticky until changed):
 * - `ok`: the policy.
 * - `down`: the connection is reset.
 * - `slow`: the policy, after the issuer's `slowMs`.
 * - `error500`: Stytch's `internal_server_error`.
 * - `ratelimited`: 429 with `Retry-After: 1`.
 * - `malformed`: `200` with a body that is not a policy.
 */
export type RbacPolicyMode = 'ok' | 'down' | 'slow' | 'error500' | 'ratelimited' | 'malformed';

export class RbacPolicyState {
  private policy: RbacPolicy;
  private readonly orgRoles = new Map<string, readonly RbacRole[]>();

  constructor(policy: RbacPolicy = DEFAULT_TEST_RBAC_POLICY) {
    this.policy = structuredClone(policy);
  }

  /** The `policy` field of the response body. */
  current(): RbacPolicy {
    return structuredClone(this.policy);
  }

  set(policy: RbacPolicy): void {
    this.policy = structuredClone(policy);
  }

  /** The org policy's roles; an organization without custom roles has none. */
  orgPolicy(stytchOrgId: string): { roles: RbacRole[] } {
    return { roles: structuredClone([...(this.orgRoles.get(stytchOrgId) ?? [])]) };
  }

  setOrgRoles(stytchOrgId: string, roles: readonly RbacRole[] | null): void {
    if (roles === null) this.orgRoles.delete(stytchOrgId);
    else this.orgRoles.set(stytchOrgId, structuredClone([...roles]));
  }
}
