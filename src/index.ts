export { createAuth, createAuthFromEnv } from './auth.js';
export type { Auth, AuthResult, AuthenticateRequestOptions, InvalidateTarget, RequestHeaders } from './auth-types.js';
export type { AuthContext, Identity, DirectoryContext } from './auth-context.js';
// Issue 17: M2M callers and the context union.
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
  forAnyCaller,
  type AnyCallerCheck,
  type Check,
  type CheckMode,
  type RoleCheckOptions,
  type RoleGuardOptions,
} from './checks/index.js';
export { parseBearerHeader, extractBearerToken } from './token/bearer.js';
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
