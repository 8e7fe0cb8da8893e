/**
 * `ayz-auth/internal`: the plumbing the adapters share (request headers, refusals, the store
 * of verified requests, the built-in guards' checks). It is exported so the adapters can load
 * one copy of the core by its package name; it is **not** part of the public API and may change
 * in any release, semver notwithstanding. Services use `ayz-auth`, `ayz-auth/express`,
 * `ayz-auth/fastify` and `ayz-auth/testing`.
 */
export { authenticationHeaders } from './request-headers.js';
export {
  REFRESHED_SESSION_JWT_HEADER,
  refreshedSessionJwtHeaders,
  refusalOf,
  type AuthErrorResponse,
  type ErrorResponseBuilderFor,
  type Refusal,
} from './response-headers.js';
export { VerifiedRequests, isAuth, type AdapterWords, type RequestStorage } from './verified-requests.js';
export { bindGuards, guardChecks, type BuiltInGuards, type BuiltInGuardName } from '../checks/built-in-guards.js';
export { runInNewAuthSlot, runInAuthSlot, type AuthSlot } from '../current-auth.js';
export { acceptOption } from '../token/request-credential.js';
export { settledAuthentication, type SettledAuthentication } from './settled-authentication.js';
