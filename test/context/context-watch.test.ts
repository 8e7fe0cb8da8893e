/**
 * context.watch: one change stream per Auth keeps the cached context true. The eviction tests
 * run on the run's MongoDB (tier 3's loopback server, or MONGODB_URI of a replica set); the
 * failure tests start private loopback servers for what only they can do (fail a getMore,
 * stop, forget their history, refuse change streams like a standalone).
 *
 * The builder reads through a command-monitored client; the watch has its own client, so the
 * stream's getMores never count as a request's database work.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type CommandStartedEvent, type Db, MongoClient, ObjectId } from 'mongodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createAuth } from 'ayz-auth';
import { seedMember, seedTeam, seedTeamMembership } from 'ayz-auth/testing';
import type { Identity } from '../../src/auth-context.js';
import { resolveOptions } from '../../src/config/resolve-options.js';
import { ContextBuilder } from '../../src/context/context-builder.js';
import { type ContextWatchOptions, ContextWatch, evictionsFor } from '../../src/context/context-watch.js';
import { CallerDb } from '../../src/context/mongo-connection.js';
import { COLLECTIONS } from '../../src/data-model/collections.js';
import { needsMongo } from '../../tools/mongo-wire-server/connect.js';
import { type LoopbackMongo, startLoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';
const WORK = new Set(['find', 'aggregate', 'update', 'insert', 'delete', 'findAndModify', 'getMore']);

function identity(stytchOrgId: string, memberId: string): Identity {
  return {
    memberId,
    stytchOrgId,
    sessionId: null,
    orgSlug: null,
    memberEmail: null,
    memberName: null,
    roles: [],
    authenticationFactors: [],
    authenticationFactorTimes: [],
    sessionStartedAt: null,
    sessionExpiresAt: null,
    sessionLastAccessedAt: null,
  } as unknown as Identity;
}

interface Watched {
  db: Db;
  builder: ContextBuilder;
  watch: ContextWatch;
  logs: CapturedLog;
  /** Work commands the builder sent since the last reset. */
  commands(): string[];
  resetCommands(): void;
  /** Resolves when the watch has applied the next change of `collection`. */
  applied(collection: string): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function watched(uri: string, opts: ContextWatchOptions & { cacheTeam?: boolean; startAndWait?: boolean } = {}): Promise<Watched> {
  const dbName = `watch_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const reads = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 5_000 });
  const streams = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  await reads.connect();
  await streams.connect();
  const events: CommandStartedEvent[] = [];
  reads.on('commandStarted', (e) => {
    if (WORK.has(e.commandName)) events.push(e);
  });
  const db = reads.db(dbName);
  const logs = captureLogs();
  const resolved = resolveOptions({ stytch: { projectId: PROJECT }, context: { watch: true, ...(opts.cacheTeam ? { cacheTeam: true } : {}) } });
  const builder = new ContextBuilder(new CallerDb(db), resolved.context, logs.logger);
  const watch = new ContextWatch(new CallerDb(streams.db(dbName)), builder, logs.logger, { maxAwaitTimeMS: 200, retryMs: 20, ...opts });
  cleanups.push(async () => {
    await watch.close();
    await streams.close(true);
    await reads.close(true);
  });
  let from = 0;
  const result: Watched = {
    db,
    builder,
    watch,
    logs,
    commands: () => events.slice(from).map((e) => e.commandName),
    resetCommands: () => {
      from = events.length;
    },
    applied: (collection) =>
      new Promise((resolve) => {
        const listener = (_e: unknown, coll: string | null) => {
          if (coll !== collection) return;
          watch.off('applied', listener);
          resolve();
        };
        watch.on('applied', listener);
      }),
  };
  if (opts.startAndWait !== false) {
    const opened = once(watch, 'open');
    watch.start();
    await opened;
  }
  return result;
}

/** A member of an organization with two teams (current: A), both with active memberships. */
async function seedTwoTeams(db: Db) {
  const m = await seedMember(db, { entitlements: ['basic'], teamName: 'Team A' });
  const teamB = await seedTeam(db, { organizationId: m.organizationId, name: 'Team B' });
  await seedTeamMembership(db, { userId: m.userId, teamId: teamB });
  return { ...m, teamA: m.teamId, teamB, who: identity(m.stytchOrgId, m.stytchMemberId) };
}

describe('context.watch on the run server', () => {
  const uri = () => inject('mongoUri');

  it('a warm request reads nothing; a team switch is seen by the very next request once its event arrived', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamA.toHexString());

    w.resetCommands();
    for (let i = 0; i < 3; i++) {
      expect(w.builder.cached(s.who)?.currentTeamId).toBe(s.teamA.toHexString());
      expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamA.toHexString());
    }
    expect(w.commands()).toEqual([]); // 0 database commands per warm request

    const evicted = w.applied(COLLECTIONS.users);
    const written = performance.now();
    await w.db.collection(COLLECTIONS.users).updateOne({ _id: s.userId }, { $set: { current_team_id: s.teamB } });
    await evicted;
    const lagMs = performance.now() - written;
    // Reported, not asserted: the write-to-eviction lag on this machine.
    console.info(`context.watch: committed write → eviction ${lagMs.toFixed(2)} ms (loopback, includes the write's round trip)`);
    expect(w.builder.cached(s.who)).toBeUndefined();
    expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamB.toHexString());
  });

  it('a membership deactivation evicts the directory entry', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    expect((await w.builder.build(s.who)).mongoUserId).toBe(s.userId.toHexString());
    expect(w.builder.cached(s.who)).toBeDefined();
    const evicted = w.applied(COLLECTIONS.orgMemberships);
    await w.db.collection(COLLECTIONS.orgMemberships).updateOne({ _id: s.membershipId }, { $set: { status: 'inactive' } });
    await evicted;
    expect(w.builder.cached(s.who)).toBeUndefined();
    const after = await w.builder.build(s.who);
    expect(after.currentTeamId).toBeNull();
  });

  it('an organization entitlement change evicts that organization', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    const other = await seedTwoTeams(w.db);
    expect((await w.builder.build(s.who)).entitlements).toEqual(['basic']);
    await w.builder.build(other.who);
    const evicted = w.applied(COLLECTIONS.organizations);
    await w.db.collection(COLLECTIONS.organizations).updateOne({ _id: s.organizationId }, { $set: { entitlements: ['basic', 'pro'] } });
    await evicted;
    expect(w.builder.cached(s.who)).toBeUndefined();
    expect(w.builder.cached(other.who)).toBeDefined(); // another organization's entry is kept
    expect((await w.builder.build(s.who)).entitlements).toEqual(['basic', 'pro']);
  });

  it('a team moved to another organization evicts the teams that named it', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamA.toHexString());
    const evicted = w.applied(COLLECTIONS.teams);
    await w.db.collection(COLLECTIONS.teams).updateOne({ _id: s.teamA }, { $set: { organization: new ObjectId() } });
    await evicted;
    expect(w.builder.cached(s.who)).toBeUndefined();
    // Team A no longer belongs to the organization: the member's other team replaces it.
    expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamB.toHexString());
  });

  it('a team membership deactivation evicts the team', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    const evicted = w.applied(COLLECTIONS.teamMemberships);
    await w.db.collection(COLLECTIONS.teamMemberships).updateOne({ _id: s.teamMembershipId }, { $set: { status: 'inactive' } });
    await evicted;
    expect(w.builder.cached(s.who)).toBeUndefined();
  });

  it('a team named by the request (context.team) is evicted with its membership', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    const header = { kind: 'header', teamHex: s.teamA.toHexString() } as const;
    expect((await w.builder.build(s.who, header)).currentTeamId).toBe(s.teamA.toHexString());
    expect(w.builder.cached(s.who, header)).toBeDefined();
    const evicted = w.applied(COLLECTIONS.teamMemberships);
    await w.db.collection(COLLECTIONS.teamMemberships).updateOne({ _id: s.teamMembershipId }, { $set: { status: 'inactive' } });
    await evicted;
    expect(w.builder.cached(s.who, header)).toBeUndefined();
    await expect(w.builder.build(s.who, header)).rejects.toMatchObject({ code: 'team_forbidden' });
  });

  it('a user profile edit is filtered out on the server: nothing is evicted', async (ctx) => {
    needsMongo(ctx, 'changeStreams');
    const w = await watched(uri());
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    const seen: string[] = [];
    w.watch.on('applied', (_e, coll) => seen.push(String(coll)));
    const team = w.applied(COLLECTIONS.teams);
    await w.db.collection(COLLECTIONS.users).updateOne({ _id: s.userId }, { $set: { email: 'new@example.com' } });
    // A later event on the same stream: everything before it has been delivered.
    await w.db.collection(COLLECTIONS.teams).insertOne({ organization: new ObjectId(), name: 'elsewhere' });
    await team;
    expect(seen).toEqual([COLLECTIONS.teams]);
  });
});

describe('context.watch failures (private loopback servers)', () => {
  async function server(opts: { changeStreams?: boolean } = {}): Promise<LoopbackMongo> {
    const mongo = await startLoopbackMongo(opts);
    cleanups.push(() => mongo.stop());
    return mongo;
  }

  it('through createAuth: opt-in, one stream per Auth, closed by close()', async () => {
    const mongo = await server();
    const client = new MongoClient(mongo.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    cleanups.push(() => client.close(true));
    const db = client.db('watch_auth');
    const streams = () => mongo.server.dispatcher.changeStreams.size;

    const plain = createAuth({ stytch: { projectId: PROJECT }, mongo: { db }, logger: captureLogs().logger });
    await plain.close();
    expect(mongo.commandLog.filter((c) => c.command === 'aggregate')).toHaveLength(0); // opt-in: no stream by default

    // The stream is running once its first getMore is waiting on the server.
    const opened = new Promise<void>((resolve) => client.on('commandStarted', (e) => e.commandName === 'getMore' && resolve()));
    const auth = createAuth({ stytch: { projectId: PROJECT }, mongo: { db }, logger: captureLogs().logger, context: { watch: true } });
    await opened;
    expect(streams()).toBe(1);
    await auth.close();
    expect(streams()).toBe(0);
  });

  it('a stream error falls back to fresh reads, then resumes from its token without losing an event', async () => {
    const mongo = await server();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const w = await watched(mongo.uri, { beforeReopen: () => held });
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    expect(w.builder.cached(s.who)).toBeDefined();

    const down = once(w.watch, 'down');
    // A non-resumable error on the stream's next getMore: the driver gives up, the watch notices.
    await w.db.admin().command({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['getMore'], errorCode: 2 } });
    await down;
    expect(w.watch.isOpen).toBe(false);
    expect(w.builder.cached(s.who)).toBeUndefined(); // what the stream guarded is dropped

    // Down: every request reads the team fresh, and sees a switch at once.
    await w.db.collection(COLLECTIONS.users).updateOne({ _id: s.userId }, { $set: { current_team_id: s.teamB } });
    w.resetCommands();
    expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamB.toHexString());
    expect((await w.builder.build(s.who)).currentTeamId).toBe(s.teamB.toHexString());
    expect(w.commands().filter((c) => c === 'aggregate')).toHaveLength(2);
    expect(w.builder.cached(s.who)).toBeUndefined();

    // Reopened from the token: the switch made while down arrives as an event.
    mongo.clearCommandLog();
    const missed = w.applied(COLLECTIONS.users);
    const reopened = once(w.watch, 'open');
    release();
    await missed;
    await reopened;
    const resumes = mongo.commandLog.filter(
      (c) => c.command === 'aggregate' && JSON.stringify(c.body['pipeline']).includes('resumeAfter'),
    );
    expect(resumes).toHaveLength(1);
    w.resetCommands();
    await w.builder.build(s.who);
    await w.builder.build(s.who);
    expect(w.commands()).toHaveLength(1); // open again: the team is cached after one read
  });

  it('history lost while the stream reconnects (286): caches cleared, one WARN, a fresh stream opens', async () => {
    const mongo = await server();
    const w = await watched(mongo.uri);
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    const applied = w.applied(COLLECTIONS.teams);
    await w.db.collection(COLLECTIONS.teams).insertOne({ organization: new ObjectId(), name: 'x' });
    await applied; // the stream holds a token from this event
    await w.builder.build(s.who);
    expect(w.builder.cached(s.who)).toBeDefined();

    const down = once(w.watch, 'down');
    const reopened = once(w.watch, 'open');
    mongo.server.dispatcher.changeStreams.truncateHistory();
    await mongo.pause();
    await mongo.resume();
    await down;
    expect(w.builder.cached(s.who)).toBeUndefined();
    await reopened;
    expect(w.logs.find('resume point is lost', 'warn')).toHaveLength(1);
    // Reopened: events flow again.
    const again = w.applied(COLLECTIONS.users);
    await w.db.collection(COLLECTIONS.users).updateOne({ _id: s.userId }, { $set: { current_team_id: s.teamB } });
    await again;
  });

  it('a stream that falls silent (server gone) is treated as down until it answers again', async () => {
    const mongo = await server();
    const w = await watched(mongo.uri, { maxAwaitTimeMS: 100, silenceMs: 300 });
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    expect(w.builder.cached(s.who)).toBeDefined();
    const down = once(w.watch, 'down');
    await mongo.pause();
    await down;
    expect(w.builder.cached(s.who)).toBeUndefined();
    const up = once(w.watch, 'open');
    await mongo.resume();
    await up;
  });

  it('a dropped database invalidates the stream: everything cleared, a new stream opens', async () => {
    const mongo = await server();
    const w = await watched(mongo.uri);
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    const down = once(w.watch, 'down');
    const reopened = once(w.watch, 'open');
    await w.db.dropDatabase();
    await down;
    expect(w.builder.cached(s.who)).toBeUndefined();
    await reopened;
  });

  it('a standalone server (no change streams): one WARN, and the team read fresh on every request', async () => {
    const mongo = await server({ changeStreams: false });
    const w = await watched(mongo.uri, { startAndWait: false });
    const unsupported = once(w.watch, 'unsupported');
    w.watch.start();
    await unsupported;
    expect(w.logs.find('no change streams', 'warn')).toHaveLength(1);
    expect(w.watch.isOpen).toBe(false);
    const s = await seedTwoTeams(w.db);
    await w.builder.build(s.who);
    w.resetCommands();
    await w.builder.build(s.who);
    await w.builder.build(s.who);
    expect(w.commands()).toEqual(['aggregate', 'aggregate']); // today's behaviour: the team each time
    expect(w.builder.cached(s.who)).toBeUndefined();
  });
});

describe('evictionsFor', () => {
  const ns = (coll: string) => ({ db: 'd', coll });
  const _id = { _data: '00' };
  it('maps each collection to what it can name, and what it cannot to a broader clear', () => {
    const user = new ObjectId();
    expect(
      evictionsFor({ _id, operationType: 'update', ns: ns('users'), documentKey: { _id: user }, updateDescription: { updatedFields: { current_team_id: 'x' } } } as never),
    ).toEqual([{ kind: 'user', userHex: user.toHexString(), memberId: null, teamsOnly: true }]);
    expect(evictionsFor({ _id, operationType: 'delete', ns: ns('user_organization_memberships'), documentKey: { _id: user } } as never)).toEqual([{ kind: 'all' }]);
    expect(evictionsFor({ _id, operationType: 'delete', ns: ns('user_team_memberships'), documentKey: { _id: user } } as never)).toEqual([{ kind: 'teams' }]);
    expect(
      evictionsFor({
        _id,
        operationType: 'update',
        ns: ns('user_organization_memberships'),
        documentKey: { _id: user },
        updateDescription: { updatedFields: { user_id: new ObjectId() } },
        fullDocument: { user_id: new ObjectId(), stytch_member_id: 'm' },
      } as never),
    ).toEqual([{ kind: 'all' }]); // re-keyed: the old user is unknown
    expect(evictionsFor({ _id, operationType: 'drop', ns: ns('teams') } as never)).toEqual([{ kind: 'all' }]);
    expect(evictionsFor({ _id, operationType: 'invalidate' } as never)).toEqual([{ kind: 'all' }]);
  });
});
