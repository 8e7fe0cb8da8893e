import { ObjectId } from 'mongodb';
import type { AuthContext } from 'ayz-auth';

/** A complete, frozen AuthContext for unit tests; every directory id a fresh hex ObjectId unless overridden. */
export function contextOf(overrides: Partial<AuthContext> = {}): AuthContext {
  return Object.freeze({
    memberId: 'member-test-unit',
    sessionId: 'member-session-test-unit',
    stytchOrgId: 'organization-test-unit',
    orgSlug: 'unit',
    memberEmail: 'unit@example.test',
    memberName: 'Unit Member',
    roles: ['stytch_member'],
    authenticationFactors: ['magic_link'],
    authenticationFactorTimes: [],
    sessionStartedAt: null,
    sessionExpiresAt: null,
    sessionLastAccessedAt: null,
    customClaims: {},
    authenticatedAt: new Date(),
    mongoUserId: new ObjectId().toHexString(),
    orgId: new ObjectId().toHexString(),
    currentTeamId: new ObjectId().toHexString(),
    currentTeamName: 'Team',
    entitlements: [],
    subscriptionTier: 'free',
    subscriptionLimits: {},
    ...overrides,
  });
}
