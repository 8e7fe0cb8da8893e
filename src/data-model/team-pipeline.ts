import type { Document } from 'mongodb';
import type { DirectoryUser } from '../context/directory-lookup.js';
import { toObjectId } from '../context/object-ids.js';
import { ACTIVE_STATUS, COLLECTIONS } from './collections.js';

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
  const ofUser = { user_id: { $in: [toObjectId(user.hex), user.hex] }, status: ACTIVE_STATUS };
  return [
    { $match: { _id: user.id } },
    { $limit: 1 },
    { $project: { current_team_id: 1 } },
    { $set: { ctOid: toObjectIdOrNull('$current_team_id') } },
    { $lookup: { from: COLLECTIONS.teams, localField: 'ctOid', foreignField: '_id', as: 'currentTeam' } },
    {
      $lookup: {
        from: COLLECTIONS.teamMemberships,
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
        from: COLLECTIONS.teamMemberships,
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
    { $lookup: { from: COLLECTIONS.teams, localField: 'membershipTeamOids', foreignField: '_id', as: 'memberTeams' } },
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
