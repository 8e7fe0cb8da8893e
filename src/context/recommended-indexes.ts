import type { Db } from 'mongodb';
import { RECOMMENDED_INDEXES } from '../data-model/indexes.js';

export { RECOMMENDED_INDEXES, type RecommendedIndex } from '../data-model/indexes.js';

/** Creates the recommended indexes (idempotent). Returns the names created or confirmed. */
export async function createRecommendedIndexes(db: Db): Promise<string[]> {
  const names: string[] = [];
  for (const index of RECOMMENDED_INDEXES) {
    names.push(await db.collection(index.collection).createIndex(index.keys, { name: index.name }));
  }
  return names;
}
