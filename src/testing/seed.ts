/**
 * Seeds the MongoDB collections the library reads (names as in the shared data model, which
 * the Python ayz-auth reads too). Every helper returns the ObjectIds it created.
 *
 * Optional fields follow one rule so tests can seed legacy or broken documents:
 * a key left out of the input gets a sane default; a key present with the value `undefined`
 * leaves the field out of the document entirely. To seed a malformed value (a number in
 * `entitlements`, a string limit…), put it in `extra`, which is merged over the document last.
 */
import { randomUUID } from 'node:crypto';
import { ObjectId, type Db } from 'mongodb';

/** A document as the helpers build it; `extra` fields are merged over it last. */
export type SeedDocument = Record<string, unknown>;

export { COLLECTIONS } from '../data-model/collections.js';
import { COLLECTIONS } from '../data-model/collections.js';

/** Ids are usually ObjectIds, but production data also holds 24-hex strings; both are stored as given. */
export type IdValue = ObjectId | string;

export interface SeedOrganizationInput {
  stytchOrgId: string;
  /** Default `[]`. */
  entitlements?: string[];
  /** Default `free`. */
  subscriptionTier?: string;
  /** Default `{}`. */
  subscriptionLimits?: Record<string, number>;
  /** Default `Test Organization`. */
  name?: string;
  /** The `_id` to use. Default a new ObjectId. */
  id?: ObjectId;
  extra?: SeedDocument;
}

export interface SeedUserInput {
  /** Default `member-test-<uuid>`. */
  stytchMemberId?: string;
  /** Left out by default (a user who never picked a team); `null` stores null. */
  currentTeamId?: IdValue | null;
  /** Default `<stytchMemberId>@example.test` (or `user-<id>@example.test`). */
  email?: string;
  id?: ObjectId;
  extra?: SeedDocument;
}

export interface SeedOrgMembershipInput {
  userId: IdValue;
  organizationId: IdValue;
  stytchMemberId: string;
  /** Default `active`. */
  status?: string;
  id?: ObjectId;
  extra?: SeedDocument;
}

export interface SeedTeamInput {
  organizationId: IdValue;
  /** Default `Test Team <n>`. */
  name?: string;
  id?: ObjectId;
  extra?: SeedDocument;
}

export interface SeedTeamMembershipInput {
  userId: IdValue;
  teamId: IdValue;
  /** Default `active`. */
  status?: string;
  id?: ObjectId;
  extra?: SeedDocument;
}

function has<T extends object>(input: T, key: keyof T): boolean {
  return Object.prototype.hasOwnProperty.call(input, key);
}

/** Applies the "left out → default, explicit undefined → no field" rule. */
function put<T extends object, K extends keyof T>(
  doc: SeedDocument,
  field: string,
  input: T,
  key: K,
  fallback: () => unknown,
): void {
  if (!has(input, key)) {
    doc[field] = fallback();
  } else if (input[key] !== undefined) {
    doc[field] = input[key];
  }
}

async function insert(db: Db, collection: string, id: ObjectId | undefined, doc: SeedDocument, extra?: SeedDocument): Promise<ObjectId> {
  const _id = id ?? new ObjectId();
  await db.collection(collection).insertOne({ _id, ...doc, ...extra });
  return _id;
}

/**
 * Inserts an `organizations` document (defaults: a name, no entitlements, tier `free`) and
 * returns its ObjectId. A key given as `undefined` leaves the field out; `extra` is merged last.
 *
 * @example
 * const orgId = await seedOrganization(db, { stytchOrgId: 'organization-test-a', entitlements: ['reports'] });
 */
export function seedOrganization(db: Db, input: SeedOrganizationInput): Promise<ObjectId> {
  const doc: SeedDocument = { stytch_org_id: input.stytchOrgId };
  put(doc, 'name', input, 'name', () => 'Test Organization');
  put(doc, 'entitlements', input, 'entitlements', () => []);
  put(doc, 'subscription_tier', input, 'subscriptionTier', () => 'free');
  put(doc, 'subscription_limits', input, 'subscriptionLimits', () => ({}));
  return insert(db, COLLECTIONS.organizations, input.id, doc, input.extra);
}

/** Inserts a `users` document (a member id and an e-mail by default) and returns its ObjectId. */
export function seedUser(db: Db, input: SeedUserInput = {}): Promise<ObjectId> {
  const id = input.id ?? new ObjectId();
  const doc: SeedDocument = {};
  put(doc, 'stytch_member_id', input, 'stytchMemberId', () => `member-test-${randomUUID()}`);
  const handle = typeof doc.stytch_member_id === 'string' ? doc.stytch_member_id : `user-${id.toHexString()}`;
  put(doc, 'email', input, 'email', () => `${handle}@example.test`);
  if (input.currentTeamId !== undefined) doc.current_team_id = input.currentTeamId;
  return insert(db, COLLECTIONS.users, id, doc, input.extra);
}

/** Inserts a `user_organization_memberships` row (status `active` by default) and returns its ObjectId. */
export function seedOrgMembership(db: Db, input: SeedOrgMembershipInput): Promise<ObjectId> {
  const doc: SeedDocument = {
    stytch_member_id: input.stytchMemberId,
    organization_id: input.organizationId,
    user_id: input.userId,
  };
  put(doc, 'status', input, 'status', () => 'active');
  return insert(db, COLLECTIONS.orgMemberships, input.id, doc, input.extra);
}

let teamCounter = 0;

/** Note the reference field is `organization`, not `organization_id`: that is the real schema. */
export function seedTeam(db: Db, input: SeedTeamInput): Promise<ObjectId> {
  const doc: SeedDocument = { organization: input.organizationId };
  put(doc, 'name', input, 'name', () => `Test Team ${++teamCounter}`);
  return insert(db, COLLECTIONS.teams, input.id, doc, input.extra);
}

/** Inserts a `user_team_memberships` row (status `active` by default) and returns its ObjectId. */
export function seedTeamMembership(db: Db, input: SeedTeamMembershipInput): Promise<ObjectId> {
  const doc: SeedDocument = { user_id: input.userId, team_id: input.teamId };
  put(doc, 'status', input, 'status', () => 'active');
  return insert(db, COLLECTIONS.teamMemberships, input.id, doc, input.extra);
}

export interface SeedMemberInput {
  /** Default `member-test-<uuid>`. */
  stytchMemberId?: string;
  /** Reuses the organization with this `stytch_org_id` if one exists. Default `organization-test-<uuid>`. */
  stytchOrgId?: string;
  /** Organization fields, used only when the organization is created (same rules as `seedOrganization`). */
  entitlements?: string[];
  subscriptionTier?: string;
  subscriptionLimits?: Record<string, number>;
  organizationName?: string;
  /** Add the membership to this existing user (a member of several organizations) instead of creating one. */
  userId?: ObjectId;
  email?: string;
  teamName?: string;
  /** Make the new team the user's `current_team_id`. Default true for a new user, false for an existing one. */
  currentTeam?: boolean;
  /** Default `active`. */
  membershipStatus?: string;
  /** Default `active`. */
  teamMembershipStatus?: string;
}

export interface SeededMember {
  stytchMemberId: string;
  stytchOrgId: string;
  organizationId: ObjectId;
  /** False when an organization with `stytchOrgId` already existed and was reused. */
  organizationCreated: boolean;
  userId: ObjectId;
  membershipId: ObjectId;
  teamId: ObjectId;
  teamMembershipId: ObjectId;
}

/** Organization (created or reused) + user + active membership + team + team membership. */
export async function seedMember(db: Db, input: SeedMemberInput = {}): Promise<SeededMember> {
  const stytchMemberId = input.stytchMemberId ?? `member-test-${randomUUID()}`;
  const stytchOrgId = input.stytchOrgId ?? `organization-test-${randomUUID()}`;

  const existing = await db
    .collection(COLLECTIONS.organizations)
    .findOne({ stytch_org_id: stytchOrgId }, { projection: { _id: 1 } });
  let organizationId: ObjectId;
  if (existing !== null) {
    if (!(existing._id instanceof ObjectId)) {
      throw new Error(`seedMember: organization ${stytchOrgId} exists but its _id is not an ObjectId`);
    }
    organizationId = existing._id;
  } else {
    const orgInput: SeedOrganizationInput = { stytchOrgId };
    if (has(input, 'entitlements')) orgInput.entitlements = input.entitlements;
    if (has(input, 'subscriptionTier')) orgInput.subscriptionTier = input.subscriptionTier;
    if (has(input, 'subscriptionLimits')) orgInput.subscriptionLimits = input.subscriptionLimits;
    if (has(input, 'organizationName')) orgInput.name = input.organizationName;
    organizationId = await seedOrganization(db, orgInput);
  }

  const teamId = await seedTeam(db, {
    organizationId,
    ...(input.teamName === undefined ? {} : { name: input.teamName }),
  });

  let userId: ObjectId;
  if (input.userId === undefined) {
    userId = await seedUser(db, {
      stytchMemberId,
      ...(input.email === undefined ? {} : { email: input.email }),
      ...(input.currentTeam === false ? {} : { currentTeamId: teamId }),
    });
  } else {
    userId = input.userId;
    if (input.currentTeam === true) {
      await db.collection(COLLECTIONS.users).updateOne({ _id: userId }, { $set: { current_team_id: teamId } });
    }
  }

  const membershipId = await seedOrgMembership(db, {
    userId,
    organizationId,
    stytchMemberId,
    ...(input.membershipStatus === undefined ? {} : { status: input.membershipStatus }),
  });
  const teamMembershipId = await seedTeamMembership(db, {
    userId,
    teamId,
    ...(input.teamMembershipStatus === undefined ? {} : { status: input.teamMembershipStatus }),
  });

  return {
    stytchMemberId,
    stytchOrgId,
    organizationId,
    organizationCreated: existing === null,
    userId,
    membershipId,
    teamId,
    teamMembershipId,
  };
}
