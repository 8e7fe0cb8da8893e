/**
 * The unique indexes that make provisioning safe under concurrent first requests. Without
 * them two processes racing on a member's first request could both insert a membership
 * (an upsert is only atomic per document; the unique index is what makes the loser match).
 *
 * `users` needs no unique index: a user is only ever created with the `_id` its membership
 * names, and `_id` is always unique.
 */
import { MongoServerError, type Db } from 'mongodb';
import { PROVISIONING_INDEXES, type ProvisioningIndex } from '../data-model/indexes.js';

export { MEMBERSHIP_UNIQUE_INDEX, ORGANIZATION_UNIQUE_INDEX, PROVISIONING_INDEXES, type ProvisioningIndex } from '../data-model/indexes.js';

const INDEX_CONFLICT_CODES = new Set([85, 86]); // IndexOptionsConflict, IndexKeySpecsConflict

/**
 * Creates the unique indexes (idempotent); returns their names. Fails with a message naming
 * the index when existing data holds duplicates (clean them first) or when a non-unique
 * index of the same key exists (drop it first: the unique one replaces it).
 */
export async function createProvisioningIndexes(db: Db, options: { createOrganizations?: boolean } = {}): Promise<string[]> {
  const names: string[] = [];
  for (const index of PROVISIONING_INDEXES) {
    if (index.onlyWithCreateOrganizations && options.createOrganizations === false) continue;
    try {
      names.push(await db.collection(index.collection).createIndex(index.keys, { name: index.name, unique: true }));
    } catch (error) {
      if (error instanceof MongoServerError && (error.code === 11000 || INDEX_CONFLICT_CODES.has(Number(error.code)))) {
        const why =
          error.code === 11000
            ? 'the collection holds duplicates of that key; remove them first'
            : 'a non-unique index with that key or name exists; drop it first (the unique index serves the same lookups)';
        throw new Error(`ayz-auth: cannot create unique index ${index.name} on ${index.collection}: ${why}`, { cause: error });
      }
      throw error;
    }
  }
  return names;
}

/** True when `collection` has a unique index whose key is exactly `keys` (in order). */
export async function hasUniqueIndex(db: Db, index: ProvisioningIndex): Promise<boolean> {
  const wanted = JSON.stringify(index.keys);
  let list: { key?: unknown; unique?: unknown }[];
  try {
    list = await db.collection(index.collection).listIndexes().toArray();
  } catch (error) {
    if (error instanceof MongoServerError && error.code === 26) return false; // NamespaceNotFound
    throw error;
  }
  return list.some((i) => i.unique === true && JSON.stringify(i.key) === wanted);
}
