import type { Document } from 'mongodb';
import type { DirectoryUser } from '../context/directory-lookup.js';
import { toObjectId } from '../context/object-ids.js';
import { ACTIVE_STATUS, COLLECTIONS } from './collections.js';

const toObjectIdOrNull = (input: string): Document => ({
  $convert: { input, to: 'objectId', onError: null, onNull: null },
});

/**
 * The variant of round trip 2 for a team named by the request (`context.team`): the team, and
 * the user's active membership of it, in one aggregation on `teams`. Memberships are matched
 * as in round trip 2 (user id in either stored form, `team_id` converted, so either form and
 * any letter case).
 */
export function requestedTeamPipeline(user: DirectoryUser, teamHex: string): Document[] {
  return [
    { $match: { _id: toObjectId(teamHex) } },
    { $limit: 1 },
    { $project: { organization: 1, name: 1 } },
    {
      $lookup: {
        from: COLLECTIONS.teamMemberships,
        let: { team: '$_id' },
        pipeline: [
          {
            $match: {
              user_id: { $in: [toObjectId(user.hex), user.hex] },
              status: ACTIVE_STATUS,
              $expr: { $eq: [toObjectIdOrNull('$team_id'), '$$team'] },
            },
          },
          { $limit: 1 },
          { $project: { _id: 1 } },
        ],
        as: 'membership',
      },
    },
  ];
}
