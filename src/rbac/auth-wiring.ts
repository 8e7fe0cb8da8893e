/**
 * What `createAuth` needs of this folder: a policy store when the Auth can read the policy
 * (it has the project secret), else null. Its contexts lead to it through their origin (see
 * ContextOrigin).
 */
import type { AuthLogger } from '../logger.js';
import { RbacPolicyStore } from './policy-store.js';
import type { ResolvedRbacOptions } from './rbac-options.js';

export interface RbacWiringInput {
  readonly stytch: { readonly projectId: string; readonly secret: string | null; readonly apiBaseUrl: string };
  readonly rbac: ResolvedRbacOptions;
}

/** Nothing is fetched until the first permission check (or `preload()`). */
export function rbacStoreFor(resolved: RbacWiringInput, logger: AuthLogger): RbacPolicyStore | null {
  const { projectId, secret, apiBaseUrl } = resolved.stytch;
  if (secret === null) return null;
  return new RbacPolicyStore({ projectId, secret, apiBaseUrl }, resolved.rbac, logger);
}

