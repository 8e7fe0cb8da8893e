/**
 * `ayz-auth/testing`: test a service that uses ayz-auth without Stytch's cloud. A local issuer
 * (keys, JWKS and `sessions/authenticate` on loopback), Stytch-shaped session JWTs, and seed
 * helpers for the MongoDB collections the library reads.
 */
export {
  createTestIssuer,
  DEFAULT_TEST_PROJECT_ID,
  type RegisteredSession,
  type RegisterSessionInput,
  type TestIssuer,
  type TestIssuerAuthOptions,
  type TestIssuerOptions,
} from './issuer.js';
export {
  createLocalTestIssuer,
  type LocalJwksProvider,
  type LocalTestIssuer,
  type LocalTestIssuerOptions,
} from './local-issuer.js';
export type { SessionJwtInput, TimeInput } from './session-jwt.js';
export { DEFAULT_TEST_RBAC_POLICY, type RbacPolicyMode } from './rbac-policy.js';
export type { M2mTokenInput } from './m2m-token.js';
export type { AuthenticateConcurrency, AuthenticateFailure, JwksMode, RequestCounters } from './fake-stytch-server.js';
export {
  ORGANIZATION_CLAIM,
  SESSION_CLAIM,
  type StytchAuthenticationFactor,
  type StytchErrorBody,
  type StytchJwk,
  type StytchJwksResponse,
  type StytchMember,
  type StytchMemberRole,
  type StytchMemberSession,
  type StytchOrganization,
  type StytchOrganizationClaim,
  type StytchSessionClaim,
  type StytchSessionsAuthenticateResponse,
} from './stytch-shapes.js';
export {
  COLLECTIONS,
  seedMember,
  seedOrganization,
  seedOrgMembership,
  seedTeam,
  seedTeamMembership,
  seedUser,
  type IdValue,
  type SeedDocument,
  type SeededMember,
  type SeedMemberInput,
  type SeedOrganizationInput,
  type SeedOrgMembershipInput,
  type SeedTeamInput,
  type SeedTeamMembershipInput,
  type SeedUserInput,
} from './seed.js';
