/**
 * Who is calling: the identity proven by the Stytch session, and what MongoDB says about it.
 * Every field is always present; `null` means unknown. Contexts handed out are frozen.
 */
export interface AuthContext {
  /** Stytch member id (`member-…`). */
  readonly memberId: string;
  readonly sessionId: string | null;
  /** Stytch organization id (`organization-…`). */
  readonly stytchOrgId: string;
  readonly orgSlug: string | null;
  readonly memberEmail: string | null;
  readonly memberName: string | null;
  readonly roles: readonly string[];
  /** Stytch authentication factor types of the session (`magic_link`, `totp`, `sso`…). */
  readonly authenticationFactors: readonly string[];
  /** When each factor of the session was last authenticated (for step-up by factor age). */
  readonly authenticationFactorTimes: readonly AuthenticationFactorTime[];
  readonly sessionStartedAt: Date | null;
  readonly sessionExpiresAt: Date | null;
  readonly sessionLastAccessedAt: Date | null;
  readonly customClaims: Readonly<Record<string, unknown>>;
  /**
   * When this request was authenticated (millisecond). Requests of the same token in the same
   * millisecond may share one frozen context, this `Date` included: never mutate it.
   */
  readonly authenticatedAt: Date;
  /** Hex ObjectId of the `users` document. */
  readonly mongoUserId: string | null;
  /** Hex ObjectId of the `organizations` document. */
  readonly orgId: string | null;
  /** Hex ObjectId of a team whose `organization` is `orgId`; never another org's team. */
  readonly currentTeamId: string | null;
  readonly currentTeamName: string | null;
  /** `null` when the organization is unknown or MongoDB is not configured. */
  readonly entitlements: readonly string[] | null;
  readonly subscriptionTier: string | null;
  readonly subscriptionLimits: Readonly<Record<string, number>> | null;
}

/**
 * One entry of a Stytch session's `authentication_factors` (JWT claim and `sessions/authenticate`
 * alike): its type, how it was delivered, and when it was last authenticated.
 */
export interface AuthenticationFactorTime {
  /** `magic_link`, `otp`, `totp`, `sso`, `oauth`, `password`… (also in `authenticationFactors`). */
  readonly type: string;
  /** `email`, `sms`, `authenticator_app`, `oauth_google`…; null when Stytch did not say. */
  readonly deliveryMethod: string | null;
  /** Stytch's `last_authenticated_at`; null when absent or unreadable (never counts as recent). */
  readonly lastAuthenticatedAt: Date | null;
}

/** The half of the context that comes from the verified session alone. */
export interface Identity {
  readonly memberId: string;
  readonly sessionId: string | null;
  readonly stytchOrgId: string;
  readonly orgSlug: string | null;
  readonly memberEmail: string | null;
  readonly memberName: string | null;
  readonly roles: readonly string[];
  readonly authenticationFactors: readonly string[];
  readonly authenticationFactorTimes: readonly AuthenticationFactorTime[];
  readonly sessionStartedAt: Date | null;
  readonly sessionExpiresAt: Date | null;
  readonly sessionLastAccessedAt: Date | null;
  readonly customClaims: Readonly<Record<string, unknown>>;
}

/** The half of the context that comes from MongoDB. */
export interface DirectoryContext {
  readonly mongoUserId: string | null;
  readonly orgId: string | null;
  readonly currentTeamId: string | null;
  readonly currentTeamName: string | null;
  readonly entitlements: readonly string[] | null;
  readonly subscriptionTier: string | null;
  readonly subscriptionLimits: Readonly<Record<string, number>> | null;
}

export const EMPTY_DIRECTORY_CONTEXT: DirectoryContext = Object.freeze({
  mongoUserId: null,
  orgId: null,
  currentTeamId: null,
  currentTeamName: null,
  entitlements: null,
  subscriptionTier: null,
  subscriptionLimits: null,
});
