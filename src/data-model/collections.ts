/**
 * The MongoDB collections the library reads and writes, by the names the Python library uses
 * (shared data: the names are exact). Every query, write, index and seeder names a collection
 * through this table, so a rename is one line here.
 */
export const COLLECTIONS = {
  organizations: 'organizations',
  users: 'users',
  orgMemberships: 'user_organization_memberships',
  teams: 'teams',
  teamMemberships: 'user_team_memberships',
} as const;

export type CollectionKey = keyof typeof COLLECTIONS;

/** The fields of each collection the context reads, and those it may write (the README's table). */
export interface CollectionFields {
  readonly read: readonly string[];
  readonly written: readonly string[];
}

export const COLLECTION_FIELDS: { readonly [K in CollectionKey]: CollectionFields } = {
  organizations: { read: ['_id', 'stytch_org_id', 'entitlements', 'subscription_tier', 'subscription_limits'], written: [] },
  orgMemberships: { read: ['stytch_member_id', 'organization_id', 'user_id', 'status'], written: [] },
  users: { read: ['_id', 'stytch_member_id', 'current_team_id'], written: ['current_team_id'] },
  teams: { read: ['_id', 'organization', 'name'], written: [] },
  teamMemberships: { read: ['user_id', 'team_id', 'status', '_id'], written: [] },
};

/** The only membership status that counts, in both membership collections. */
export const ACTIVE_STATUS = 'active';
