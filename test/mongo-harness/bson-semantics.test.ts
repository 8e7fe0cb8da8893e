/**
 * BSON-type honesty of the run's MongoDB, through the real driver. On tier 3 these prove
 * the loopback server behaves like mongod; on tiers 1–2 the same assertions hold for the
 * real thing (that is how they were written: from MongoDB's documented semantics).
 */
import { type Document, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

// Typed as any: these tests store every BSON shape, which the driver typings cannot describe.
type Loose = any;

let t: TestDb;
beforeAll(async () => {
  t = await connectTestDb('bson_semantics');
});
afterAll(async () => {
  await t?.close();
});

const ids = (docs: Document[]) => docs.map((d) => d['_id']);

describe('ObjectId versus its hex string', () => {
  const oid = new ObjectId('64b7f0c2a1b2c3d4e5f60718');
  const hex = oid.toHexString();
  const other = new ObjectId('64b7f0c2a1b2c3d4e5f60719');

  beforeAll(async () => {
    await t.db.collection<Loose>('refs').insertMany([
      { _id: 1, ref: oid },
      { _id: 2, ref: hex },
      { _id: 3, ref: other },
      { _id: 4, ref: other.toHexString() },
      { _id: 5, ref: [oid, 'x'] },
      { _id: 6 },
    ]);
  });

  it('an ObjectId matches an ObjectId with the same bytes, never its hex string', async () => {
    const c = t.db.collection<Loose>('refs');
    expect(ids(await c.find({ ref: new ObjectId(hex) }).sort({ _id: 1 }).toArray())).toEqual([1, 5]);
    expect(ids(await c.find({ ref: hex }).toArray())).toEqual([2]);
    expect(ids(await c.find({ ref: { $eq: oid } }).sort({ _id: 1 }).toArray())).toEqual([1, 5]);
    expect(ids(await c.find({ ref: { $ne: oid } }).sort({ _id: 1 }).toArray())).toEqual([2, 3, 4, 6]);
  });

  it('$in with ObjectIds and strings matches each by type', async () => {
    const c = t.db.collection<Loose>('refs');
    const found = await c.find({ ref: { $in: [oid, other.toHexString()] } }).sort({ _id: 1 }).toArray();
    expect(ids(found)).toEqual([1, 4, 5]);
    const none = await c.find({ ref: { $nin: [oid, hex, other, other.toHexString()] } }).sort({ _id: 1 }).toArray();
    expect(ids(none)).toEqual([6]);
  });

  it('$type and $exists tell ObjectId from string', async () => {
    const c = t.db.collection<Loose>('refs');
    expect(ids(await c.find({ ref: { $type: 'objectId' } }).sort({ _id: 1 }).toArray())).toEqual([1, 3, 5]);
    expect(ids(await c.find({ ref: { $type: 'string' } }).sort({ _id: 1 }).toArray())).toEqual([2, 4, 5]);
    expect(ids(await c.find({ ref: { $type: 7 } }).sort({ _id: 1 }).toArray())).toEqual([1, 3, 5]);
    expect(ids(await c.find({ ref: { $type: 'array' } }).toArray())).toEqual([5]);
    expect(ids(await c.find({ ref: { $exists: false } }).toArray())).toEqual([6]);
    expect(ids(await c.find({ ref: null }).toArray())).toEqual([6]);
  });

  it('$expr $in compares by type and $toString gives the hex', async () => {
    const c = t.db.collection<Loose>('refs');
    const docs = await c
      .find({ $expr: { $in: ['$ref', [oid, { $toString: oid }]] } })
      .sort({ _id: 1 })
      .toArray();
    expect(ids(docs)).toEqual([1, 2]);
  });

  it('$lookup never joins an ObjectId to its hex string', async () => {
    const users = t.db.collection<Loose>('lk_users');
    const refs = t.db.collection<Loose>('lk_refs');
    await users.insertMany([{ _id: oid, name: 'oid-user' }, { _id: hex, name: 'hex-user' }]);
    await refs.insertMany([
      { _id: 'by-oid', user: oid },
      { _id: 'by-hex', user: hex },
      { _id: 'by-both', user: [oid, hex] },
      { _id: 'by-none' },
    ]);
    const joined = await refs
      .aggregate<{ _id: string; names: string[] }>([
        { $lookup: { from: 'lk_users', localField: 'user', foreignField: '_id', as: 'u' } },
        { $project: { _id: 1, names: '$u.name' } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    // The order of joined documents is the foreign scan's (index order on a server): compare as sets.
    for (const j of joined) j.names.sort();
    expect(joined).toEqual([
      { _id: 'by-both', names: ['hex-user', 'oid-user'] },
      { _id: 'by-hex', names: ['hex-user'] },
      { _id: 'by-none', names: [] },
      { _id: 'by-oid', names: ['oid-user'] },
    ]);
  });
});

describe('conversions', () => {
  const oid = new ObjectId('650000000000000000000001');

  beforeAll(async () => {
    await t.db.collection<Loose>('conv').insertMany([
      { _id: 1, v: oid },
      { _id: 2, v: oid.toHexString() },
      { _id: 3, v: 'not-an-object-id' },
      { _id: 4, v: null },
      { _id: 5 },
      { _id: 6, v: oid.toHexString().toUpperCase() },
      { _id: 7, v: 'zzzzzzzzzzzzzzzzzzzzzzzz' },
    ]);
  });

  it('$toString, $toObjectId and $convert behave like the server', async () => {
    const out = await t.db
      .collection('conv')
      .aggregate([
        { $match: { _id: { $in: [1, 2] } } },
        {
          $project: {
            s: { $toString: '$v' },
            o: { $toObjectId: '$v' },
            c: { $convert: { input: '$v', to: 'objectId', onError: 'bad', onNull: 'null!' } },
            t: { $type: '$v' },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, s: oid.toHexString(), o: oid, c: oid, t: 'objectId' },
      { _id: 2, s: oid.toHexString(), o: oid, c: oid, t: 'string' },
    ]);
  });

  it('$convert gives onError for malformed ids and onNull for null or missing', async () => {
    const out = await t.db
      .collection('conv')
      .aggregate([
        { $match: { _id: { $in: [3, 4, 5, 6, 7] } } },
        { $project: { c: { $convert: { input: '$v', to: 'objectId', onError: 'bad', onNull: 'null!' } } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 3, c: 'bad' },
      { _id: 4, c: 'null!' },
      { _id: 5, c: 'null!' },
      { _id: 6, c: oid },
      { _id: 7, c: 'bad' },
    ]);
  });

  it('onError/onNull may be null, and without onError a malformed id fails the command (ConversionFailure)', async () => {
    const c = t.db.collection<Loose>('conv');
    const nulls = await c
      .aggregate([
        { $match: { _id: { $in: [3, 5] } } },
        { $project: { c: { $convert: { input: '$v', to: 'objectId', onError: null, onNull: null } } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(nulls).toEqual([
      { _id: 3, c: null },
      { _id: 5, c: null },
    ]);
    await expect(c.aggregate([{ $match: { _id: 3 } }, { $project: { c: { $toObjectId: '$v' } } }]).toArray()).rejects.toMatchObject({
      code: 241,
    });
  });

  it('$toDate of an ObjectId is its timestamp; Dates round-trip as Dates', async () => {
    const when = new Date('2024-05-06T07:08:09.123Z');
    const c = t.db.collection<Loose>('dates');
    await c.insertOne({ _id: 'd', at: when, oid });
    const [doc] = await c.aggregate([{ $project: { at: 1, fromOid: { $toDate: '$oid' }, atType: { $type: '$at' } } }]).toArray();
    expect(doc).toEqual({ _id: 'd', at: when, fromOid: oid.getTimestamp(), atType: 'date' });
    expect(doc?.['at']).toBeInstanceOf(Date);
    expect(await c.countDocuments({ at: { $gt: new Date('2024-01-01') } })).toBe(1);
    expect(await c.countDocuments({ at: { $gt: '2024-01-01' } })).toBe(0); // a string is not a date
  });
});

describe('comparison order', () => {
  const oid = new ObjectId('650000000000000000000abc');
  const date = new Date('2020-01-01T00:00:00Z');
  // One document per BSON type class, in a scrambled insertion order.
  const docs = [
    { _id: 1, v: 'b' },
    { _id: 2, v: true },
    { _id: 3, v: 2.5 },
    { _id: 4, v: oid },
    { _id: 5 },
    { _id: 6, v: { x: 1 } },
    { _id: 7, v: date },
    { _id: 8, v: null },
    { _id: 9, v: [] },
    { _id: 10, v: 'a' },
    { _id: 11, v: false },
    { _id: 12, v: 1 },
    { _id: 13, v: [7, 0.5] },
    { _id: 14, v: /re/ },
  ];

  beforeAll(async () => {
    await t.db.collection<Loose>('order').insertMany(docs);
  });

  it('ascending sort follows BSON order: [] < null = missing < numbers < strings < objects < ObjectId < bool < date < regex', async () => {
    const out = await t.db.collection<Loose>('order').find().sort({ v: 1, _id: 1 }).toArray();
    // [7, 0.5] sorts by its smallest element (0.5) when ascending.
    expect(ids(out)).toEqual([9, 5, 8, 13, 12, 3, 10, 1, 6, 4, 11, 2, 7, 14]);
  });

  it('descending sort uses the largest element of arrays and puts [] last', async () => {
    const out = await t.db.collection<Loose>('order').find().sort({ v: -1, _id: 1 }).toArray();
    expect(ids(out)).toEqual([14, 7, 2, 11, 4, 6, 1, 10, 13, 3, 12, 5, 8, 9]);
  });

  it('the $sort stage uses the same order', async () => {
    const out = await t.db
      .collection('order')
      .aggregate([{ $sort: { v: 1, _id: 1 } }, { $project: { _id: 1 } }])
      .toArray();
    expect(ids(out)).toEqual([9, 5, 8, 13, 12, 3, 10, 1, 6, 4, 11, 2, 7, 14]);
  });

  it('query $gt/$lt compare within a type only; expression comparisons across types', async () => {
    const c = t.db.collection<Loose>('order');
    expect(ids(await c.find({ v: { $gt: 1 } }).sort({ _id: 1 }).toArray())).toEqual([3, 13]);
    expect(ids(await c.find({ v: { $gte: 'a' } }).sort({ _id: 1 }).toArray())).toEqual([1, 10]);
    expect(ids(await c.find({ v: { $lt: oid } }).toArray())).toEqual([]);
    // In expressions, missing < null and the comparison spans types.
    const exprEqNull = await c.find({ $expr: { $eq: ['$v', null] } }).toArray();
    expect(ids(exprEqNull)).toEqual([8]);
    const exprLteNull = await c.find({ $expr: { $lte: ['$v', null] } }).sort({ _id: 1 }).toArray();
    expect(ids(exprLteNull)).toEqual([5, 8]);
    const exprGtString = await c.find({ $expr: { $gt: ['$v', 'zzz'] } }).sort({ _id: 1 }).toArray();
    expect(ids(exprGtString)).toEqual([2, 4, 6, 7, 9, 11, 13, 14]);
  });

  it('$group keys keep ObjectId and string apart', async () => {
    const c = t.db.collection<Loose>('grp');
    await c.insertMany([{ k: oid }, { k: oid }, { k: oid.toHexString() }]);
    const out = await c
      .aggregate([{ $group: { _id: '$k', n: { $sum: 1 } } }, { $sort: { n: -1 } }])
      .toArray();
    expect(out).toEqual([
      { _id: oid, n: 2 },
      { _id: oid.toHexString(), n: 1 },
    ]);
  });
});
