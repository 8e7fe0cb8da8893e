import type { Db, Document } from 'mongodb';
import type { Logger } from 'pino';
import type { DirectoryOrganization, DirectoryUser } from './directory-lookup.js';
import { describeId, idHex, toObjectId } from './object-ids.js';
import { COLLECTIONS } from '../data-model/collections.js';
import { teamPipeline } from '../data-model/team-pipeline.js';
import { logText } from '../log-messages.js';

export interface TeamChoice {
  readonly currentTeamId: string | null;
  readonly currentTeamName: string | null;
}

export const NO_TEAM: TeamChoice = Object.freeze({ currentTeamId: null, currentTeamName: null });

export interface TeamResolutionInput {
  readonly db: Db;
  readonly stytchMemberId: string;
  readonly stytchOrgId: string;
  readonly organization: DirectoryOrganization;
  readonly user: DirectoryUser;
  readonly writeBack: boolean;
  /** A current team the user has no active membership of is stale (else kept, with a WARN). */
  readonly requireTeamMembership: boolean;
  readonly logger: Logger;
}

function teamName(team: Document, log: Logger, teamHex: string): string | null {
  if (typeof team.name === 'string') return team.name;
  if (team.name !== undefined && team.name !== null) log.warn({ teamId: teamHex }, logText('invalidTeamName', teamHex));
  return null;
}

/**
 * The team of the context: the user's current team if it belongs to this organization (and,
 * with `requireTeamMembership`, the user has an active membership of it), else the team of
 * their oldest active team membership in this organization (written back, conditionally),
 * else none. Never a team of another organization.
 */
export async function validateCurrentTeam(input: TeamResolutionInput): Promise<TeamChoice> {
  const { db, stytchMemberId: m, stytchOrgId: o, organization, user, logger } = input;
  const fields = { stytchMemberId: m, stytchOrgId: o, userId: user.hex, orgId: organization.hex };
  const [doc] = await db.collection(COLLECTIONS.users).aggregate(teamPipeline(user)).toArray();
  if (!doc) {
    // The user vanished between the two round trips (or the cached directory is stale).
    logger.warn(fields, logText('userNotFound', user.hex));
    return NO_TEAM;
  }

  const hasCurrent = doc.current_team_id !== undefined && doc.current_team_id !== null;
  if (hasCurrent) {
    const currentHex = idHex(doc.current_team_id);
    const team = Array.isArray(doc.currentTeam) ? (doc.currentTeam[0] as Document | undefined) : undefined;
    if (currentHex === null) {
      logger.warn({ ...fields, teamId: describeId(doc.current_team_id) }, logText('invalidTeamId', describeId(doc.current_team_id)));
    } else if (!team) {
      logger.warn({ ...fields, teamId: currentHex }, logText('teamNotFound', currentHex));
    } else if (idHex(team.organization) === organization.hex) {
      const isMember = Array.isArray(doc.currentMembership) && doc.currentMembership.length > 0;
      if (isMember || !input.requireTeamMembership) {
        if (!isMember) {
          // Python kept such a team; a user removed from it would keep its data through requireTeam.
          logger.warn({ ...fields, teamId: currentHex }, logText('teamKeptWithoutMembership', m, currentHex, o));
        }
        logger.debug({ ...fields, teamId: currentHex }, `Team ${currentHex} validated for org ${o}`);
        return Object.freeze({ currentTeamId: currentHex, currentTeamName: teamName(team, logger, currentHex) });
      }
      logger.warn({ ...fields, teamId: currentHex }, logText('teamStaleWithoutMembership', m, currentHex, o));
    } else {
      const other = describeId(team.organization);
      logger.warn({ ...fields, teamId: currentHex, teamOrgId: other }, logText('staleTeam', m, currentHex, other, organization.hex));
    }
  }

  const chosen = firstTeamInOrg(doc, organization.hex);
  if (!chosen) {
    logger.warn(fields, logText('noTeams', m, o));
    return NO_TEAM;
  }
  logger.info({ ...fields, teamId: chosen.hex }, logText('foundValidTeam', chosen.hex, m, o));
  if (input.writeBack) await writeBackCurrentTeam(db, user, doc.current_team_id, hasCurrent, chosen.hex, fields, logger);
  return Object.freeze({ currentTeamId: chosen.hex, currentTeamName: teamName(chosen.team, logger, chosen.hex) });
}

/** Oldest active membership first (ascending `_id`): deterministic, unlike natural order. */
export function firstTeamInOrg(doc: Document, orgHex: string): { hex: string; team: Document } | null {
  const teams = new Map<string, Document>();
  for (const team of (Array.isArray(doc.memberTeams) ? doc.memberTeams : []) as Document[]) {
    const hex = idHex(team._id);
    if (hex) teams.set(hex, team);
  }
  for (const membership of (Array.isArray(doc.memberships) ? doc.memberships : []) as Document[]) {
    const hex = idHex(membership.team_id);
    const team = hex ? teams.get(hex) : undefined;
    if (hex && team && idHex(team.organization) === orgHex) return { hex, team };
  }
  return null;
}

/**
 * Compare-and-set: only if `current_team_id` still holds what was read, so a team the user
 * picked in the meantime is never overwritten. A failed write is logged; the request goes on.
 */
async function writeBackCurrentTeam(
  db: Db,
  user: DirectoryUser,
  previous: unknown,
  hadPrevious: boolean,
  teamHex: string,
  fields: Record<string, string>,
  logger: Logger,
): Promise<void> {
  const filter: Document = { _id: user.id, current_team_id: hadPrevious ? previous : null };
  try {
    const result = await db.collection(COLLECTIONS.users).updateOne(filter, { $set: { current_team_id: toObjectId(teamHex) } });
    if (result.modifiedCount === 1) {
      logger.info({ ...fields, teamId: teamHex }, logText('teamWrittenBack', user.hex, teamHex));
    } else {
      logger.debug({ ...fields, teamId: teamHex }, 'current_team_id changed since it was read; left as it is');
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error({ ...fields, teamId: teamHex, err: reason }, logText('teamWriteBackFailed', reason));
  }
}
