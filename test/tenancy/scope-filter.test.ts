import fc from 'fast-check';
import { ObjectId, type Db } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, DEFAULT_SCOPE_FIELDS, scopeClause, scopeFilter, type AuthContext } from 'ayz-auth';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { contextOf } from './context-of.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('scopeFilter: shape', () => {
  const ctx = contextOf();

  it('puts the caller’s filter and the scope side by side under $and (never spread)', () => {
    const filter = { status: 'open', $or: [{ owner: 'someone-else' }, {}] };
    const scoped = scopeFilter(ctx, filter, { by: 'org' });
    expect(scoped).toEqual({
      $and: [filter, { organization_id: { $in: [ObjectId.createFromHexString(ctx.orgId!), ctx.orgId] } }],
    });
    expect(scoped.$and[0]).toBe(filter); // the caller's object, untouched
    expect(Object.keys(scoped)).toEqual(['$and']);
  });

  it('keeps an empty filter as {} next to the scope', () => {
    expect(scopeFilter(ctx, {}, { by: 'user' })).toEqual({
      $and: [{}, { user_id: { $in: [ObjectId.createFromHexString(ctx.mongoUserId!), ctx.mongoUserId] } }],
    });
  });

  it('defaults the fields by scope and lets the service name its own', () => {
    expect(DEFAULT_SCOPE_FIELDS).toEqual({ org: 'organization_id', team: 'team_id', user: 'user_id' });
    expect(Object.keys(scopeClause(ctx, { by: 'team' }))).toEqual(['team_id']);
    expect(Object.keys(scopeClause(ctx, { by: 'org', field: 'tenant.org' }))).toEqual(['tenant.org']);
  });

  it('matches the id as ObjectId and hex string by default, or in one form when told', () => {
    const hex = ctx.orgId!;
    expect(scopeClause(ctx, { by: 'org', idForm: 'objectId' })).toEqual({ organization_id: ObjectId.createFromHexString(hex) });
    expect(scopeClause(ctx, { by: 'org', idForm: 'string' })).toEqual({ organization_id: hex });
  });

  it('refuses to scope by team without a current team: AuthError team_required (400)', () => {
    const error = thrown(() => scopeFilter(contextOf({ currentTeamId: null }), {}, { by: 'team' }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'team_required', status: 400 });
  });

  it.each([
    ['org', { orgId: null }],
    ['user', { mongoUserId: null }],
  ] as const)('refuses to scope by %s when the directory does not know it: AuthError tenant_unknown (403)', (by, missing) => {
    const error = thrown(() => scopeFilter(contextOf(missing), { a: 1 }, { by }));
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'tenant_unknown', status: 403 });
    expect((error as AuthError).body).toMatchObject({ error: 'tenant_unknown', scope: by });
  });

  it('never scopes by a malformed id (a context forged outside the library)', () => {
    expect(() => scopeFilter(contextOf({ orgId: 'not-an-id' }), {}, { by: 'org' })).toThrow(AuthError);
    expect(() => scopeFilter(contextOf({ orgId: '' }), {}, { by: 'org' })).toThrow(AuthError);
  });

  it('rejects bad arguments as programming errors (TypeError)', () => {
    expect(() => scopeFilter(ctx, null as never, { by: 'org' })).toThrow(TypeError);
    expect(() => scopeFilter(ctx, [] as never, { by: 'org' })).toThrow(TypeError);
    expect(() => scopeFilter(ctx, {}, { by: 'tenant' as never })).toThrow(TypeError);
    expect(() => scopeFilter(ctx, {}, undefined as never)).toThrow(TypeError);
    expect(() => scopeFilter(ctx, {}, { by: 'org', field: '$where' })).toThrow(TypeError);
    expect(() => scopeFilter(ctx, {}, { by: 'org', field: '' })).toThrow(TypeError);
    expect(() => scopeFilter(ctx, {}, { by: 'org', idForm: 'number' as never })).toThrow(TypeError);
    expect(() => scopeFilter(null as never, {}, { by: 'org' })).toThrow(TypeError);
  });
});

describe('scopeFilter: isolation against MongoDB', () => {
  let t: TestDb;
  let db: Db;
  const orgA = new ObjectId();
  const orgB = new ObjectId();
  const teamA1 = new ObjectId();
  const teamA2 = new ObjectId();
  const userA = new ObjectId();
  const userB = new ObjectId();
  const ctxA = contextOf({ orgId: orgA.toHexString(), currentTeamId: teamA1.toHexString(), mongoUserId: userA.toHexString() });
  const ctxB = contextOf({ orgId: orgB.toHexString(), currentTeamId: null, mongoUserId: userB.toHexString() });

  beforeAll(async () => {
    t = await connectTestDb('tenancy_scope');
    db = t.db;
    // Both stored id forms, as production data holds them.
    await db.collection('projects').insertMany([
      { name: 'a-oid', organization_id: orgA, team_id: teamA1, user_id: userA, status: 'open' },
      { name: 'a-hex', organization_id: orgA.toHexString(), team_id: teamA2.toHexString(), user_id: userA.toHexString(), status: 'open' },
      { name: 'a-closed', organization_id: orgA, team_id: teamA1, user_id: userA, status: 'closed' },
      { name: 'b-oid', organization_id: orgB, user_id: userB, status: 'open' },
      { name: 'b-hex', organization_id: orgB.toHexString(), user_id: userB.toHexString(), status: 'open' },
      { name: 'unscoped', status: 'open' },
    ]);
  });
  afterAll(() => t.close());

  const names = async (filter: object) =>
    (await db.collection('projects').find(filter).toArray()).map((d) => d.name as string).sort();

  it('returns only the documents of the caller’s organization, in both id forms', async () => {
    expect(await names(scopeFilter(ctxA, { status: 'open' }, { by: 'org' }))).toEqual(['a-hex', 'a-oid']);
    expect(await names(scopeFilter(ctxB, {}, { by: 'org' }))).toEqual(['b-hex', 'b-oid']);
  });

  it('org A’s data never comes back through org B’s scoped filter, whatever the caller’s filter says', async () => {
    const hostile = [
      { $or: [{}, { name: 'a-oid' }] },
      { name: { $regex: '^a-' } },
      { $nor: [{ status: 'closed' }] },
      { $expr: { $eq: [1, 1] } },
    ];
    for (const filter of hostile) {
      const found = await names(scopeFilter(ctxB, filter, { by: 'org' }));
      expect(found.filter((n) => n.startsWith('a-') || n === 'unscoped'), JSON.stringify(filter)).toEqual([]);
    }
    // A filter that names the tenant field itself never reaches the database.
    for (const filter of [
      { organization_id: orgA },
      { organization_id: { $in: [orgA, orgA.toHexString()] } },
      { $or: [{ organization_id: orgA }, { status: 'open' }] },
      { $nor: [{ organization_id: orgB }] },
    ]) {
      expect(() => scopeFilter(ctxB, filter, { by: 'org' }), JSON.stringify(filter)).toThrow(TypeError);
    }
  });

  it('scopes by team and by user; nesting combines scopes', async () => {
    expect(await names(scopeFilter(ctxA, {}, { by: 'team' }))).toEqual(['a-closed', 'a-oid']);
    expect(await names(scopeFilter(ctxB, {}, { by: 'user' }))).toEqual(['b-hex', 'b-oid']);
    const both = scopeFilter(ctxA, scopeFilter(ctxA, { status: 'open' }, { by: 'org' }), { by: 'team' });
    expect(await names(both)).toEqual(['a-oid']);
  });

  it('types: a scoped filter is accepted by a typed collection', async () => {
    interface Project {
      name: string;
      organization_id: ObjectId | string;
      status: string;
    }
    const projects = db.collection<Project>('projects');
    const found = await projects.find(scopeFilter(ctxA, { status: 'open' }, { by: 'org' })).toArray();
    expect(found.map((p) => p.name).sort()).toEqual(['a-hex', 'a-oid']);
    expect(await projects.countDocuments(scopeFilter(ctxB, {}, { by: 'org' }))).toBe(2);
  });

  it('one id form only when asked', async () => {
    expect(await names(scopeFilter(ctxA, {}, { by: 'org', idForm: 'objectId' }))).toEqual(['a-closed', 'a-oid']);
    expect(await names(scopeFilter(ctxA, {}, { by: 'org', idForm: 'string' }))).toEqual(['a-hex']);
  });

  it('works for updates and deletes too: B cannot touch A', async () => {
    const update = await db.collection('projects').updateMany(scopeFilter(ctxB, { name: /^a-/ }, { by: 'org' }), { $set: { hacked: true } });
    expect(update.matchedCount).toBe(0);
    const del = await db.collection('projects').deleteMany(scopeFilter(ctxB, { name: /^a-/ }, { by: 'org' }));
    expect(del.deletedCount).toBe(0);
    expect(await db.collection('projects').countDocuments({ organization_id: { $in: [orgA, orgA.toHexString()] } })).toBe(3);
  });

  it('property: for any documents spread over three orgs (any id form) and any caller filter, a scoped query returns only its org’s', async () => {
    const orgs = [new ObjectId(), new ObjectId(), new ObjectId()];
    const ctxs: AuthContext[] = orgs.map((o) => contextOf({ orgId: o.toHexString() }));
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ org: fc.integer({ min: 0, max: 2 }), hex: fc.boolean(), v: fc.integer({ min: 0, max: 3 }) }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 2 }),
        fc.oneof(
          fc.constant({}),
          fc.integer({ min: 0, max: 3 }).map((v) => ({ v })),
          fc.integer({ min: 0, max: 2 }).map((o) => ({ org: o })),
          fc.integer({ min: 0, max: 2 }).map((o) => ({ $or: [{ org: o }, { v: { $gte: 0 } }] })),
        ),
        async (docs, who, callerFilter) => {
          const coll = db.collection(`prop_${round++}`);
          if (docs.length > 0) {
            await coll.insertMany(docs.map((d) => ({ organization_id: d.hex ? orgs[d.org]!.toHexString() : orgs[d.org], v: d.v, org: d.org })));
          }
          const found = await coll.find(scopeFilter(ctxs[who]!, callerFilter, { by: 'org' })).toArray();
          expect(found.every((d) => d.org === who)).toBe(true);
          await coll.drop().catch(() => undefined);
        },
      ),
      { numRuns: 25 },
    );
  });
});
