export { createAuth, createAuthFromEnv } from './auth.js';
export type { Auth, AuthResult, AuthenticateRequestOptions, InvalidateTarget, RequestHeaders } from './auth-types.js';
export type { AuthContext, Identity, DirectoryContext, AuthenticationFactorTime } from './auth-context.js';
// M2M callers and the context union.
export type { AnyAuthContext, MemberAuthContext, M2mAuthContext, AuthContextKind } from './auth-context-union.js';
export { hasScopes, scopeError, memberRequiredError } from './scope-check.js';
export type { AcceptedTokenKind } from './token/m2m-token.js';
export type { TokenSource } from './token/token-source.js';
export type {
  AuthOptions,
  StytchOptions,
  StytchEnvironment,
  MongoOptions,
  JwtOptions,
  JwksOptions,
  JwksKeysSource,
  RemoteOptions,
  TokenCacheOptions,
  ContextOptions,
  ContextUnavailableMode,
  TeamSelectionOptions,
  TeamSource,
  AuthLogger,
  AuthLogFn,
} from './config/options.js';
export {
  AuthError,
  AuthConfigError,
  AUTH_ERROR_CODES,
  isAuthError,
  WWW_AUTHENTICATE_REALM,
  type AuthErrorCode,
  type AuthErrorStatus,
  type AuthErrorBody,
  type AuthErrorDetails,
  type AuthErrorDetailObject,
  type AuthErrorDetailValue,
  type AuthErrorOptions,
  type BearerErrorValue,
} from './errors.js';
export {
  hasEntitlement,
  entitlementError,
  factorError,
  claimError,
  teamError,
  roleError,
  hasRole,
  createRoleCheck,
  createFactorCheck,
  type FactorGuardOptions,
  forAnyCaller,
  type AnyCallerCheck,
  type Check,
  type AsyncCheck,
  type CheckMode,
  type RoleCheckOptions,
  type RoleGuardOptions,
} from './checks/index.js';
export { parseBearerHeader, extractBearerToken } from './token/bearer.js';
export { currentAuth, peekCurrentAuth, runWithAuth } from './current-auth.js';
export { tokenFingerprint } from './logger.js';
export { version } from './version.js';
export { RECOMMENDED_INDEXES, createRecommendedIndexes, type RecommendedIndex } from './context/recommended-indexes.js';
export {
  scopeFilter,
  scopeClause,
  scopedUpdate,
  scopedInsert,
  DEFAULT_SCOPE_FIELDS,
  attribution,
  type ScopeBy,
  type ScopeIdForm,
  type ScopeFilterOptions,
  type ScopedFilter,
  type ScopedUpdate,
  type Attribution,
  type ObjectIdAttribution,
  type AttributionOptions,
} from './tenancy/index.js';
export {
  hasPermission,
  permissionError,
  createPermissionCheck,
  isAuthorized,
  buildPermissionIndex,
  WILDCARD_ACTION,
  DEFAULT_POLICY_REFRESH_MS,
  DEFAULT_POLICY_STALE_IF_ERROR_MS,
  type PermissionCheck,
  type PermissionIndex,
  type RbacPolicy,
  type RbacOrgPolicy,
  type RbacRole,
  type RbacPermission,
  type RbacResource,
  type RbacScope,
  type RbacOptions,
} from './rbac/index.js';
export {
  provisionMember,
  createProvisioningIndexes,
  PROVISIONING_INDEXES,
  PROVISIONED_BY,
  DEFAULT_LAST_LOGIN_TTL_SEC,
  type ProvisionIdentity,
  type ProvisionResult,
  type ProvisionSkipReason,
  type ProvisioningIndex,
  type ProvisioningOptions,
  type OrganizationDefaults,
} from './provisioning/index.js';
