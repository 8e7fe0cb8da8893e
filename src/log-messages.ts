/**
 * The operator-facing log lines, each defined once, beside the error table (`errors.ts`):
 * operators alert on these wordings, so they change only here, and a test holds the README's
 * "Logs to monitor" table to this one. The MongoDB context lines keep the Python library's
 * wording byte for byte (existing alerts match them).
 *
 * Each entry: its level, the text (a function of the line's variable parts) and `example`, the
 * variable parts the README shows (placeholders such as `M`, `O`, `…`).
 */
type Level = 'info' | 'warn' | 'error';

interface LogMessage<A extends readonly string[]> {
  readonly level: Level;
  readonly text: (...parts: A) => string;
  readonly example: A;
}

const line = <A extends readonly string[]>(level: Level, text: (...parts: A) => string, example: A): LogMessage<A> => ({ level, text, example });

export const LOG_MESSAGES = {
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
} as const;

/** The text of one line: `logText('noTeams', m, o)`. */
export function logText<K extends keyof typeof LOG_MESSAGES>(key: K, ...parts: Parameters<(typeof LOG_MESSAGES)[K]['text']>): string {
  const text = LOG_MESSAGES[key].text as (...p: readonly string[]) => string;
  return text(...parts);
}
