/**
 * The loopback server's fault controls, with the real driver on the other end:
 * pause/resume ("MongoDB stopped during a run and came back") and the `failCommand` fail
 * point. These always use a private tier-3 server (startLoopbackMongo), whatever the run's
 * tier, because they stop the server.
 */
import { MongoClient, MongoError } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { type LoopbackMongo, startLoopbackMongo } from '../../tools/mongo-wire-server/harness.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function setup(clientOptions: ConstructorParameters<typeof MongoClient>[1] = {}): Promise<{ mongo: LoopbackMongo; client: MongoClient }> {
  const mongo = await startLoopbackMongo();
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 300, ...clientOptions });
  await client.connect();
  cleanups.push(async () => {
    await client.close(true);
    await mongo.stop();
  });
  return { mongo, client };
}

/** Retries `op` until it succeeds, at most `attempts` times (each failure is bounded by serverSelectionTimeoutMS). */
async function eventually<T>(op: () => Promise<T>, attempts = 40): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await op();
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

const isUnavailable = (e: unknown) => e instanceof MongoError && /ServerSelection|Network|PoolCleared/.test(e.name);

describe('pause / resume', () => {
  it('operations fail while the server is down and work again, with the data, once it is back', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('fault').collection('things');
    await coll.insertOne({ _id: 'kept' } as never);

    await mongo.pause();
    expect(mongo.server.isRunning).toBe(false);
    const failure = await coll.findOne({}).catch((e: unknown) => e);
    expect(isUnavailable(failure)).toBe(true);
    const writeFailure = await coll.insertOne({ _id: 'lost' } as never).catch((e: unknown) => e);
    expect(isUnavailable(writeFailure)).toBe(true);

    await mongo.resume();
    expect(mongo.server.port).toBe(mongo.port); // same address: clients need no new URI
    const docs = await eventually(() => coll.find().toArray());
    expect(docs).toEqual([{ _id: 'kept' }]);
  });

  it('can go down and come back several times', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('fault').collection('cycles');
    for (let i = 0; i < 3; i++) {
      await eventually(() => coll.insertOne({ i }));
      await mongo.pause();
      await expect(coll.countDocuments()).rejects.toSatisfy(isUnavailable);
      await mongo.resume();
    }
    expect(await eventually(() => coll.countDocuments())).toBe(3);
  });
});

describe('failCommand fail point', () => {
  it('fails the next N matching commands with the given error code', async () => {
    const { client } = await setup();
    const coll = client.db('fault').collection('fp');
    await coll.insertOne({ x: 1 });
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], errorCode: 2 } });
    await expect(coll.findOne({})).rejects.toMatchObject({ code: 2 });
    await expect(coll.findOne({}, { projection: { _id: 0 } })).resolves.toEqual({ x: 1 });
  });

  it('closeConnection: a network error the driver retries once for reads', async () => {
    // After a network error the driver re-checks the server at most every 500 ms
    // (minHeartbeatFrequencyMS), so the retry needs a longer server selection timeout.
    const { client, mongo } = await setup({ serverSelectionTimeoutMS: 5_000 });
    const coll = client.db('fault').collection('fp2');
    await coll.insertOne({ x: 1 });
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], closeConnection: true } });
    mongo.clearCommandLog();
    await expect(coll.findOne({}, { projection: { _id: 0 } })).resolves.toEqual({ x: 1 });
    expect(mongo.commandLog.filter((c) => c.command === 'find')).toHaveLength(2);

    const noRetry = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 300, retryReads: false });
    cleanups.push(() => noRetry.close(true));
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['find'], closeConnection: true } });
    await expect(noRetry.db('fault').collection('fp2').findOne({})).rejects.toSatisfy(isUnavailable);
  });

  it('blockConnection delays the reply: a slow server trips the client socket timeout', async () => {
    const { client, mongo } = await setup();
    await client.db('admin').command({
      configureFailPoint: 'failCommand',
      mode: { times: 1 },
      data: { failCommands: ['find'], blockConnection: true, blockTimeMS: 1_000 },
    });
    const impatient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 300, socketTimeoutMS: 100, retryReads: false });
    cleanups.push(() => impatient.close(true));
    await expect(impatient.db('fault').collection('slow').findOne({})).rejects.toMatchObject({ name: 'MongoNetworkTimeoutError' });
  });

  it('mode off clears it', async () => {
    const { client } = await setup();
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'alwaysOn', data: { failCommands: ['count'], errorCode: 91 } });
    await expect(client.db('fault').collection('c').estimatedDocumentCount()).rejects.toMatchObject({ code: 91 });
    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
    await expect(client.db('fault').collection('c').estimatedDocumentCount()).resolves.toBe(0);
  });
});
