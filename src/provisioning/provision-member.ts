/**
 * Opt-in provisioning: a verified Stytch member with no user for its organization gets one,
 * idempotently and safely under concurrent first requests.
 *
 * Idempotency key: the membership `{ stytch_member_id, organization_id }`. A Stytch member id
 * belongs to exactly one Stytch organization, so that pair names one person in one
 * organization; the unique index `ayz_member_org_unique` makes the upsert of the membership
 * the single point where racing requests agree. The membership names the user (`user_id`),
 * and the user is then upserted *by that `_id`*, so however many requests race, they all
 * create (or find) the same one user. `users.stytch_member_id` needs no unique index (it is
 * not unique in multi-organization data).
 *
 * Never linked by e-mail (an unverified address would be an account takeover). A user found
 * by `stytch_member_id` (the legacy single-organization fallback) is the same Stytch member,
 * so it gets the membership instead of a second user.
 *
 * Never resurrected: a membership of another status than `active` stops provisioning.
 */
import { COLLECTIONS } from '../data-model/collections.js';
import { MongoServerError, ObjectId, type Db, type Document } from 'mongodb';
import { pino, type Logger } from 'pino';
import type { Identity } from '../auth-context.js';
import { parseProvisioningOptions, type ProvisioningOptions, type ResolvedProvisioningOptions } from './provisioning-options.js';
import { logText } from '../log-messages.js';

/** Marks documents this library created (`provisioned_by`). */
export const PROVISIONED_BY = 'ayz-auth';

export type ProvisionIdentity = Pick<Identity, 'memberId' | 'stytchOrgId' | 'memberEmail' | 'memberName' | 'orgSlug'>;

export type ProvisionSkipReason =
  /** The organization is not in `organizations` and `createOrganizations` is off. */
  | 'organization_missing'
  /** The member's membership in the organization exists but is not `active`. */
  | 'membership_inactive'
  /** An active membership not created by provisioning names a user that does not exist. */
  | 'membership_without_user'
  /** An id in the database is malformed (logged). */
  | 'malformed_id';

export interface ProvisionResult {
  /** `provisioned`: something was created; `existing`: everything was there; `skipped`: nothing could be done. */
  readonly status: 'provisioned' | 'existing' | 'skipped';
  readonly reason: ProvisionSkipReason | null;
  /** Hex ids; null when unknown. */
  readonly organizationId: string | null;
  readonly userId: string | null;
  readonly membershipId: string | null;
  readonly created: { readonly organization: boolean; readonly user: boolean; readonly membership: boolean };
}

const HEX24 = /^[0-9a-fA-F]{24}$/;

function idHex(value: unknown): string | null {
  if (value instanceof ObjectId) return value.toHexString();
  if (typeof value === 'string' && HEX24.test(value)) return value.toLowerCase();
  return null;
}

function isDuplicateKey(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/**
 * An upsert that lost a race on a unique index fails with E11000 (servers before 4.2, or
 * filters the server cannot retry itself); the winner's document exists by then, so running
 * it once more matches it.
 */
async function upsertOnce<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    return run();
  }
}

let silent: Logger | undefined;
const silentLogger = (): Logger => (silent ??= pino({ level: 'silent' }));

interface OrganizationStep {
  id: unknown;
  hex: string;
  created: boolean;
}

async function findOrCreateOrganization(
  db: Db,
  identity: ProvisionIdentity,
  options: ResolvedProvisioningOptions,
  logger: Logger,
  now: Date,
): Promise<OrganizationStep | ProvisionSkipReason> {
  const organizations = db.collection(COLLECTIONS.organizations);
  const { stytchOrgId } = identity;
  const existing = await organizations.findOne({ stytch_org_id: stytchOrgId }, { sort: { _id: 1 }, projection: { _id: 1 } });
  if (existing) {
    const hex = idHex(existing._id);
    if (hex === null) {
      logger.warn({ stytchOrgId }, logText('provisioningMalformedOrgId', stytchOrgId));
      return 'malformed_id';
    }
    return { id: existing._id, hex, created: false };
  }
  if (!options.createOrganizations) {
    logger.debug({ stytchOrgId, stytchMemberId: identity.memberId }, `Provisioning skipped: organization ${stytchOrgId} not found and createOrganizations is off`);
    return 'organization_missing';
  }
  const d = options.organizationDefaults;
  const insert: Document = {
    stytch_org_id: stytchOrgId,
    entitlements: [...d.entitlements],
    subscription_limits: { ...d.subscriptionLimits },
    created_at: now,
    provisioned_by: PROVISIONED_BY,
  };
  if (d.subscriptionTier !== null) insert.subscription_tier = d.subscriptionTier;
  if (identity.orgSlug !== null) insert.slug = identity.orgSlug;
  const result = await upsertOnce(() =>
    organizations.findOneAndUpdate(
      { stytch_org_id: stytchOrgId },
      { $setOnInsert: insert },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true, projection: { _id: 1 } },
    ),
  );
  const doc = result.value;
  const hex = idHex(doc?._id);
  if (!doc || hex === null) throw new Error(`organization upsert for ${stytchOrgId} returned no document`);
  const created = result.lastErrorObject?.upserted !== undefined;
  if (created) {
    logger.info({ stytchOrgId, orgId: hex }, logText('provisionedOrganization', hex, stytchOrgId));
  }
  return { id: doc._id, hex, created };
}

/**
 * Makes sure the member has a user and an active membership in its organization (and the
 * organization itself when `createOrganizations` is on). Idempotent; safe under concurrent
 * calls when the unique index `ayz_member_org_unique` exists (`createProvisioningIndexes`).
 * Sets `users.last_login_at` to now on the member's user. Every creation is logged at INFO.
 * Database errors are thrown.
 */
export function provisionMember(
  db: Db,
  identity: ProvisionIdentity,
  options: Omit<Partial<ProvisioningOptions>, 'enabled'> = {},
  logger: Logger = silentLogger(),
): Promise<ProvisionResult> {
  let resolved: ResolvedProvisioningOptions;
  try {
    resolved = parseProvisioningOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return provisionResolved(db, identity, resolved, logger);
}

/** `provisionMember` with options already resolved (what `Provisioner` calls). */
export async function provisionResolved(
  db: Db,
  identity: ProvisionIdentity,
  resolved: ResolvedProvisioningOptions,
  logger: Logger,
): Promise<ProvisionResult> {
  const now = new Date();
  const M = identity.memberId;
  const O = identity.stytchOrgId;
  const fields = { stytchMemberId: M, stytchOrgId: O };
  const skipped = (reason: ProvisionSkipReason, organizationId: string | null = null, extra: Partial<ProvisionResult> = {}): ProvisionResult =>
    Object.freeze({
      status: 'skipped',
      reason,
      organizationId,
      userId: null,
      membershipId: null,
      created: Object.freeze({ organization: false, user: false, membership: false }),
      ...extra,
    });

  const org = await findOrCreateOrganization(db, identity, resolved, logger, now);
  if (typeof org === 'string') return skipped(org);

  // The membership, by value in either stored id form, in any status.
  const memberships = db.collection(COLLECTIONS.orgMemberships);
  const found = await memberships
    .find({ stytch_member_id: M, organization_id: { $in: [org.id, org.hex, ...(org.id instanceof ObjectId ? [] : [ObjectId.createFromHexString(org.hex)])] } })
    .sort({ _id: 1 })
    .limit(20)
    .toArray();
  let membership: Document | null = found.find((m) => m.status === 'active') ?? null;
  if (membership === null && found.length > 0) {
    logger.warn({ ...fields, orgId: org.hex, status: String(found[0]?.status) }, logText('provisioningMembershipInactive', M, O));
    return skipped('membership_inactive', org.hex, { created: Object.freeze({ organization: org.created, user: false, membership: false }) });
  }

  let membershipCreated = false;
  if (membership === null) {
    // A user of this very Stytch member id (legacy single-org data) gets the membership.
    const legacy = await db.collection(COLLECTIONS.users).findOne({ stytch_member_id: M }, { sort: { _id: 1 }, projection: { _id: 1 } });
    const legacyHex = idHex(legacy?._id);
    const candidate = legacyHex === null ? new ObjectId() : ObjectId.createFromHexString(legacyHex);
    const orgOid = ObjectId.createFromHexString(org.hex);
    const result = await upsertOnce(() =>
      memberships.findOneAndUpdate(
        { stytch_member_id: M, organization_id: orgOid },
        {
          $setOnInsert: {
            stytch_member_id: M,
            organization_id: orgOid,
            user_id: candidate,
            status: 'active',
            created_at: now,
            provisioned_by: PROVISIONED_BY,
          },
        },
        { upsert: true, returnDocument: 'after', includeResultMetadata: true },
      ),
    );
    membership = result.value;
    if (!membership) throw new Error(`membership upsert for ${M} in ${O} returned no document`);
    membershipCreated = result.lastErrorObject?.upserted !== undefined;
    if (membership.status !== 'active') {
      return skipped('membership_inactive', org.hex, { created: Object.freeze({ organization: org.created, user: false, membership: false }) });
    }
  }

  const membershipHex = idHex(membership._id);
  const userHex = idHex(membership.user_id);
  if (userHex === null) {
    logger.warn({ ...fields, orgId: org.hex, membershipId: membershipHex }, logText('provisioningMalformedUserId', M, O));
    return skipped('malformed_id', org.hex, { membershipId: membershipHex });
  }
  if (membershipCreated) {
    logger.info(
      { ...fields, orgId: org.hex, userId: userHex, membershipId: membershipHex },
      logText('provisionedMembership', membershipHex ?? '', M, O, userHex),
    );
  }

  // The user, by the `_id` the membership names: every racer upserts the same document.
  const users = db.collection(COLLECTIONS.users);
  const userOid = ObjectId.createFromHexString(userHex);
  let userCreated = false;
  if (membershipCreated || membership.provisioned_by === PROVISIONED_BY) {
    const insert: Document = { stytch_member_id: M, created_at: now, provisioned_by: PROVISIONED_BY };
    if (identity.memberEmail !== null) insert.email = identity.memberEmail;
    if (identity.memberName !== null) insert.name = identity.memberName;
    const result = await upsertOnce(() =>
      users.updateOne({ _id: userOid }, { $setOnInsert: insert, $set: { last_login_at: now } }, { upsert: true }),
    );
    userCreated = result.upsertedCount === 1;
    if (userCreated) {
      logger.info({ ...fields, orgId: org.hex, userId: userHex, membershipId: membershipHex }, logText('provisionedUser', userHex, M));
    }
  } else {
    // A membership someone else created: its user is theirs to create, never ours to resurrect.
    const result = await users.updateOne({ _id: userOid }, { $set: { last_login_at: now } });
    if (result.matchedCount === 0) {
      logger.warn(
        { ...fields, orgId: org.hex, userId: userHex, membershipId: membershipHex },
        logText('provisioningMembershipWithoutUser', M, O, userHex),
      );
      return skipped('membership_without_user', org.hex, { membershipId: membershipHex });
    }
  }

  const created = Object.freeze({ organization: org.created, user: userCreated, membership: membershipCreated });
  return Object.freeze({
    status: org.created || userCreated || membershipCreated ? 'provisioned' : 'existing',
    reason: null,
    organizationId: org.hex,
    userId: userHex,
    membershipId: membershipHex,
    created,
  });
}
