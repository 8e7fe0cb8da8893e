import type { Document } from 'mongodb';
import { ACTIVE_STATUS, COLLECTIONS } from './collections.js';

const toObjectIdOr = (input: string, fallback: unknown): Document => ({
  $convert: { input, to: 'objectId', onError: fallback, onNull: fallback },
});

/** Matches the membership rows of (member, org), whichever form `organization_id` is stored in. */
const membershipOf = (stytchMemberId: string, status: Document): Document => ({
  $match: {
    stytch_member_id: stytchMemberId,
    status,
    $expr: { $in: ['$organization_id', ['$$oid', { $toString: '$$oid' }, toObjectIdOr('$$oid', '$$oid')]] },
  },
});

/**
 * One aggregation answers what the Python library asked in up to seven queries: the
 * organization, the member's active membership in it with its user, whether the member has a
 * non-active membership in it (an explicit removal, which the fallback must not override),
 * and — unioned in, so it costs no second trip — the direct `users.stytch_member_id` match
 * used as the fallback. Ids are matched in both stored forms (ObjectId or 24-hex string).
 */
export function directoryPipeline(stytchMemberId: string, stytchOrgId: string): Document[] {
  return [
    { $match: { stytch_org_id: stytchOrgId } },
    { $sort: { _id: 1 } },
    { $limit: 1 },
    { $project: { entitlements: 1, subscription_tier: 1, subscription_limits: 1 } },
    {
      $lookup: {
        from: COLLECTIONS.orgMemberships,
        let: { oid: '$_id' },
        pipeline: [
          membershipOf(stytchMemberId, { $eq: ACTIVE_STATUS }),
          { $sort: { _id: 1 } },
          { $limit: 20 },
          { $project: { user_id: 1 } },
          { $set: { userOid: toObjectIdOr('$user_id', null) } },
          { $lookup: { from: COLLECTIONS.users, localField: 'userOid', foreignField: '_id', as: 'user' } },
          { $project: { user_id: 1, 'user._id': 1 } },
        ],
        as: 'memberships',
      },
    },
    {
      // Only "active" counts: any other status, or none at all, is not an active membership.
      // The newest such row is reported (the latest change to the member).
      $lookup: {
        from: COLLECTIONS.orgMemberships,
        let: { oid: '$_id' },
        pipeline: [membershipOf(stytchMemberId, { $ne: ACTIVE_STATUS }), { $sort: { _id: -1 } }, { $limit: 1 }, { $project: { status: 1 } }],
        as: 'inactiveMemberships',
      },
    },
    { $set: { _kind: 'org' } },
    {
      $unionWith: {
        coll: COLLECTIONS.users,
        pipeline: [
          { $match: { stytch_member_id: stytchMemberId } },
          { $sort: { _id: 1 } },
          { $limit: 1 },
          { $project: { _id: 1 } },
          { $set: { _kind: 'user' } },
        ],
      },
    },
  ];
}
