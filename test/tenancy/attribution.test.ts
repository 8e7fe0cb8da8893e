import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribution } from 'ayz-auth';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { contextOf } from './context-of.js';

describe('attribution', () => {
  it('gives the audit fields of the caller as hex strings, frozen', () => {
    const ctx = contextOf();
    const a = attribution(ctx);
    expect(a).toEqual({
      userId: ctx.mongoUserId,
      orgId: ctx.orgId,
      teamId: ctx.currentTeamId,
      memberId: ctx.memberId,
      memberEmail: ctx.memberEmail,
    });
    expect(Object.keys(a)).toEqual(['userId', 'orgId', 'teamId', 'memberId', 'memberEmail']);
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('keeps unknown ids null (MongoDB off, no team)', () => {
    const a = attribution(contextOf({ mongoUserId: null, orgId: null, currentTeamId: null, memberEmail: null }));
    expect(a).toEqual({ userId: null, orgId: null, teamId: null, memberId: 'member-test-unit', memberEmail: null });
  });

  it('gives ObjectIds on request', () => {
    const ctx = contextOf({ currentTeamId: null });
    const a = attribution(ctx, { ids: 'objectId' });
    expect(a.userId).toBeInstanceOf(ObjectId);
    expect(a.userId?.toHexString()).toBe(ctx.mongoUserId);
    expect(a.orgId?.toHexString()).toBe(ctx.orgId);
    expect(a.teamId).toBeNull();
  });

  it('rejects a missing context', () => {
    expect(() => attribution(undefined as never)).toThrow(TypeError);
  });

  describe('against MongoDB', () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await connectTestDb('tenancy_attr');
    });
    afterAll(() => t.close());

    it('round-trips as audit fields of a written document', async () => {
      const ctx = contextOf();
      const { insertedId } = await t.db
        .collection('notes')
        .insertOne({ text: 'hi', created_by: attribution(ctx), owner: attribution(ctx, { ids: 'objectId' }) });
      const doc = await t.db.collection('notes').findOne({ _id: insertedId });
      expect(doc?.created_by).toEqual({ ...attribution(ctx) });
      expect((doc?.owner as { orgId: ObjectId }).orgId).toEqual(ObjectId.createFromHexString(ctx.orgId!));
    });
  });
});
