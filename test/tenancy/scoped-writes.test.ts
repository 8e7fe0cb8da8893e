import { ObjectId, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, scopedInsert, scopedUpdate, scopeFilter } from 'ayz-auth';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { contextOf } from './context-of.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const orgA = new ObjectId();
const orgB = new ObjectId();
const ctxA = contextOf({ orgId: orgA.toHexString() });
const ctxB = contextOf({ orgId: orgB.toHexString() });
const inOrg = (org: ObjectId) => ({ organization_id: { $in: [org, org.toHexString()] } });

describe('scoped writes against MongoDB: upserts stay in the caller’s tenant', () => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await connectTestDb('tenancy_writes');
    db = t.db;
  });
  afterAll(() => t.close());

  it('an upsert through scopeFilter cannot seed another org’s id from the caller’s filter', async () => {
    const projects = db.collection('escape_filter');
    const error = await (async () => {
      try {
        await projects.updateOne(scopeFilter(ctxA, { name: 'escape', organization_id: orgB }, { by: 'org' }), { $set: { v: 1 } }, { upsert: true });
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TypeError);
    expect(await projects.countDocuments(inOrg(orgB))).toBe(0);
    expect(await projects.countDocuments({})).toBe(0);
  });

  it('an upsert by _id through scopedUpdate inserts a document of the caller’s org (ObjectId form), found by scoped reads only', async () => {
    const projects = db.collection('upsert_by_id');
    const id = new ObjectId();
    const { filter, update } = scopedUpdate(ctxA, { _id: id }, { $set: { v: 1 } }, { by: 'org' });
    const result = await projects.updateOne(filter, update, { upsert: true });
    expect(result.upsertedCount).toBe(1);
    const stored = await projects.findOne({ _id: id });
    expect(stored?.['organization_id']).toBeInstanceOf(ObjectId);
    expect((stored?.['organization_id'] as ObjectId).equals(orgA)).toBe(true);
    expect(await projects.countDocuments(scopeFilter(ctxA, { _id: id }, { by: 'org' }))).toBe(1);
    expect(await projects.countDocuments(scopeFilter(ctxB, { _id: id }, { by: 'org' }))).toBe(0);
    // Every document in the collection has a tenant.
    expect(await projects.countDocuments({ organization_id: { $exists: false } })).toBe(0);
  });

  it('a second scoped upsert updates the same document and keeps its tenant', async () => {
    const projects = db.collection('upsert_twice');
    const a = scopedUpdate(ctxA, { name: 'p' }, { $set: { v: 1 }, $setOnInsert: { created: true } }, { by: 'org' });
    await projects.updateOne(a.filter, a.update, { upsert: true });
    const again = scopedUpdate(ctxA, { name: 'p' }, { $set: { v: 2 } }, { by: 'org' });
    const second = await projects.updateOne(again.filter, again.update, { upsert: true });
    expect(second.matchedCount).toBe(1);
    const docs = await projects.find({}).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ name: 'p', v: 2, created: true });
    expect((docs[0]!['organization_id'] as ObjectId).equals(orgA)).toBe(true);
  });

  it('org B’s scoped upsert of the same name creates B’s own document and leaves A’s untouched', async () => {
    const projects = db.collection('upsert_two_orgs');
    const a = scopedUpdate(ctxA, { name: 'shared-name' }, { $set: { owner: 'a' } }, { by: 'org' });
    await projects.updateOne(a.filter, a.update, { upsert: true });
    const b = scopedUpdate(ctxB, { name: 'shared-name' }, { $set: { owner: 'b' } }, { by: 'org' });
    await projects.updateOne(b.filter, b.update, { upsert: true });
    expect(await projects.findOne(scopeFilter(ctxA, {}, { by: 'org' }))).toMatchObject({ owner: 'a' });
    expect(await projects.findOne(scopeFilter(ctxB, {}, { by: 'org' }))).toMatchObject({ owner: 'b' });
    expect(await projects.countDocuments({})).toBe(2);
  });

  it('B upserting A’s _id fails (duplicate key) instead of touching A’s document', async () => {
    const projects = db.collection('upsert_foreign_id');
    const id = new ObjectId();
    const a = scopedUpdate(ctxA, { _id: id }, { $set: { v: 'a' } }, { by: 'org' });
    await projects.updateOne(a.filter, a.update, { upsert: true });
    const b = scopedUpdate(ctxB, { _id: id }, { $set: { v: 'b' } }, { by: 'org' });
    await expect(projects.updateOne(b.filter, b.update, { upsert: true })).rejects.toMatchObject({ code: 11000 });
    const stored = await projects.findOne({ _id: id });
    expect(stored).toMatchObject({ v: 'a' });
    expect((stored!['organization_id'] as ObjectId).equals(orgA)).toBe(true);
  });

  it('honours a dotted field and the string id form', async () => {
    const projects = db.collection('upsert_dotted');
    const opts = { by: 'org', field: 'tenant.org', idForm: 'string' } as const;
    const { filter, update } = scopedUpdate(ctxA, { name: 'n' }, { $set: { v: 1 } }, opts);
    await projects.updateOne(filter, update, { upsert: true });
    const stored = await projects.findOne({ name: 'n' });
    expect(stored?.['tenant']).toEqual({ org: orgA.toHexString() });
    expect(await projects.countDocuments(scopeFilter(ctxA, {}, opts))).toBe(1);
    expect(await projects.countDocuments(scopeFilter(ctxB, {}, opts))).toBe(0);
  });

  it('findOneAndUpdate with upsert lands in the caller’s org too', async () => {
    const projects = db.collection('fam_upsert');
    const { filter, update } = scopedUpdate(ctxB, { name: 'f' }, { $inc: { n: 1 } }, { by: 'org' });
    const after = await projects.findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'after' });
    expect((after?.['organization_id'] as ObjectId).equals(orgB)).toBe(true);
  });

  it('scopedInsert stamps the tenant for insertOne and replaceOne (upsert), found by scoped reads', async () => {
    const projects = db.collection('inserts');
    const input = { name: 'i', meta: { a: 1 } };
    await projects.insertOne(scopedInsert(ctxA, input, { by: 'org' }));
    expect(input).toEqual({ name: 'i', meta: { a: 1 } }); // the caller's object is not modified
    expect(await projects.countDocuments(scopeFilter(ctxA, { name: 'i' }, { by: 'org' }))).toBe(1);
    const id = new ObjectId();
    await projects.replaceOne(scopeFilter(ctxB, { _id: id }, { by: 'org' }), scopedInsert(ctxB, { name: 'r' }, { by: 'org' }), { upsert: true });
    const stored = await projects.findOne({ _id: id });
    expect((stored?.['organization_id'] as ObjectId).equals(orgB)).toBe(true);
  });

  it('a typed collection accepts the filter and update of scopedUpdate', async () => {
    interface Project {
      name: string;
      organization_id: ObjectId | string;
      v?: number;
    }
    const projects = db.collection<Project>('typed');
    const { filter, update } = scopedUpdate(ctxA, { name: 't' }, { $set: { v: 3 } }, { by: 'org' });
    await projects.updateOne(filter, update, { upsert: true });
    expect(await projects.countDocuments(scopeFilter(ctxA, { name: 't' }, { by: 'org' }))).toBe(1);
  });
});

describe('the caller’s filter may not name the scope field, in any position', () => {
  const oid = orgB;
  const refused: [string, Document][] = [
    ['top level', { organization_id: oid }],
    ['top level, operator', { organization_id: { $in: [oid] } }],
    ['top level, $exists', { organization_id: { $exists: false } }],
    ['top level, $not', { organization_id: { $not: { $eq: oid } } }],
    ['dotted sub-path', { 'organization_id.x': 1 }],
    ['array index sub-path', { 'organization_id.0': oid }],
    ['$and', { $and: [{ name: 'x' }, { organization_id: oid }] }],
    ['$or', { $or: [{ name: 'x' }, { organization_id: oid }] }],
    ['$nor', { $nor: [{ organization_id: oid }] }],
    ['nested logicals', { $or: [{ $and: [{ $nor: [{ name: 1 }, { 'organization_id.y': 2 }] }] }] }],
    ['$expr field reference', { $expr: { $eq: ['$organization_id', oid] } }],
    ['$expr sub-path reference', { $expr: { $eq: ['$organization_id.x', 1] } }],
    ['$expr deep in arrays', { $expr: { $and: [{ $or: [{ $in: [{ $toString: ['$organization_id'] }, ['a']] }] }] } }],
    ['$expr $$ROOT reference', { $expr: { $eq: ['$$ROOT.organization_id', oid] } }],
    ['$expr $$CURRENT reference', { $expr: { $eq: ['$$CURRENT.organization_id', oid] } }],
    ['$expr $getField', { $expr: { $eq: [{ $getField: 'organization_id' }, oid] } }],
    ['$expr inside $or', { $or: [{ name: 'x' }, { $expr: { $eq: ['$organization_id', oid] } }] }],
    ['$where code', { $where: 'this.organization_id == "x"' }],
    ['$jsonSchema', { $jsonSchema: { properties: { organization_id: { bsonType: 'objectId' } } } }],
  ];

  it.each(refused)('%s: scopeFilter and scopedUpdate throw TypeError naming the place', (_where, filter) => {
    const e1 = thrown(() => scopeFilter(ctxA, filter, { by: 'org' }));
    expect(e1).toBeInstanceOf(TypeError);
    expect(e1).not.toBeInstanceOf(AuthError);
    expect((e1 as Error).message).toContain('organization_id');
    const e2 = thrown(() => scopedUpdate(ctxA, filter, { $set: { v: 1 } }, { by: 'org' }));
    expect(e2).toBeInstanceOf(TypeError);
  });

  it('a field that contains the scope field refuses its parent path and sub-paths', () => {
    const opts = { by: 'org', field: 'tenant.org' } as const;
    expect(() => scopeFilter(ctxA, { tenant: { org: oid } }, opts)).toThrow(TypeError);
    expect(() => scopeFilter(ctxA, { 'tenant.org.x': 1 }, opts)).toThrow(TypeError);
    expect(() => scopeFilter(ctxA, { $expr: { $eq: ['$tenant', {}] } }, opts)).toThrow(TypeError);
    expect(() => scopeFilter(ctxA, { 'tenant.other': 1 }, opts)).not.toThrow();
  });

  it('inside $elemMatch, keys are paths of the array’s elements, not of the document', () => {
    expect(() => scopeFilter(ctxA, { items: { $elemMatch: { organization_id: oid } } }, { by: 'org' })).not.toThrow();
    expect(() => scopeFilter(ctxA, { organization_id: { $elemMatch: { $eq: oid } } }, { by: 'org' })).toThrow(TypeError);
    // A parent of the scope field is refused whatever its condition.
    expect(() => scopeFilter(ctxA, { items: { $elemMatch: { other: 1 } } }, { by: 'org', field: 'items.org' })).toThrow(TypeError);
  });

  it.each([
    ['a longer name sharing the prefix', { organization_idx: 1 }],
    ['a literal string outside $expr', { note: '$organization_id' }],
    ['another field in $expr', { $expr: { $eq: ['$name', 'x'] } }],
    ['another scope’s field', { team_id: new ObjectId() }],
  ] as [string, Document][])('%s is accepted', (_what, filter) => {
    expect(scopeFilter(ctxA, filter, { by: 'org' }).$and[0]).toBe(filter);
  });

  it('scopes still compose by nesting different fields, and nesting the same field twice is refused', () => {
    const ctx = contextOf();
    expect(() => scopeFilter(ctx, scopeFilter(ctx, {}, { by: 'org' }), { by: 'team' })).not.toThrow();
    expect(() => scopeFilter(ctx, scopeFilter(ctx, {}, { by: 'org' }), { by: 'org' })).toThrow(TypeError);
  });
});

describe('scopedUpdate refuses updates that could move a document to another tenant', () => {
  it.each([
    ['$set', { $set: { organization_id: orgB } }],
    ['$set of a sub-path', { $set: { 'organization_id.x': 1 } }],
    ['$unset', { $unset: { organization_id: '' } }],
    ['$rename from it', { $rename: { organization_id: 'old_org' } }],
    ['$rename to it', { $rename: { other: 'organization_id' } }],
    ['$setOnInsert', { $setOnInsert: { organization_id: orgB } }],
    ['$inc', { $inc: { organization_id: 1 } }],
    ['$currentDate', { $currentDate: { organization_id: true } }],
    ['$push', { $push: { 'organization_id.list': 1 } }],
  ] as [string, Document][])('%s of the scope field: TypeError', (_op, update) => {
    const error = thrown(() => scopedUpdate(ctxA, {}, update, { by: 'org' }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('organization_id');
  });

  it('refuses a parent of a dotted scope field', () => {
    expect(() => scopedUpdate(ctxA, {}, { $set: { tenant: { org: orgB } } }, { by: 'org', field: 'tenant.org' })).toThrow(TypeError);
    expect(() => scopedUpdate(ctxA, {}, { $unset: { tenant: '' } }, { by: 'org', field: 'tenant.org' })).toThrow(TypeError);
  });

  it('refuses pipeline updates (they can drop the field without naming it) and replacement documents', () => {
    expect(() => scopedUpdate(ctxA, {}, [{ $project: { name: 1 } }] as never, { by: 'org' })).toThrow(/pipeline/);
    expect(() => scopedUpdate(ctxA, {}, [{ $set: { organization_id: orgB } }] as never, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedUpdate(ctxA, {}, { name: 'replacement' }, { by: 'org' })).toThrow(/replacement/);
    expect(() => scopedUpdate(ctxA, {}, {}, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedUpdate(ctxA, {}, { $setOnInsert: 'x' }, { by: 'org' })).toThrow(TypeError);
  });

  it('keeps the caller’s update and $setOnInsert, adding the tenant', () => {
    const { filter, update } = scopedUpdate(ctxA, { name: 'n' }, { $set: { v: 1 }, $setOnInsert: { created: 1 } }, { by: 'org' });
    expect(filter).toEqual(scopeFilter(ctxA, { name: 'n' }, { by: 'org' }));
    expect(update).toEqual({ $set: { v: 1 }, $setOnInsert: { created: 1, organization_id: orgA } });
  });

  it('inserted id form: ObjectId for both and objectId, hex for string', () => {
    expect(scopedUpdate(ctxA, {}, { $set: { v: 1 } }, { by: 'org', idForm: 'objectId' }).update.$setOnInsert).toEqual({ organization_id: orgA });
    expect(scopedUpdate(ctxA, {}, { $set: { v: 1 } }, { by: 'org', idForm: 'string' }).update.$setOnInsert).toEqual({
      organization_id: orgA.toHexString(),
    });
  });

  it('without a tenant: the same AuthErrors as scopeFilter', () => {
    expect(thrown(() => scopedUpdate(contextOf({ orgId: null }), {}, { $set: { v: 1 } }, { by: 'org' }))).toMatchObject({ code: 'tenant_unknown' });
    expect(thrown(() => scopedUpdate(contextOf({ currentTeamId: null }), {}, { $set: { v: 1 } }, { by: 'team' }))).toMatchObject({
      code: 'team_required',
    });
  });
});

describe('scopedInsert', () => {
  it('refuses a document holding another tenant; accepts the caller’s id in either form and writes the collection’s form', () => {
    expect(() => scopedInsert(ctxA, { organization_id: orgB }, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedInsert(ctxA, { organization_id: orgB.toHexString() }, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedInsert(ctxA, { organization_id: 42 }, { by: 'org' })).toThrow(TypeError);
    expect(scopedInsert(ctxA, { organization_id: orgA.toHexString().toUpperCase() }, { by: 'org' })).toEqual({ organization_id: orgA });
    expect(scopedInsert(ctxA, { organization_id: orgA }, { by: 'org', idForm: 'string' })).toEqual({ organization_id: orgA.toHexString() });
  });

  it('nests a dotted field without touching the caller’s nested object', () => {
    const tenant = { region: 'eu' };
    const doc = scopedInsert(ctxA, { name: 'n', tenant }, { by: 'org', field: 'tenant.org' });
    expect(doc).toEqual({ name: 'n', tenant: { region: 'eu', org: orgA } });
    expect(tenant).toEqual({ region: 'eu' });
    expect(() => scopedInsert(ctxA, { tenant: 'x' }, { by: 'org', field: 'tenant.org' })).toThrow(TypeError);
    expect(() => scopedInsert(ctxA, { tenant: { org: orgB } }, { by: 'org', field: 'tenant.org' })).toThrow(TypeError);
  });

  it('rejects bad arguments as TypeError and a missing tenant as AuthError', () => {
    expect(() => scopedInsert(ctxA, [] as never, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedInsert(ctxA, null as never, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedInsert(null as never, {}, { by: 'org' })).toThrow(TypeError);
    expect(() => scopedInsert(contextOf({ mongoUserId: null }), {}, { by: 'user' })).toThrow(AuthError);
  });
});
