import type { Db, Document } from 'mongodb';
import type { Logger } from 'pino';
import type { DirectoryOrganization, DirectoryUser } from './directory-lookup.js';
import { describeId, idHex, toObjectId } from './object-ids.js';

export interface TeamChoice {
  readonly currentTeamId: string | null;
  readonly currentTeamName: string | null;
}

export const NO_TEAM: TeamChoice = Object.freeze({ currentTeamId: null, currentTeamName: null });

const toObjectIdOrNull = (input: string): Document => ({
  $convert: { input, to: 'objectId', onError: null, onNull: null },
});

/**
 * Round trip 2, always fresh by default: the user's `current_team_id` as it is now, the team
 * it names, whether the user has an active membership of that team, and the user's active
 * team memberships (oldest first) with their teams — all the candidates for a replacement,
 * in one aggregation. The current team's membership has its own lookup so that the cap on
 * the candidates can never hide it.
 */
export function teamPipeline(user: DirectoryUser): Document[] {
  const ofUser = { user_id: { $in: [toObjectId(user.hex), user.hex] }, status: 'active' };
  return [
    { $match: { _id: user.id } },
    { $limit: 1 },
    { $project: { current_team_id: 1 } },
    { $set: { ctOid: toObjectIdOrNull('$current_team_id') } },
    { $lookup: { from: 'teams', localField: 'ctOid', foreignField: '_id', as: 'currentTeam' } },
    {
      $lookup: {
        from: 'user_team_memberships',
        let: { ct: '$ctOid' },
        pipeline: [
          // team_id converted, as for the candidates: either stored form, any letter case.
          { $match: { ...ofUser, $expr: { $and: [{ $ne: ['$$ct', null] }, { $eq: [toObjectIdOrNull('$team_id'), '$$ct'] }] } } },
          { $limit: 1 },
          { $project: { _id: 1 } },
        ],
        as: 'currentMembership',
      },
    },
    {
      $lookup: {
        from: 'user_team_memberships',
        pipeline: [
          { $match: ofUser },
          { $sort: { _id: 1 } },
          { $limit: 500 },
          { $project: { team_id: 1 } },
        ],
        as: 'memberships',
      },
    },
    { $set: { membershipTeamOids: { $map: { input: '$memberships', in: toObjectIdOrNull('$$this.team_id') } } } },
    { $lookup: { from: 'teams', localField: 'membershipTeamOids', foreignField: '_id', as: 'memberTeams' } },
    {
      $project: {
        current_team_id: 1,
        currentTeam: { _id: 1, organization: 1, name: 1 },
        currentMembership: 1,
        memberships: 1,
        memberTeams: { _id: 1, organization: 1, name: 1 },
      },
    },
  ];
}

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
  if (team.name !== undefined && team.name !== null) log.warn({ teamId: teamHex }, `Invalid name on team ${teamHex}; ignored`);
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
  const [doc] = await db.collection('users').aggregate(teamPipeline(user)).toArray();
  if (!doc) {
    // The user vanished between the two round trips (or the cached directory is stale).
    logger.warn(fields, `User ${user.hex} not found in MongoDB`);
    return NO_TEAM;
  }

  const hasCurrent = doc.current_team_id !== undefined && doc.current_team_id !== null;
  if (hasCurrent) {
    const currentHex = idHex(doc.current_team_id);
    const team = Array.isArray(doc.currentTeam) ? (doc.currentTeam[0] as Document | undefined) : undefined;
    if (currentHex === null) {
      logger.warn({ ...fields, teamId: describeId(doc.current_team_id) }, `Invalid ObjectId format: ${describeId(doc.current_team_id)}`);
    } else if (!team) {
      logger.warn({ ...fields, teamId: currentHex }, `Team ${currentHex} not found in MongoDB`);
    } else if (idHex(team.organization) === organization.hex) {
      const isMember = Array.isArray(doc.currentMembership) && doc.currentMembership.length > 0;
      if (isMember || !input.requireTeamMembership) {
        if (!isMember) {
          // Python kept such a team; a user removed from it would keep its data through requireTeam.
          logger.warn(
            { ...fields, teamId: currentHex },
            `No active team membership of user ${m} for current team ${currentHex} in org ${o}; kept (requireTeamMembership is off)`,
          );
        }
        logger.debug({ ...fields, teamId: currentHex }, `Team ${currentHex} validated for org ${o}`);
        return Object.freeze({ currentTeamId: currentHex, currentTeamName: teamName(team, logger, currentHex) });
      }
      logger.warn(
        { ...fields, teamId: currentHex },
        `No active team membership of user ${m} for current team ${currentHex} in org ${o}; treated as stale (requireTeamMembership)`,
      );
    } else {
      const other = describeId(team.organization);
      logger.warn(
        { ...fields, teamId: currentHex, teamOrgId: other },
        `MULTI-ORG FIX: Stale team_id detected for user ${m}. Team ${currentHex} belongs to org ${other}, but user is in org ${organization.hex}`,
      );
    }
  }

  const chosen = firstTeamInOrg(doc, organization.hex);
  if (!chosen) {
    logger.warn(fields, `No teams found for user ${m} in org ${o}`);
    return NO_TEAM;
  }
  logger.info({ ...fields, teamId: chosen.hex }, `Found valid team ${chosen.hex} for user ${m} in org ${o}`);
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
    const result = await db.collection('users').updateOne(filter, { $set: { current_team_id: toObjectId(teamHex) } });
    if (result.modifiedCount === 1) {
      logger.info({ ...fields, teamId: teamHex }, `✅ Auto-corrected User.current_team_id in MongoDB: user ${user.hex} -> team ${teamHex}`);
    } else {
      logger.debug({ ...fields, teamId: teamHex }, 'current_team_id changed since it was read; left as it is');
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.error(
      { ...fields, teamId: teamHex, err: reason },
      `Failed to update User.current_team_id in MongoDB: ${reason}. Continuing with validated team_id in memory.`,
    );
  }
}
