export { hasPermission, permissionError, createPermissionCheck, type PermissionCheck } from './permissions.js';
export { isAuthorized, buildPermissionIndex, WILDCARD_ACTION, type PermissionIndex } from './decision.js';
export type { RbacPolicy, RbacOrgPolicy, RbacRole, RbacPermission, RbacResource, RbacScope } from './policy.js';
export { DEFAULT_POLICY_REFRESH_MS, DEFAULT_POLICY_STALE_IF_ERROR_MS, type RbacOptions } from './rbac-options.js';
