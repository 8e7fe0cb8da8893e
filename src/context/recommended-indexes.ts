import type { Db, IndexSpecification } from 'mongodb';

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
  { collection: 'organizations', keys: { stytch_org_id: 1 }, name: 'ayz_stytch_org_id', serves: 'round trip 1: the organization' },
  {
    collection: 'user_organization_memberships',
    keys: { stytch_member_id: 1, status: 1, organization_id: 1 },
    name: 'ayz_member_status_org',
    serves: 'round trip 1: the active membership',
  },
  { collection: 'users', keys: { stytch_member_id: 1 }, name: 'ayz_stytch_member_id', serves: 'round trip 1: the fallback user' },
  { collection: 'user_team_memberships', keys: { user_id: 1, status: 1 }, name: 'ayz_user_status', serves: 'round trip 2: team candidates' },
];

/** Creates the recommended indexes (idempotent). Returns the names created or confirmed. */
export async function createRecommendedIndexes(db: Db): Promise<string[]> {
  const names: string[] = [];
  for (const index of RECOMMENDED_INDEXES) {
    names.push(await db.collection(index.collection).createIndex(index.keys, { name: index.name }));
  }
  return names;
}
