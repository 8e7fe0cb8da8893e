/**
 * CRUD, cursors and the other commands the library and its tests use, through the real
 * driver: replies have the shape the driver expects from a server (batches and getMore,
 * counts, findAndModify results, write results), and unknown commands fail like on mongod.
 */
import { type Document, ObjectId, Timestamp } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

// Typed as any: these tests store every BSON shape, which the driver typings cannot describe.
type Loose = any;

let t: TestDb;
beforeAll(async () => {
  t = await connectTestDb('crud_cursors');
});
afterAll(async () => {
  await t?.close();
});

/**
 * `first` then getMores: at least `min` of them. A server may need one more, empty,
 * getMore to find out a cursor is exhausted, so the count is a lower bound (+1).
 */
function expectPaged(first: string, min: number): void {
  const [head, ...rest] = t.commandNames();
  expect(head).toBe(first);
  expect(rest.every((n) => n === 'getMore')).toBe(true);
  expect(rest.length).toBeGreaterThanOrEqual(min);
  expect(rest.length).toBeLessThanOrEqual(min + 1);
}

describe('cursors', () => {
  beforeAll(async () => {
    await t.db.collection<Loose>('seq').insertMany(Array.from({ length: 7 }, (_, i) => ({ _id: i, n: i, even: i % 2 === 0 })));
  });

  it('find with a small batchSize fetches the rest with getMore', async () => {
    t.resetCommands();
    const docs = await t.db.collection<Loose>('seq').find({}, { batchSize: 2 }).sort({ n: -1 }).toArray();
    expect(docs.map((d) => d['n'])).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expectPaged('find', 3);
    expect(t.commands[1]?.command['batchSize']).toBe(2);
  });

  it('aggregate cursors page the same way', async () => {
    t.resetCommands();
    const docs = await t.db
      .collection('seq')
      .aggregate([{ $match: { even: true } }, { $project: { _id: 0, n: 1 } }], { batchSize: 1 })
      .toArray();
    expect(docs).toEqual([{ n: 0 }, { n: 2 }, { n: 4 }, { n: 6 }]);
    expectPaged('aggregate', 3);
  });

  it('skip, limit, sort and projection combine like find on a server', async () => {
    const docs = await t.db.collection<Loose>('seq').find({ n: { $gte: 1 } }, { projection: { n: 1, _id: 0 } }).sort({ n: 1 }).skip(2).limit(3).toArray();
    expect(docs).toEqual([{ n: 3 }, { n: 4 }, { n: 5 }]);
  });

  it('a cursor closed early is killed; later getMore on it fails with CursorNotFound', async () => {
    const cursor = t.db.collection<Loose>('seq').find({}, { batchSize: 2 });
    await cursor.next();
    const id = cursor.id;
    expect(id?.isZero()).toBe(false);
    await cursor.close();
    await expect(t.db.command({ getMore: id, collection: 'seq' })).rejects.toMatchObject({ code: 43 });
  });

  it('findOne asks for one document in a single batch', async () => {
    t.resetCommands();
    expect(await t.db.collection<Loose>('seq').findOne({ n: 3 })).toEqual({ _id: 3, n: 3, even: false });
    expect(t.commands.map((c) => [c.commandName, c.command['limit'], c.command['singleBatch']])).toEqual([['find', 1, true]]);
  });
});

describe('counting', () => {
  it('countDocuments, estimatedDocumentCount and distinct', async () => {
    const c = t.db.collection<Loose>('counted');
    await c.insertMany([{ tag: ['a', 'b'] }, { tag: 'a' }, { tag: 'c' }, {}]);
    expect(await c.countDocuments({ tag: 'a' })).toBe(2);
    expect(await c.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
    expect(await c.estimatedDocumentCount()).toBe(4);
    expect(await c.distinct('tag')).toEqual(['a', 'b', 'c']);
    expect(await t.db.collection<Loose>('nothing_here').countDocuments()).toBe(0);
  });
});

describe('updates', () => {
  it('update operators: $set $unset $inc $push $addToSet $currentDate', async () => {
    const c = t.db.collection<Loose>('ops');
    await c.insertOne({ _id: 'x', a: 1, b: 'drop me', tags: ['t1'], nested: { n: 1 } });
    const before = Date.now();
    const update: Document = {
      $set: { 'nested.m': 2, s: 'set' },
      $unset: { b: '' },
      $inc: { a: 4, fresh: 1 },
      $push: { tags: 't2' },
      $addToSet: { set: { $each: ['u', 'u', 'v'] } },
      $currentDate: { at: true, ts: { $type: 'timestamp' } },
    };
    const r = await c.updateOne({ _id: 'x' }, update);
    expect(r).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    const doc = await c.findOne({ _id: 'x' });
    expect(doc).toMatchObject({ _id: 'x', a: 5, fresh: 1, tags: ['t1', 't2'], nested: { n: 1, m: 2 }, s: 'set', set: ['u', 'v'] });
    expect(doc).not.toHaveProperty('b');
    expect(doc?.['at']).toBeInstanceOf(Date);
    expect((doc?.['at'] as Date).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(doc?.['ts']).toBeInstanceOf(Timestamp);
  });

  it('a conditional update only applies while the condition holds; a no-op is matched but not modified', async () => {
    const c = t.db.collection<Loose>('cond');
    const teamA = new ObjectId();
    const teamB = new ObjectId();
    await c.insertOne({ _id: 'u', current_team_id: teamA });
    const stale = await c.updateOne({ _id: 'u', current_team_id: teamB }, { $set: { current_team_id: new ObjectId() } });
    expect(stale).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
    const same = await c.updateOne({ _id: 'u', current_team_id: teamA }, { $set: { current_team_id: teamA } });
    expect(same).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    const hexOnly = await c.updateOne({ _id: 'u', current_team_id: teamA.toHexString() }, { $set: { x: 1 } });
    expect(hexOnly.matchedCount).toBe(0);
  });

  it('updateMany, replaceOne, upsert from the query equality fields', async () => {
    const c = t.db.collection<Loose>('many');
    await c.insertMany([{ g: 1, v: 1 }, { g: 1, v: 2 }, { g: 2, v: 3 }]);
    expect(await c.updateMany({ g: 1 }, { $inc: { v: 10 } })).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect((await c.find({ g: 1 }).toArray()).map((d) => d['v'])).toEqual([11, 12]);
    const up = await c.updateOne({ g: 9, 'meta.kind': 'new', v: { $gt: 100 } }, { $set: { w: true } }, { upsert: true });
    expect(up.upsertedCount).toBe(1);
    expect(await c.findOne({ _id: up.upsertedId! }, { projection: { _id: 0 } })).toEqual({ g: 9, meta: { kind: 'new' }, w: true });
    const rep = await c.replaceOne({ g: 2 }, { g: 2, replaced: true });
    expect(rep.modifiedCount).toBe(1);
    expect(await c.findOne({ g: 2 }, { projection: { _id: 0 } })).toEqual({ g: 2, replaced: true });
  });

  it('server-side validation errors: _id is immutable, $inc needs numbers', async () => {
    const c = t.db.collection<Loose>('invalid');
    await c.insertOne({ _id: 1, s: 'text' });
    await expect(c.updateOne({ _id: 1 }, { $set: { _id: 2 } })).rejects.toMatchObject({ code: 66 });
    await expect(c.updateOne({ _id: 1 }, { $inc: { s: 1 } })).rejects.toMatchObject({ code: 14 });
    await expect(c.updateOne({ _id: 1 }, { $set: { a: 1 }, $unset: { a: '' } })).rejects.toMatchObject({ code: 40 });
  });

  it('findOneAndUpdate / findOneAndDelete return the before or after document', async () => {
    const c = t.db.collection<Loose>('fam');
    await c.insertMany([{ _id: 1, n: 1, k: 'a' }, { _id: 2, n: 2, k: 'a' }]);
    const before = await c.findOneAndUpdate({ k: 'a' }, { $inc: { n: 100 } }, { sort: { n: -1 } });
    expect(before).toEqual({ _id: 2, n: 2, k: 'a' });
    const after = await c.findOneAndUpdate({ _id: 1 }, { $inc: { n: 100 } }, { returnDocument: 'after', projection: { n: 1 } });
    expect(after).toEqual({ _id: 1, n: 101 });
    const created = await c.findOneAndUpdate({ _id: 3 }, { $set: { k: 'b' } }, { upsert: true, returnDocument: 'after' });
    expect(created).toEqual({ _id: 3, k: 'b' });
    expect(await c.findOneAndUpdate({ _id: 99 }, { $set: { k: 'z' } })).toBeNull();
    expect(await c.findOneAndDelete({ k: 'b' })).toEqual({ _id: 3, k: 'b' });
    expect(await c.countDocuments()).toBe(2);
  });

  it('deleteOne and deleteMany', async () => {
    const c = t.db.collection<Loose>('del');
    await c.insertMany([{ g: 1 }, { g: 1 }, { g: 2 }]);
    expect((await c.deleteOne({ g: 1 })).deletedCount).toBe(1);
    expect((await c.deleteMany({})).deletedCount).toBe(2);
  });
});

describe('aggregation stages beyond the library pipelines', () => {
  it('$unwind, $group with $sum/$first/$push, $count, $replaceRoot, $facet, $skip, $unset', async () => {
    const c = t.db.collection<Loose>('orders');
    await c.insertMany([
      { _id: 1, cust: 'a', items: [{ sku: 'x', q: 1 }, { sku: 'y', q: 2 }] },
      { _id: 2, cust: 'b', items: [{ sku: 'x', q: 5 }] },
      { _id: 3, cust: 'a', items: [] },
    ]);
    const grouped = await c
      .aggregate([
        { $unwind: '$items' },
        { $group: { _id: '$items.sku', total: { $sum: '$items.q' }, first: { $first: '$cust' }, custs: { $push: '$cust' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(grouped).toEqual([
      { _id: 'x', total: 6, first: 'a', custs: ['a', 'b'] },
      { _id: 'y', total: 2, first: 'a', custs: ['a'] },
    ]);
    expect(await c.aggregate([{ $match: { cust: 'a' } }, { $count: 'n' }]).toArray()).toEqual([{ n: 2 }]);
    const firstItems = await c
      .aggregate([{ $sort: { _id: 1 } }, { $skip: 1 }, { $replaceRoot: { newRoot: { $ifNull: [{ $arrayElemAt: ['$items', 0] }, { none: true }] } } }])
      .toArray();
    expect(firstItems).toEqual([{ sku: 'x', q: 5 }, { none: true }]);
    const [facets] = await c
      .aggregate([
        {
          $facet: {
            sizes: [{ $project: { n: { $size: '$items' } } }, { $sort: { _id: 1 } }, { $unset: '_id' }],
            big: [{ $match: { $expr: { $gt: [{ $size: { $filter: { input: '$items', cond: { $gte: ['$$this.q', 2] } } } }, 0] } } }, { $project: { _id: 1 } }],
          },
        },
      ])
      .toArray();
    expect(facets).toEqual({ sizes: [{ n: 2 }, { n: 1 }, { n: 0 }], big: expect.arrayContaining([{ _id: 1 }, { _id: 2 }]) });
    expect((facets?.['big'] as unknown[]).length).toBe(2);
  });

  it('$lookup with localField/foreignField and a pipeline filters the joined documents first', async () => {
    await t.db.collection<Loose>('lk_left').insertMany([{ _id: 1, k: 'a' }, { _id: 2, k: 'b' }]);
    await t.db.collection<Loose>('lk_right').insertMany([
      { _id: 10, k: 'a', on: true },
      { _id: 11, k: 'a', on: false },
      { _id: 12, k: 'b', on: false },
    ]);
    const out = await t.db
      .collection('lk_left')
      .aggregate([
        { $lookup: { from: 'lk_right', localField: 'k', foreignField: 'k', pipeline: [{ $match: { on: true } }, { $project: { _id: 1 } }], as: 'r' } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, k: 'a', r: [{ _id: 10 }] },
      { _id: 2, k: 'b', r: [] },
    ]);
  });

  it('an unknown stage fails like on a server', async () => {
    await expect(t.db.collection<Loose>('orders').aggregate([{ $nope: {} }]).toArray()).rejects.toMatchObject({ code: 40324 });
  });
});

describe('collections and databases', () => {
  it('create, listCollections, drop, listDatabases, dropDatabase', async () => {
    const other = t.client.db(`${t.dbName}_b`);
    await other.createCollection('c1');
    await expect(other.createCollection('c1')).rejects.toMatchObject({ code: 48 });
    await other.collection('c2').insertOne({ x: 1 });
    const names = (await other.listCollections().toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['c1', 'c2']);
    expect((await other.listCollections({ name: 'c2' }, { nameOnly: true }).toArray()).map((c) => c.name)).toEqual(['c2']);
    // Paged: getMore on the `$cmd.listCollections` cursor namespace.
    expect((await other.listCollections({}, { batchSize: 1 }).toArray()).length).toBe(2);
    expect(await other.collection('c1').drop()).toBe(true);
    const dbs = await t.client.db('admin').admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain(`${t.dbName}_b`);
    expect(await other.dropDatabase()).toBe(true);
    expect(await other.listCollections().toArray()).toEqual([]);
  });
});

describe('unsupported commands', () => {
  it('answer CommandNotFound (59) like mongod', async () => {
    const e = await t.db.command({ definitelyNotACommand: 1 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 59, codeName: 'CommandNotFound', errmsg: "no such command: 'definitelyNotACommand'" });
  });
});
