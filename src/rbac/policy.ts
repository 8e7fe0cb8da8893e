/**
 * Stytch B2B RBAC policy: the shapes of `GET /v1/b2b/rbac/policy` and of the organization
 * policy (`GET /v1/b2b/rbac/organizations/{organization_id}`), and the zod schemas that admit
 * them. The schemas are lenient where Stytch may add or omit decoration (`description`,
 * unknown keys) and strict where the decision depends on it (ids and action lists are strings).
 */
import { z } from 'zod';

/** One grant of a role: `actions` on `resource_id`; the action `*` grants every action. */
export interface RbacPermission {
  readonly resource_id: string;
  readonly actions: readonly string[];
}

export interface RbacRole {
  /** `stytch_member` and `stytch_admin` are Stytch's reserved default roles. */
  readonly role_id: string;
  readonly description: string;
  readonly permissions: readonly RbacPermission[];
}

export interface RbacResource {
  /** Stytch's own resources are prefixed `stytch.` (`stytch.self`, `stytch.member`…). */
  readonly resource_id: string;
  readonly description: string;
  readonly actions: readonly string[];
}

/** M2M scopes; part of the policy document, not used by member permission checks. */
export interface RbacScope {
  readonly scope: string;
  readonly description: string;
  readonly permissions: readonly RbacPermission[];
}

/** The project's policy, as `GET /v1/b2b/rbac/policy` answers it under `policy`. */
export interface RbacPolicy {
  readonly roles: readonly RbacRole[];
  readonly resources: readonly RbacResource[];
  readonly scopes: readonly RbacScope[];
}

/** Custom roles of one organization, which supplement the project's roles for its members. */
export interface RbacOrgPolicy {
  readonly roles: readonly RbacRole[];
}

const id = z.string().min(1).max(256);
const actions = z.array(z.string().min(1).max(256)).max(1_000);

const permissionSchema = z.object({ resource_id: id, actions });

const roleSchema = z.object({
  role_id: id,
  description: z.string().default(''),
  permissions: z.array(permissionSchema).max(1_000),
});

const resourceSchema = z.object({ resource_id: id, description: z.string().default(''), actions });

const scopeSchema = z.object({
  scope: id,
  description: z.string().default(''),
  permissions: z.array(permissionSchema).max(1_000),
});

export const rbacPolicySchema = z.object({
  roles: z.array(roleSchema).max(10_000),
  resources: z.array(resourceSchema).max(10_000),
  // Older policies have no scopes: none is an empty list, not a malformed policy.
  scopes: z.array(scopeSchema).max(10_000).default([]),
});

/** The body of a successful `GET /v1/b2b/rbac/policy`. */
export const rbacPolicyResponseSchema = z.object({ policy: rbacPolicySchema });

/** The body of a successful `GET /v1/b2b/rbac/organizations/{organization_id}`. */
export const rbacOrgPolicyResponseSchema = z.object({
  // An organization without custom roles may be answered without them.
  org_policy: z.object({ roles: z.array(roleSchema).max(10_000).default([]) }).nullish(),
});

/** The policy in a response body, or null when the body is not a policy. */
export function parsePolicyResponse(body: unknown): RbacPolicy | null {
  const parsed = rbacPolicyResponseSchema.safeParse(body);
  return parsed.success ? parsed.data.policy : null;
}

/** The organization's roles in a response body (none when it has none), or null when malformed. */
export function parseOrgPolicyResponse(body: unknown): RbacOrgPolicy | null {
  const parsed = rbacOrgPolicyResponseSchema.safeParse(body);
  if (!parsed.success) return null;
  return { roles: parsed.data.org_policy?.roles ?? [] };
}
