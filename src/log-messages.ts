/**
 * The operator-facing log lines, each defined once, beside the error table (`errors.ts`):
 * operators alert on these wordings, so they change only here, and a test holds the README's
 * "Logs to monitor" table to this one. The MongoDB context lines keep the Python library's
 * wording byte for byte (existing alerts match them).
 *
 * Each entry: its level, the text (a function of the line's variable parts) and `example`, the
 * variable parts the README shows (placeholders such as `M`, `O`, `…`).
 */
type Level = 'debug' | 'info' | 'warn' | 'error';

interface LogMessage<A extends readonly string[]> {
  readonly level: Level;
  readonly text: (...parts: A) => string;
  readonly example: A;
}

const line = <A extends readonly string[]>(level: Level, text: (...parts: A) => string, example: A): LogMessage<A> => ({ level, text, example });

export const LOG_MESSAGES = {
  // Start-up and environment
  started: line('info', (summary: string) => `ayz-auth started: ${summary}`, ['…']),
  envPythonName: line(
    'warn',
    (legacy: string, current: string) => `${legacy} is the Python ayz-auth name: it is read as ${current}; rename it to ${current}`,
    ['STYTCH_MONGODB_URI', 'MONGODB_URI'],
  ),
  envBothNames: line(
    'warn',
    (legacy: string, current: string) =>
      `${legacy} and ${current} are both set: ${current} wins and ${legacy} (the Python ayz-auth name) is ignored; remove it`,
    ['STYTCH_MONGODB_URI', 'MONGODB_URI'],
  ),
  // `variables` is the comma-separated list; one variable reads "is … remove it".
  envRedisUnused: line(
    'warn',
    (variables: string) => {
      const one = !variables.includes(', ');
      return `${variables} ${one ? 'is' : 'are'} not used: this library has no Redis cache (verified tokens and the directory are cached in the process memory, see tokenCache and context options); remove ${one ? 'it' : 'them'}`;
    },
    ['STYTCH_REDIS_URL, …'],
  ),
  // Token refusals
  tokenRejected: line('debug', () => 'Token rejected', []),
  // JWKS
  jwksRefreshFailed: line('warn', () => 'JWKS refresh failed; serving the last good keys', []),
  jwksFetchFailed: line('error', () => 'JWKS fetch failed and no keys are cached', []),
  jwksUnknownAddress: line('error', () => 'JWKS fetch failed: the JWKS address is unknown (404); check STYTCH_PROJECT_ID and STYTCH_BASE_URL', []),
  jwksRecovered: line('info', () => 'JWKS endpoint recovered', []),
  // Stytch
  stytchRejections: line('info', () => 'Sessions rejected by Stytch', []),
  stytchShed: line('warn', () => 'Requests answered 503 without calling Stytch', []),
  stytchRateLimited: line('warn', () => 'Stytch rate-limited sessions/authenticate (429); not retried, no call until Retry-After has passed', []),
  stytchAttemptFailed: line('warn', () => 'Stytch sessions/authenticate failed', []),
  stytchBadCredentials: line('error', () => 'Stytch rejected the project credentials; check STYTCH_PROJECT_ID and STYTCH_SECRET', []),
  // MongoDB connection and lifecycle
  directoryNotWired: line(
    'error',
    (guard: string) => `ayz-auth: ${guard} needs MongoDB: pass \`mongo\` to createAuth (or set MONGODB_URI for createAuthFromEnv)`,
    ['requireEntitlement'],
  ),
  mongoConnectFailed: line('warn', (delayMs: string) => `MongoDB connection failed; next attempt in ${delayMs} ms`, ['N']),
  mongoConnected: line('info', () => 'MongoDB connected after failed attempts', []),
  readinessMongo: line('warn', (reason: string) => `Readiness: MongoDB does not answer: ${reason}`, ['…']),
  closeWorkInFlight: line('warn', () => 'close: database work still in flight; closing the MongoDB client anyway', []),
  // MongoDB context (the Python library's wording)
  noOrgMembership: line(
    'warn',
    (member: string, org: string) => `No org membership found for stytch_member_id=${member}, org=${org}. Falling back to direct user lookup.`,
    ['M', 'O'],
  ),
  membershipInactive: line(
    'warn',
    (member: string, org: string, status: string) => `Membership of stytch_member_id=${member} in org=${org} is ${status}; no user (membership inactive)`,
    ['M', 'O', '<status>'],
  ),
  organizationNotFound: line('warn', (org: string) => `Organization not found for stytch_org_id: ${org}. Falling back to direct user lookup.`, ['O']),
  staleTeam: line(
    'warn',
    (member: string, team: string, teamOrg: string, userOrg: string) =>
      `MULTI-ORG FIX: Stale team_id detected for user ${member}. Team ${team} belongs to org ${teamOrg}, but user is in org ${userOrg}`,
    ['M', 'T', 'X', 'Y'],
  ),
  teamKeptWithoutMembership: line(
    'warn',
    (member: string, team: string, org: string) =>
      `No active team membership of user ${member} for current team ${team} in org ${org}; kept (requireTeamMembership is off)`,
    ['M', 'T', 'O'],
  ),
  teamStaleWithoutMembership: line(
    'warn',
    (member: string, team: string, org: string) =>
      `No active team membership of user ${member} for current team ${team} in org ${org}; treated as stale (requireTeamMembership)`,
    ['M', 'T', 'O'],
  ),
  foundValidTeam: line('info', (team: string, member: string, org: string) => `Found valid team ${team} for user ${member} in org ${org}`, ['T', 'M', 'O']),
  teamWrittenBack: line('info', (user: string, team: string) => `✅ Auto-corrected User.current_team_id in MongoDB: user ${user} -> team ${team}`, ['U', 'T']),
  noTeams: line('warn', (member: string, org: string) => `No teams found for user ${member} in org ${org}`, ['M', 'O']),
  invalidTeamId: line('warn', (id: string) => `Invalid ObjectId format: ${id}`, ['…']),
  teamNotFound: line('warn', (team: string) => `Team ${team} not found in MongoDB`, ['T']),
  invalidOrganizationField: line(
    'warn',
    (field: string, org: string, detail: string) => `Invalid ${field} in organization ${org}: ${detail}; ignored`,
    ['entitlements', 'O', '…'],
  ),
  teamWriteBackFailed: line(
    'error',
    (reason: string) => `Failed to update User.current_team_id in MongoDB: ${reason}. Continuing with validated team_id in memory.`,
    ['…'],
  ),
  contextUnavailable: line('error', (reason: string) => `Failed to load context from MongoDB: ${reason}`, ['…']),
  contextDegraded: line('warn', (reason: string) => `Failed to load context from MongoDB: ${reason}. Continuing without directory data.`, ['…']),
  requestedTeamRefused: line('warn', (team: string, why: string) => `Requested team ${team} is ${why}; 403 team_forbidden`, ['T', 'not found']),
  requestedTeamUnchecked: line(
    'warn',
    (team: string) => `Requested team ${team} cannot be checked: no organization or user in the directory; 403 team_forbidden`,
    ['T'],
  ),
  invalidTeamName: line('warn', (team: string) => `Invalid name on team ${team}; ignored`, ['T']),
  userNotFound: line('warn', (user: string) => `User ${user} not found in MongoDB`, ['U']),
  malformedOrganizationId: line('warn', (org: string) => `Malformed _id on organization ${org}; treated as not found`, ['O']),
  // context.watch
  watchUnsupported: line(
    'warn',
    () => 'context.watch: this MongoDB server has no change streams (a standalone, not a replica set); the team is read fresh on every request',
    [],
  ),
  watchStreamError: line('warn', () => 'context.watch: change stream error; fresh reads until it reopens', []),
  watchResumeLost: line('warn', () => 'context.watch: the resume point is lost (change history rolled over); caches cleared, stream reopened', []),
  watchStopped: line('error', () => 'context.watch stopped; the team is read fresh on every request', []),
  // RBAC (`what`: `RBAC policy`, or `RBAC organization policy` for an organization's custom roles)
  rbacRefreshFailed: line('warn', (what: string) => `${what} refresh failed; serving the last policy`, ['RBAC policy']),
  rbacFetchFailed: line(
    'error',
    (what: string) => `${what} fetch failed and no usable policy is cached; permission checks answer 503`,
    ['RBAC policy'],
  ),
  rbacRefused: line(
    'error',
    (what: string, reason: string) =>
      `${what} fetch failed: Stytch refused the request (${reason}); check STYTCH_PROJECT_ID, STYTCH_SECRET and that RBAC is enabled for the project`,
    ['RBAC policy', 'HTTP 401'],
  ),
  rbacRecovered: line('info', (what: string) => `${what} endpoint recovered`, ['RBAC policy']),
  rbacUndeclaredResource: line('warn', () => 'Permission check names a resource the RBAC policy does not declare; it is never granted', []),
  // Provisioning
  provisionedOrganization: line('info', (orgId: string, org: string) => `Provisioned organization ${orgId} for stytch_org_id=${org}`, ['I', 'O']),
  provisionedMembership: line(
    'info',
    (membershipId: string, member: string, org: string, user: string) =>
      `Provisioned org membership ${membershipId} for stytch_member_id=${member} in org ${org} (user ${user})`,
    ['I', 'M', 'O', 'U'],
  ),
  provisionedUser: line('info', (user: string, member: string) => `Provisioned user ${user} for stytch_member_id=${member}`, ['U', 'M']),
  provisioningMalformedOrgId: line('warn', (org: string) => `Provisioning skipped: malformed _id on organization ${org}`, ['O']),
  provisioningMembershipInactive: line(
    'warn',
    (member: string, org: string) => `Provisioning skipped: the membership of stytch_member_id=${member} in org ${org} is not active`,
    ['M', 'O'],
  ),
  provisioningMalformedUserId: line(
    'warn',
    (member: string, org: string) => `Provisioning skipped: malformed user_id on the membership of ${member} in org ${org}`,
    ['M', 'O'],
  ),
  provisioningMembershipWithoutUser: line(
    'warn',
    (member: string, org: string, user: string) =>
      `Provisioning skipped: the membership of stytch_member_id=${member} in org ${org} names user ${user}, which does not exist`,
    ['M', 'O', 'U'],
  ),
  provisioningLastLoginFailed: line('warn', (user: string) => `Failed to update last_login_at for user ${user}`, ['U']),
  provisioningIndexMissing: line(
    'error',
    (index: string, collection: string) =>
      `Provisioning needs the unique index ${index} on ${collection}; without it concurrent first requests can create duplicates. Run createProvisioningIndexes(db).`,
    ['ayz_member_org_unique', 'user_organization_memberships'],
  ),
  provisioningIndexCheckFailed: line('warn', () => 'Could not check the provisioning indexes', []),
} as const;

/** The text of one line: `logText('noTeams', m, o)`. */
export function logText<K extends keyof typeof LOG_MESSAGES>(key: K, ...parts: Parameters<(typeof LOG_MESSAGES)[K]['text']>): string {
  const text = LOG_MESSAGES[key].text as (...p: readonly string[]) => string;
  return text(...parts);
}
