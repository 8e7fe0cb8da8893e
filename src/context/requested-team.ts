import type { Db } from 'mongodb';
import type { Logger } from 'pino';
import type { DirectoryOrganization, DirectoryUser } from './directory-lookup.js';
import { COLLECTIONS, requestedTeamPipeline } from '../data-model/index.js';
import { idHex } from './object-ids.js';
import type { TeamChoice } from './team-resolution.js';
import { logText } from '../log-messages.js';

/** The requested team is not the caller's: answered 403 `team_forbidden`. Cached like a team. */
export const TEAM_FORBIDDEN = Object.freeze({ forbidden: true as const });
export type RequestedTeamVerdict = TeamChoice | typeof TEAM_FORBIDDEN;

export interface RequestedTeamInput {
  readonly db: Db;
  readonly stytchMemberId: string;
  readonly stytchOrgId: string;
  readonly organization: DirectoryOrganization;
  readonly user: DirectoryUser;
  readonly teamHex: string;
  readonly logger: Logger;
}

/**
 * The team the request names, if it is a team of the caller's organization with an active
 * membership of the caller; else `TEAM_FORBIDDEN`. Read only: unlike the stored team, nothing
 * is written back, so two tabs working in two teams never flip each other's stored team.
 */
export async function validateRequestedTeam(input: RequestedTeamInput): Promise<RequestedTeamVerdict> {
  const { db, organization, user, teamHex, logger } = input;
  const fields = { stytchMemberId: input.stytchMemberId, stytchOrgId: input.stytchOrgId, userId: user.hex, orgId: organization.hex, teamId: teamHex };
  const [team] = await db.collection(COLLECTIONS.teams).aggregate(requestedTeamPipeline(user, teamHex)).toArray();
  let why: string | null = null;
  if (!team) why = 'not found';
  else if (idHex(team.organization) !== organization.hex) why = 'a team of another organization';
  else if (!Array.isArray(team.membership) || team.membership.length === 0) why = 'without an active membership of the user';
  if (why !== null || !team) {
    // The id is a validated 24-hex value: safe in a log line.
    logger.warn(fields, logText('requestedTeamRefused', teamHex, why ?? 'not found'));
    return TEAM_FORBIDDEN;
  }
  let name: string | null = null;
  if (typeof team.name === 'string') name = team.name;
  else if (team.name !== undefined && team.name !== null) logger.warn({ teamId: teamHex }, logText('invalidTeamName', teamHex));
  logger.debug(fields, `Requested team ${teamHex} validated for org ${input.stytchOrgId}`);
  return Object.freeze({ currentTeamId: teamHex, currentTeamName: name });
}
