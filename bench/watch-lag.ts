/**
 * context.watch: the lag from a committed write to the eviction it causes, on loopback. A
 * private tier-3 test MongoDB, one ContextBuilder + ContextWatch; each round switches a
 * member's team (`users.current_team_id`) and times, from the moment the write is sent:
 * the write's acknowledgement, and the watch applying the event (the eviction). The second
 * minus the first is what a request arriving right after the acknowledged write can see stale.
 *
 *   npx tsx bench/watch-lag.ts [rounds]
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { resolveOptions } from '../src/config/resolve-options.js';
import { ContextBuilder } from '../src/context/context-builder.js';
import { ContextWatch } from '../src/context/context-watch.js';
import { CallerDb } from '../src/context/mongo-connection.js';
import { COLLECTIONS } from '../src/data-model/collections.js';
import { seedMember, seedTeam } from '../src/testing/seed.js';
import { startLoopbackMongo } from '../tools/mongo-wire-server/harness.js';

const rounds = Number(process.argv[2] ?? 300);
const mongo = await startLoopbackMongo();
const client = new MongoClient(mongo.uri);
await client.connect();
const db = client.db('watch_lag');
const logger = pino({ level: 'silent' });
const resolved = resolveOptions({ stytch: { projectId: 'project-test-11111111-2222-3333-4444-555555555555' }, context: { watch: true } });
const builder = new ContextBuilder(new CallerDb(db), resolved.context, logger);
const watch = new ContextWatch(new CallerDb(db), builder, logger);
const opened = once(watch, 'open');
watch.start();
await opened;

const m = await seedMember(db);
const other = await seedTeam(db, { organizationId: m.organizationId, name: 'other' });
const users = db.collection(COLLECTIONS.users);
const ack: number[] = [];
const evicted: number[] = [];
for (let i = 0; i < rounds; i++) {
  const applied = once(watch, 'applied');
  const start = performance.now();
  await users.updateOne({ _id: m.userId }, { $set: { current_team_id: i % 2 === 0 ? other : m.teamId } });
  ack.push(performance.now() - start);
  await applied;
  evicted.push(performance.now() - start);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const row = (name: string, xs: number[]) => console.log(`${name.padEnd(28)} p50 ${pct(xs, 50).toFixed(2)} ms   p95 ${pct(xs, 95).toFixed(2)} ms   p99 ${pct(xs, 99).toFixed(2)} ms`);
console.log(`context.watch eviction lag, ${rounds} team switches, loopback tier-3 MongoDB`);
row('write sent → acknowledged', ack);
row('write sent → evicted', evicted);
row('acknowledged → evicted', evicted.map((e, i) => e - (ack[i] ?? 0)));

await watch.close();
await client.close();
await mongo.stop();
