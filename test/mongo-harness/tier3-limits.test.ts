/**
 * What tier 3 cannot do. Tests needing transactions run on tiers 1–2 (MONGODB_URI of a
 * replica set, or TEST_MONGO_REPLSET=1) and are skipped here by name, with the reason;
 * the loopback server itself refuses transactions exactly like a standalone mongod, and
 * refuses (rather than ignores) what it does not implement, such as collation. Change
 * streams it has (test/mongo-harness/change-streams.test.ts), so those tests run here.
 */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, needsMongo, type TestDb } from '../support/mongo/connect.js';
import { startLoopbackMongo } from '../support/mongo/harness.js';

describe('on the run server', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await connectTestDb('transactions');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('commits a multi-document transaction', async (ctx) => {
    needsMongo(ctx, 'transactions');
    const coll = t.db.collection('tx');
    await coll.insertOne({ _id: 'seed' } as never);
    const session = t.client.startSession();
    try {
      await session.withTransaction(async () => {
        await coll.insertOne({ _id: 'a' } as never, { session });
        await coll.insertOne({ _id: 'b' } as never, { session });
      });
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments()).toBe(3);
  });

  it('a change stream sees an insert', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection('cs');
    const stream = coll.watch();
    try {
      const next = stream.next();
      await coll.insertOne({ _id: 'seen' } as never);
      expect((await next).operationType).toBe('insert');
    } finally {
      await stream.close();
    }
  });
});

describe('the loopback server', () => {
  it('refuses transactions like a standalone mongod (IllegalOperation, code 20)', async () => {
    const mongo = await startLoopbackMongo();
    const client = new MongoClient(mongo.uri);
    try {
      const session = client.startSession();
      const run = session.withTransaction(async () => {
        await client.db('tx').collection('c').insertOne({ x: 1 }, { session });
      });
      // The driver rewords this server error ("does not support retryable writes") and keeps it as originalError.
      await expect(run).rejects.toMatchObject({
        originalError: { code: 20, codeName: 'IllegalOperation', message: 'Transaction numbers are only allowed on a replica set member or mongos' },
      });
      await session.endSession();
    } finally {
      await client.close(true);
      await mongo.stop();
    }
  });

  it('refuses collation instead of silently ignoring it', async () => {
    const mongo = await startLoopbackMongo();
    const client = new MongoClient(mongo.uri);
    try {
      const coll = client.db('coll').collection('c');
      await coll.insertOne({ name: 'A' });
      await expect(coll.find({ name: 'a' }, { collation: { locale: 'en', strength: 2 } }).toArray()).rejects.toMatchObject({
        code: 115,
        message: expect.stringMatching(/^collation is not supported by the loopback test server/),
      });
      await expect(coll.updateOne({ name: 'a' }, { $set: { x: 1 } }, { collation: { locale: 'en', strength: 2 } })).rejects.toMatchObject({ code: 115 });
    } finally {
      await client.close(true);
      await mongo.stop();
    }
  });

  it('refuses what change streams need and it has not (pre- and post-images) with a message naming the limitation', async () => {
    const mongo = await startLoopbackMongo();
    const client = new MongoClient(mongo.uri);
    try {
      const stream = client.db('cs').collection('c').watch([], { fullDocument: 'required' });
      await expect(stream.next()).rejects.toThrow(/^fullDocument: 'required' \(post-images\) is not supported by the loopback test server/);
      await stream.close();
    } finally {
      await client.close(true);
      await mongo.stop();
    }
  });
});
