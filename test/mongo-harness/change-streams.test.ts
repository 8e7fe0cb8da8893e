/**
 * Change streams through the official driver's `collection.watch()` / `db.watch()`: what
 * the library's cache eviction will rely on. The first part runs on the run's MongoDB
 * (tier 3's loopback server, or MONGODB_URI of a replica set: driver calls only, so it
 * means the same there); the second starts private loopback servers for what only they
 * can do (drop connections, stop, forget history).
 */
import { type ChangeStream, type ChangeStreamDocument, type CommandStartedEvent, type CommandSucceededEvent, type Document, MongoClient, type ResumeToken } from 'mongodb';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, needsMongo, type TestDb } from '../support/mongo/connect.js';
import { type LoopbackMongo, startLoopbackMongo } from '../support/mongo/harness.js';

// Typed as any: the tests store documents with chosen _id types the driver typings cannot describe.
type Loose = any;

/** The five collections the library's context reads, as it will watch them (one stream per Auth). */
const CONTEXT_COLLECTIONS = ['users', 'teams', 'user_team_memberships', 'user_organization_memberships', 'organizations'];
const CONTEXT_EVENTS: Document[] = [
  {
    $match: {
      $or: [
        { 'ns.coll': { $in: CONTEXT_COLLECTIONS.filter((c) => c !== 'users') } },
        // A user's profile edits do not change a context; a team switch does.
        { 'ns.coll': 'users', operationType: { $ne: 'update' } },
        { 'ns.coll': 'users', 'updateDescription.updatedFields.current_team_id': { $exists: true } },
      ],
    },
  },
];

const tokenData = (t: ResumeToken | undefined): string => (t as { _data: string })._data;

/** A token like `token` but from cluster time (1, 1): before any server's history. */
function ancientToken(token: ResumeToken): ResumeToken {
  const data = tokenData(token);
  expect(data.slice(0, 2)).toBe('82'); // the cluster time leads every resume token
  return { _data: `82${'00000001'}${'00000001'}${data.slice(18)}` };
}

/** Resolves with the first driver command event of `kind` matching `pick`. */
function nextCommand<E extends CommandStartedEvent | CommandSucceededEvent>(
  client: MongoClient,
  kind: 'commandStarted' | 'commandSucceeded',
  pick: (e: E) => boolean,
): Promise<E> {
  return new Promise((resolve) => {
    const listener = (e: E): void => {
      if (!pick(e)) return;
      client.off(kind, listener as never);
      resolve(e);
    };
    client.on(kind, listener as never);
  });
}

/**
 * Asks for the stream's first event and resolves once the server has opened the stream
 * (the first resume token arrived): writes after that are certainly seen. `next` is the
 * pending first event.
 */
async function open(stream: ChangeStream<Loose>): Promise<{ next: Promise<ChangeStreamDocument<Loose>> }> {
  const opened = once(stream, 'resumeTokenChanged');
  const next = stream.next();
  next.catch(() => undefined); // observed by the test when it awaits it
  await opened;
  return { next };
}

const streams: ChangeStream<Loose>[] = [];
function track<T extends ChangeStream<Loose>>(s: T): T {
  streams.push(s);
  return s;
}
afterEach(async () => {
  while (streams.length) await streams.pop()?.close();
});

describe('on the run server (driver only: tier 3, or tier 1 with a replica set)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await connectTestDb('change_streams');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('opens with an aggregate whose first stage is $changeStream, and has a resume token before any event', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('start');
    t.resetCommands();
    const stream = track(coll.watch([], { maxAwaitTimeMS: 50 }));
    expect(await stream.tryNext()).toBeNull();
    const [aggregate, ...rest] = t.commands;
    expect(aggregate?.commandName).toBe('aggregate');
    expect(aggregate?.command['aggregate']).toBe('start');
    expect(aggregate?.command['pipeline']).toEqual([{ $changeStream: {} }]);
    // An awaitData getMore that found nothing within maxTimeMS answers an empty batch, cursor kept.
    expect(rest.map((c) => c.commandName)).toContain('getMore');
    expect(rest.find((c) => c.commandName === 'getMore')?.command['maxTimeMS']).toBe(50);
    expect(stream.closed).toBe(false);
    // The postBatchResumeToken of an empty batch is the stream's resume point.
    expect(tokenData(stream.resumeToken)).toMatch(/^82[0-9A-F]{16}/);
  });

  it('gives one event per insert, update, replace and delete, with the shapes a server gives', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('kinds');
    const stream = track(coll.watch([], { fullDocument: 'updateLookup' }));
    const { next } = await open(stream);
    await coll.insertOne({ _id: 'a', n: 1, x: 'gone soon', profile: { city: 'Lyon', zip: '69001' } });
    await coll.updateOne({ _id: 'a' }, { $set: { n: 2, 'profile.city': 'Paris' }, $unset: { x: '' } });
    await coll.replaceOne({ _id: 'a' }, { n: 3 });
    await coll.deleteOne({ _id: 'a' });

    const events: ChangeStreamDocument<Loose>[] = [await next];
    for (let i = 0; i < 3; i++) events.push(await stream.next());
    expect(events.map((e) => e.operationType)).toEqual(['insert', 'update', 'replace', 'delete']);
    const ns = { db: t.dbName, coll: 'kinds' };
    expect(events[0]).toMatchObject({ ns, documentKey: { _id: 'a' }, fullDocument: { _id: 'a', n: 1, x: 'gone soon', profile: { city: 'Lyon', zip: '69001' } } });
    expect(events[1]).toMatchObject({
      ns,
      documentKey: { _id: 'a' },
      updateDescription: { updatedFields: { n: 2, 'profile.city': 'Paris' }, removedFields: ['x'], truncatedArrays: [] },
    });
    // updateLookup reads the document when the event is read: it has since been deleted.
    expect(events[1]).toHaveProperty('fullDocument', null);
    expect(events[2]).toMatchObject({ ns, documentKey: { _id: 'a' }, fullDocument: { _id: 'a', n: 3 } });
    expect(events[3]).toMatchObject({ ns, documentKey: { _id: 'a' } });
    expect(events[3]).not.toHaveProperty('fullDocument');
    for (const e of events) {
      expect(e).toHaveProperty('clusterTime');
      expect(e).toHaveProperty('wallTime');
    }
    // Every event's _id is a distinct resume token.
    expect(new Set(events.map((e) => tokenData(e._id))).size).toBe(4);
  });

  it('watches the context collections with one database stream, filtered by a $match on events', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    t.resetCommands();
    const stream = track(t.db.watch(CONTEXT_EVENTS));
    const { next } = await open(stream);
    expect(t.commands[0]?.command['aggregate']).toBe(1);
    const db = t.db;
    await db.collection<Loose>('users').insertOne({ _id: 'u1', name: 'Ada', current_team_id: 't1' });
    await db.collection<Loose>('users').updateOne({ _id: 'u1' }, { $set: { name: 'Ada L.' } }); // filtered out
    await db.collection<Loose>('unrelated').insertOne({ _id: 'x' }); // filtered out
    await db.collection<Loose>('users').updateOne({ _id: 'u1' }, { $set: { current_team_id: 't2' } });
    await db.collection<Loose>('teams').insertOne({ _id: 't2', name: 'Blue' });
    await db.collection<Loose>('user_team_memberships').insertOne({ _id: 'm1', user_id: 'u1', team_id: 't2' });
    await db.collection<Loose>('user_organization_memberships').updateOne({ _id: 'om1' }, { $set: { status: 'active' } }, { upsert: true });
    await db.collection<Loose>('organizations').deleteOne({ _id: 'nothing' }); // deletes nothing: no event
    await db.collection<Loose>('organizations').insertOne({ _id: 'o1' });
    await db.collection<Loose>('organizations').deleteOne({ _id: 'o1' });

    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      const e = i === 0 ? await next : await stream.next();
      seen.push(`${'ns' in e && e.ns && 'coll' in e.ns ? e.ns.coll : '?'}:${e.operationType}:${'documentKey' in e ? String(e.documentKey._id) : ''}`);
    }
    expect(seen).toEqual([
      'users:insert:u1',
      'users:update:u1',
      'teams:insert:t2',
      'user_team_memberships:insert:m1',
      'user_organization_memberships:insert:om1', // an upsert that inserts is an insert
      'organizations:insert:o1',
      'organizations:delete:o1',
    ]);
  });

  it('a waiting getMore answers as soon as a write commits (awaitData)', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('await');
    const stream = track(coll.watch([], { maxAwaitTimeMS: 15_000 }));
    const getMoreStarted = nextCommand<CommandStartedEvent>(t.client, 'commandStarted', (e) => e.commandName === 'getMore' && e.command['collection'] === 'await');
    const { next } = await open(stream);
    const started = await getMoreStarted;
    const answered = nextCommand<CommandSucceededEvent>(t.client, 'commandSucceeded', (e) => e.requestId === started.requestId);
    await coll.insertOne({ _id: 'woken' });
    // The getMore that was waiting before the write is the one that carries the event.
    const reply = await answered;
    expect((reply.reply as { cursor: { nextBatch: Document[] } }).cursor.nextBatch.map((e) => e['documentKey'])).toEqual([{ _id: 'woken' }]);
    expect((await next).operationType).toBe('insert');
  });

  it('resumes from a token without losing or repeating events (resumeAfter, startAfter)', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('resume');
    const first = track(coll.watch());
    const { next } = await open(first);
    await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    const one = await next;
    expect(one).toMatchObject({ documentKey: { _id: 1 } });
    await first.close();
    await coll.insertOne({ _id: 4 }); // while no stream is open

    for (const how of ['resumeAfter', 'startAfter'] as const) {
      const resumed = track(coll.watch([], { [how]: one._id }));
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(((await resumed.next()) as Loose).documentKey._id);
      expect(ids).toEqual([2, 3, 4]);
      await resumed.close();
    }
  });

  it('a dropped collection gives drop then invalidate and ends the stream; startAfter the invalidate opens a new one', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('dropped');
    await coll.insertOne({ _id: 'before' });
    const stream = track(coll.watch());
    const { next } = await open(stream);
    await coll.insertOne({ _id: 'x' });
    await coll.drop();
    expect((await next).operationType).toBe('insert');
    const drop = await stream.next();
    expect(drop).toMatchObject({ operationType: 'drop', ns: { db: t.dbName, coll: 'dropped' } });
    const invalidate = await stream.next();
    expect(invalidate.operationType).toBe('invalidate');
    expect(await stream.hasNext().catch(() => false)).toBe(false);

    // resumeAfter an invalidate is refused (InvalidResumeToken); startAfter starts past it.
    const refused = track(coll.watch([], { resumeAfter: invalidate._id }));
    await expect(refused.next()).rejects.toMatchObject({ code: 260 });
    const after = track(coll.watch([], { startAfter: invalidate._id }));
    const recreated = await open(after);
    await coll.insertOne({ _id: 'recreated' });
    expect(await recreated.next).toMatchObject({ operationType: 'insert', documentKey: { _id: 'recreated' } });
  });

  it('a token from before the server history fails with ChangeStreamHistoryLost (286)', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('lost');
    const stream = track(coll.watch());
    const { next } = await open(stream);
    await coll.insertOne({ _id: 1 });
    const event = await next;
    const lost = track(coll.watch([], { resumeAfter: ancientToken(event._id) }));
    await expect(lost.next()).rejects.toMatchObject({ code: 286, codeName: 'ChangeStreamHistoryLost' });
  });

  it('close() kills the server cursor', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const coll = t.db.collection<Loose>('killed');
    const stream = coll.watch();
    await coll.insertOne({ _id: 0 });
    const opened = nextCommand<CommandSucceededEvent>(t.client, 'commandSucceeded', (e) => e.commandName === 'aggregate');
    const pending = stream.next();
    const cursorId = (((await opened).reply as { cursor: { id: unknown } }).cursor.id as { toString(): string }).toString();
    await coll.insertOne({ _id: 1 });
    expect(await pending).toMatchObject({ documentKey: { _id: 1 } });
    const killed = nextCommand<CommandSucceededEvent>(t.client, 'commandSucceeded', (e) => e.commandName === 'killCursors');
    await stream.close();
    const reply = (await killed).reply as { cursorsKilled: Array<{ toString(): string }> };
    expect(reply.cursorsKilled.map(String)).toEqual([cursorId]);
  });

  it('refuses $changeStream anywhere but first (40602)', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    await expect(t.db.collection('misplaced').aggregate([{ $match: {} }, { $changeStream: {} }]).toArray()).rejects.toMatchObject({ code: 40602 });
  });
});

describe('the loopback server (private instances)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (streams.length) await streams.pop()?.close();
    while (cleanups.length) await cleanups.pop()?.();
  });

  async function setup(opts: { changeStreams?: boolean } = {}): Promise<{ mongo: LoopbackMongo; client: MongoClient }> {
    const mongo = await startLoopbackMongo(opts);
    // After a network error the driver re-checks the server at most every 500 ms, so
    // resuming needs a server selection timeout longer than that.
    const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 5_000, monitorCommands: true });
    await client.connect();
    cleanups.push(async () => {
      await client.close(true);
      await mongo.stop();
    });
    return { mongo, client };
  }

  /** Resolves when a change stream reopened with resumeAfter has been answered by the server. */
  async function resumedAggregate(client: MongoClient): Promise<void> {
    const started = await nextCommand<CommandStartedEvent>(
      client,
      'commandStarted',
      (e) => e.commandName === 'aggregate' && ((e.command['pipeline'] as Document[])[0]?.['$changeStream'] as Document | undefined)?.['resumeAfter'] !== undefined,
    );
    await nextCommand<CommandSucceededEvent>(client, 'commandSucceeded', (e) => e.requestId === started.requestId);
  }

  const aggregatesWith = (mongo: LoopbackMongo, field: string): Document[] =>
    mongo.commandLog
      .filter((c) => c.command === 'aggregate')
      .map((c) => ((c.body['pipeline'] as Document[])[0] as Document)['$changeStream'] as Document)
      .filter((spec) => spec !== undefined && spec[field] !== undefined);

  it('the driver resumes from its token after the connection drops mid-getMore: nothing lost, nothing repeated', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('cs').collection<Loose>('resume');
    const stream = track(coll.watch([], { maxAwaitTimeMS: 15_000 }));
    const first = await open(stream);
    await coll.insertOne({ _id: 1 });
    expect(await first.next).toMatchObject({ documentKey: { _id: 1 } });

    await client.db('admin').command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['getMore'], closeConnection: true } });
    const resumed = resumedAggregate(client);
    const next = stream.next(); // its getMore is dropped; the driver reopens with resumeAfter
    await resumed; // (the dropped connection cleared the pool: a write before this could fail)
    await coll.insertMany([{ _id: 2 }, { _id: 3 }]);
    expect(await next).toMatchObject({ documentKey: { _id: 2 } });
    expect(await stream.next()).toMatchObject({ documentKey: { _id: 3 } });
    expect(aggregatesWith(mongo, 'resumeAfter')).toHaveLength(1);
  });

  it('the driver resumes after the server stops and comes back (pause/resume), from the last token', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('cs').collection<Loose>('restart');
    const stream = track(coll.watch([], { maxAwaitTimeMS: 15_000 }));
    const first = await open(stream);
    await coll.insertOne({ _id: 'a' });
    const a = await first.next;
    const getMoreStarted = nextCommand<CommandStartedEvent>(client, 'commandStarted', (e) => e.commandName === 'getMore');
    const next = stream.next();
    await getMoreStarted; // the stream is waiting on the server when it stops
    const resumed = resumedAggregate(client);
    await mongo.pause();
    await mongo.resume();
    await resumed;
    await coll.insertOne({ _id: 'b' });
    expect(await next).toMatchObject({ documentKey: { _id: 'b' } });
    expect(aggregatesWith(mongo, 'resumeAfter').map((s) => tokenData(s['resumeAfter']))).toEqual([tokenData(a._id)]);
  });

  it('after its history is forgotten (oplog rolled over), an old token fails with 286', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('cs').collection<Loose>('rolled');
    const stream = track(coll.watch());
    const { next } = await open(stream);
    await coll.insertOne({ _id: 1 });
    const event = await next;
    mongo.server.dispatcher.changeStreams.truncateHistory();
    const lost = track(coll.watch([], { resumeAfter: event._id }));
    await expect(lost.next()).rejects.toMatchObject({ code: 286, codeName: 'ChangeStreamHistoryLost' });
  });

  it('a stream whose history is lost while it reconnects ends with an error event (286): "token lost"', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('cs').collection<Loose>('lost-live');
    const stream = track(coll.watch([], { maxAwaitTimeMS: 15_000 }));
    const changes: unknown[] = [];
    const opened = once(stream, 'resumeTokenChanged');
    stream.on('change', (c) => changes.push(c)); // emitter mode, as a long-lived watcher runs
    const failed = once(stream, 'error');
    await opened;
    const first = once(stream, 'change');
    await coll.insertOne({ _id: 1 });
    await first;
    mongo.server.dispatcher.changeStreams.truncateHistory();
    // The waiting getMore's connection drops; the driver resumes from event 1's token, now lost.
    await mongo.pause();
    await mongo.resume();
    const [error] = (await failed) as [{ code?: number }];
    expect(error.code).toBe(286);
    expect(changes).toHaveLength(1);
    expect(stream.closed).toBe(true);
  });

  it("another server's token is not found (ChangeStreamFatalError, 280)", async () => {
    const one = await setup();
    const two = await setup();
    const s1 = track(one.client.db('cs').collection<Loose>('c').watch());
    const { next } = await open(s1);
    await one.client.db('cs').collection<Loose>('c').insertOne({ _id: 1 });
    const token = (await next)._id;
    const s2 = track(two.client.db('cs').collection<Loose>('c').watch([], { resumeAfter: token }));
    await expect(s2.next()).rejects.toMatchObject({ code: 280 });
  });

  it('a dropped database invalidates a database stream after its drop events', async () => {
    const { client } = await setup();
    const db = client.db('gone');
    await db.collection<Loose>('a').insertOne({ _id: 1 });
    const stream = track(db.watch());
    const { next } = await open(stream);
    await db.dropDatabase();
    const kinds = [(await next).operationType];
    for (let i = 0; i < 2; i++) kinds.push((await stream.next()).operationType);
    expect(kinds).toEqual(['drop', 'dropDatabase', 'invalidate']);
  });

  it('closing streams leaves no server cursor, also with a getMore waiting', async () => {
    const { mongo, client } = await setup();
    const coll = client.db('cs').collection<Loose>('closing');
    const stream = coll.watch([], { maxAwaitTimeMS: 15_000 });
    const getMoreStarted = nextCommand<CommandStartedEvent>(client, 'commandStarted', (e) => e.commandName === 'getMore');
    const { next } = await open(stream);
    await getMoreStarted;
    expect(mongo.server.dispatcher.changeStreams.size).toBe(1);
    await stream.close();
    await expect(next).rejects.toThrow(/ChangeStream is closed/);
    expect(mongo.server.dispatcher.changeStreams.size).toBe(0);
  });

  it('with changeStreams: false it refuses them like a standalone mongod (40573)', async () => {
    const { mongo, client } = await setup({ changeStreams: false });
    expect(mongo.capabilities.changeStreams).toBe(false);
    const stream = track(client.db('cs').collection('c').watch());
    await expect(stream.next()).rejects.toMatchObject({ code: 40573, message: 'The $changeStream stage is only supported on replica sets' });
  });
});
