import type { IndexSpecification } from 'mongodb';
import { COLLECTIONS } from './collections.js';

export interface RecommendedIndex {
  readonly collection: string;
  readonly keys: IndexSpecification;
  readonly name: string;
  /** Which query of the library it serves. */
  readonly serves: string;
}

/**
 * The indexes the two round trips need. The library never creates them by itself (its
 * database user may be read-only, and index builds are an operator's decision); call
 * `createRecommendedIndexes(db)` from a migration, or create them by hand.
 */
export const RECOMMENDED_INDEXES: readonly RecommendedIndex[] = [
  { collection: COLLECTIONS.organizations, keys: { stytch_org_id: 1 }, name: 'ayz_stytch_org_id', serves: 'round trip 1: the organization' },
  {
    collection: COLLECTIONS.orgMemberships,
    keys: { stytch_member_id: 1, status: 1, organization_id: 1 },
    name: 'ayz_member_status_org',
    serves: 'round trip 1: the active membership',
  },
  { collection: COLLECTIONS.users, keys: { stytch_member_id: 1 }, name: 'ayz_stytch_member_id', serves: 'round trip 1: the fallback user' },
  { collection: COLLECTIONS.teamMemberships, keys: { user_id: 1, status: 1 }, name: 'ayz_user_status', serves: 'round trip 2: team candidates' },
];

/**
 * The unique indexes that make provisioning safe under concurrent first requests (see
 * `createProvisioningIndexes`).
 */
export interface ProvisioningIndex extends RecommendedIndex {
  readonly unique: true;
  /** Only needed with `createOrganizations`. */
  readonly onlyWithCreateOrganizations: boolean;
}

export const MEMBERSHIP_UNIQUE_INDEX: ProvisioningIndex = Object.freeze({
  collection: COLLECTIONS.orgMemberships,
  keys: { stytch_member_id: 1, organization_id: 1 } as IndexSpecification,
  name: 'ayz_member_org_unique',
  unique: true,
  onlyWithCreateOrganizations: false,
  serves: 'provisioning: one membership per Stytch member and organization',
});

/**
 * Same key as the recommended (non-unique) `ayz_stytch_org_id`, and the same name: MongoDB
 * allows one index per key pattern, and the unique one serves round trip 1 just as well.
 */
export const ORGANIZATION_UNIQUE_INDEX: ProvisioningIndex = Object.freeze({
  collection: COLLECTIONS.organizations,
  keys: { stytch_org_id: 1 } as IndexSpecification,
  name: 'ayz_stytch_org_id',
  unique: true,
  onlyWithCreateOrganizations: true,
  serves: 'provisioning: one organization per Stytch organization',
});

export const PROVISIONING_INDEXES: readonly ProvisioningIndex[] = Object.freeze([MEMBERSHIP_UNIQUE_INDEX, ORGANIZATION_UNIQUE_INDEX]);
