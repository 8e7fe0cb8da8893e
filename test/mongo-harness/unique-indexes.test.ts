/**
 * Unique indexes reject duplicates with the server's E11000 error (code 11000, keyPattern,
 * keyValue), on insert, update, upsert and findOneAndUpdate; and concurrent upserts on a
 * unique key leave exactly one document.
 */
import { MongoBulkWriteError, MongoServerError, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

// Typed as any: these tests store every BSON shape, which the driver typings cannot describe.
type Loose = any;

let t: TestDb;
beforeAll(async () => {
  t = await connectTestDb('unique_indexes');
});
afterAll(async () => {
  await t?.close();
});

async function uniqueColl(name: string, key: Record<string, 1 | -1> = { email: 1 }, options: Record<string, unknown> = {}) {
  const c = t.db.collection<Loose>(name);
  await c.createIndex(key, { unique: true, ...options });
  return c;
}

describe('duplicate keys', () => {
  it('a duplicate insert fails with E11000 naming the index and key', async () => {
    const c = await uniqueColl('users_insert');
    await c.insertOne({ email: 'a@x' });
    const e = await c.insertOne({ email: 'a@x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MongoServerError);
    expect(e).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'a@x' } });
    expect((e as Error).message).toMatch(/^E11000 duplicate key error collection: \S+\.users_insert index: email_1 dup key: \{ email: "a@x" \}$/);
    expect(await c.countDocuments()).toBe(1);
  });

  it('a duplicate _id fails on the _id_ index', async () => {
    const c = t.db.collection<Loose>('ids');
    const _id = new ObjectId();
    await c.insertOne({ _id });
    await expect(c.insertOne({ _id })).rejects.toMatchObject({ code: 11000, keyPattern: { _id: 1 } });
  });

  it('ordered insertMany stops at the first duplicate; unordered goes on', async () => {
    const c = await uniqueColl('users_many');
    const ordered = await c.insertMany([{ email: '1' }, { email: '1' }, { email: '2' }]).catch((x: unknown) => x);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    expect((ordered as MongoBulkWriteError).insertedCount).toBe(1);
    expect(await c.countDocuments()).toBe(1);

    const unordered = await c.insertMany([{ email: '1' }, { email: '3' }, { email: '3' }, { email: '4' }], { ordered: false }).catch((x: unknown) => x);
    expect(unordered).toBeInstanceOf(MongoBulkWriteError);
    const bulk = unordered as MongoBulkWriteError;
    expect(bulk.insertedCount).toBe(2);
    expect(bulk.writeErrors).toHaveLength(2);
    expect(await c.distinct('email')).toEqual(['1', '3', '4']);
  });

  it('an update that would duplicate a key fails and leaves the document unchanged', async () => {
    const c = await uniqueColl('users_update');
    await c.insertMany([{ _id: 1, email: 'a' }, { _id: 2, email: 'b' }]);
    await expect(c.updateOne({ _id: 2 }, { $set: { email: 'a' } })).rejects.toMatchObject({ code: 11000 });
    expect(await c.findOne({ _id: 2 })).toEqual({ _id: 2, email: 'b' });
    // Setting a document's own key again is not a duplicate.
    await expect(c.updateOne({ _id: 1 }, { $set: { email: 'a', n: 1 } })).resolves.toMatchObject({ modifiedCount: 1 });
  });

  it('findOneAndUpdate with upsert reports the duplicate as a command error', async () => {
    const c = await uniqueColl('users_fam');
    await c.insertOne({ email: 'a', k: 1 });
    await expect(c.findOneAndUpdate({ k: 2 }, { $set: { email: 'a' } }, { upsert: true })).rejects.toMatchObject({ code: 11000, codeName: 'DuplicateKey' });
  });

  it('a missing field is indexed as null: two documents without it collide, unless the index is sparse', async () => {
    const plain = await uniqueColl('no_field');
    await plain.insertOne({ other: 1 });
    await expect(plain.insertOne({ other: 2 })).rejects.toMatchObject({ code: 11000, keyValue: { email: null } });
    const sparse = await uniqueColl('no_field_sparse', { email: 1 }, { sparse: true });
    await sparse.insertMany([{ other: 1 }, { other: 2 }]);
    expect(await sparse.countDocuments()).toBe(2);
  });

  it('an ObjectId and its hex string are different keys', async () => {
    const c = await uniqueColl('oid_keys', { ref: 1 });
    const ref = new ObjectId();
    await c.insertMany([{ ref }, { ref: ref.toHexString() }]);
    await expect(c.insertOne({ ref: new ObjectId(ref.toHexString()) })).rejects.toMatchObject({ code: 11000 });
  });

  it('a compound unique index compares the whole key', async () => {
    const c = await uniqueColl('compound', { org: 1, user: 1 });
    await c.insertMany([
      { org: 'a', user: 1 },
      { org: 'a', user: 2 },
      { org: 'b', user: 1 },
    ]);
    await expect(c.insertOne({ org: 'a', user: 1 })).rejects.toMatchObject({ code: 11000, keyValue: { org: 'a', user: 1 } });
  });

  it('building a unique index over duplicates fails', async () => {
    const c = t.db.collection<Loose>('late_index');
    await c.insertMany([{ email: 'x' }, { email: 'x' }]);
    await expect(c.createIndex({ email: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    expect((await c.listIndexes().toArray()).map((i) => i['name'])).toEqual(['_id_']);
  });
});

describe('concurrent upserts on a unique key', () => {
  it('20 racing updateOne upserts leave exactly one document; losers matched it or got 11000', async () => {
    const c = await uniqueColl('race', { k: 1 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => c.updateOne({ k: 'same' }, { $setOnInsert: { createdBy: i }, $inc: { hits: 1 } }, { upsert: true })),
    );
    const fulfilled = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 11000 });
    expect(fulfilled.filter((r) => r.upsertedCount === 1)).toHaveLength(1);
    for (const r of fulfilled) if (r.upsertedCount === 0) expect(r.matchedCount).toBe(1);

    const docs = await c.find({ k: 'same' }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]?.['hits']).toBe(fulfilled.length);
    expect(typeof docs[0]?.['createdBy']).toBe('number');
  });

  it('$setOnInsert applies only when the upsert inserts', async () => {
    const c = t.db.collection<Loose>('set_on_insert');
    const first = await c.updateOne({ k: 1 }, { $setOnInsert: { created: true }, $set: { seen: 1 } }, { upsert: true });
    expect(first.upsertedCount).toBe(1);
    await c.updateOne({ k: 1 }, { $setOnInsert: { created: false }, $set: { seen: 2 } }, { upsert: true });
    const doc = await c.findOne({ k: 1 }, { projection: { _id: 0 } });
    expect(doc).toEqual({ k: 1, created: true, seen: 2 });
  });
});

describe('index management', () => {
  it('listIndexes shows what createIndex made; dropIndex removes it; _id_ cannot be dropped', async () => {
    const c = await uniqueColl('manage', { email: 1 });
    await c.createIndex({ createdAt: -1 }, { name: 'by_created' });
    const indexes = await c.listIndexes().toArray();
    expect(indexes.map((i) => [i['name'], i['key'], i['unique'] ?? false])).toEqual([
      ['_id_', { _id: 1 }, false],
      ['email_1', { email: 1 }, true],
      ['by_created', { createdAt: -1 }, false],
    ]);
    // Creating the same index again is a no-op.
    await expect(c.createIndex({ email: 1 }, { unique: true })).resolves.toBe('email_1');
    await c.dropIndex('by_created');
    expect((await c.listIndexes().toArray()).map((i) => i['name'])).toEqual(['_id_', 'email_1']);
    await expect(c.dropIndex('_id_')).rejects.toMatchObject({ code: 72 });
    await expect(c.dropIndex('nope')).rejects.toMatchObject({ code: 27 });
  });
});
