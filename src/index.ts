export { createAuth, createAuthFromEnv } from './auth.js';
export type { Auth, AuthResult, InvalidateTarget, RequestHeaders } from './auth-types.js';
export type { AuthContext, Identity, DirectoryContext } from './auth-context.js';
export type {
  AuthOptions,
  StytchOptions,
  StytchEnvironment,
  MongoOptions,
  JwtOptions,
  JwksOptions,
  RemoteOptions,
  TokenCacheOptions,
  ContextOptions,
  ContextUnavailableMode,
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
export { hasEntitlement, entitlementError, factorError, claimError, type EntitlementMode } from './guards.js';
export { parseBearerHeader, extractBearerToken } from './token/bearer.js';
export { tokenFingerprint } from './logger.js';
export { version } from './version.js';
export { RECOMMENDED_INDEXES, createRecommendedIndexes, type RecommendedIndex } from './context/recommended-indexes.js';
