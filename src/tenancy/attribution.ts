/**
 * Audit fields for documents a service writes on behalf of the caller: who (user, Stytch
 * member, email), for which organization and team.
 */
import { ObjectId } from 'mongodb';
import type { AuthContext } from '../auth-context.js';

/** Hex ids as in the context; `null` when unknown. */
export interface Attribution {
  readonly userId: string | null;
  readonly orgId: string | null;
  readonly teamId: string | null;
  readonly memberId: string;
  readonly memberEmail: string | null;
}

/** The same, with the MongoDB ids as `ObjectId` (what the shared data model stores). */
export interface ObjectIdAttribution {
  readonly userId: ObjectId | null;
  readonly orgId: ObjectId | null;
  readonly teamId: ObjectId | null;
  readonly memberId: string;
  readonly memberEmail: string | null;
}

export interface AttributionOptions {
  /** `hex` (default): ids as hex strings; `objectId`: as `ObjectId`. */
  ids?: 'hex' | 'objectId';
}

const HEX24 = /^[0-9a-f]{24}$/i;
const oid = (hex: string | null): ObjectId | null => (hex !== null && HEX24.test(hex) ? ObjectId.createFromHexString(hex) : null);

/**
 * `{ userId, orgId, teamId, memberId, memberEmail }` of the caller, frozen. Spread it into a
 * document (`{ ...doc, created_by: attribution(ctx) }`) or pick fields for your schema.
 */
export function attribution(ctx: AuthContext): Attribution;
export function attribution(ctx: AuthContext, options: { ids: 'objectId' }): ObjectIdAttribution;
export function attribution(ctx: AuthContext, options?: AttributionOptions): Attribution | ObjectIdAttribution;
export function attribution(ctx: AuthContext, options: AttributionOptions = {}): Attribution | ObjectIdAttribution {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ayz-auth: attribution needs the AuthContext of the request');
  if (options.ids === 'objectId') {
    return Object.freeze({
      userId: oid(ctx.mongoUserId),
      orgId: oid(ctx.orgId),
      teamId: oid(ctx.currentTeamId),
      memberId: ctx.memberId,
      memberEmail: ctx.memberEmail,
    });
  }
  return Object.freeze({
    userId: ctx.mongoUserId,
    orgId: ctx.orgId,
    teamId: ctx.currentTeamId,
    memberId: ctx.memberId,
    memberEmail: ctx.memberEmail,
  });
}
