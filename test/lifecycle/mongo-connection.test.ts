/**
 * The connection owner behind `createAuth({ mongo: { uri } })`: one connect at a time, a new
 * client after a failed one (the driver keeps a failed client's topology closed for good),
 * a doubling wait between attempts during which callers fail at once, and no reconnect of
 * its own after `close()`.
 */
import { createServer } from 'node:net';
import { MongoClient, type Db } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { MongoBackoffError, MongoConnection, MongoConnectionClosedError } from '../../src/context/mongo-connection.js';
import { startLoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs } from '../support/log-capture.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));

describe('MongoConnection', () => {
  it('shares one connect, replaces the failed client, backs off (doubling, capped), then connects once MongoDB answers', async () => {
    const port = await freePort();
    const uri = `mongodb://127.0.0.1:${port}`;
    const clients: MongoClient[] = [];
    let connects = 0;
    const makeClient = () => {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 200, connectTimeoutMS: 200 });
      const connect = client.connect.bind(client);
      client.connect = () => {
        connects++;
        return connect();
      };
      clients.push(client);
      return client;
    };
    const logs = captureLogs();
    const connection = new MongoConnection(makeClient, 'late', `127.0.0.1:${port}`, logs.logger, { initialMs: 100, maxMs: 200 });
    cleanups.push(() => connection.close());

    // Five callers at once while nothing listens: one attempt, five failures.
    const first = await Promise.all([1, 2, 3, 4, 5].map(() => settle(connection.db())));
    expect(first.every((r) => !r.ok)).toBe(true);
    expect(connects).toBe(1);
    expect(clients).toHaveLength(2); // the failed client is dropped, a fresh one waits

    // During the wait: an immediate failure that says why, and no new attempt.
    const during = await settle(connection.db());
    expect(during.ok).toBe(false);
    if (!during.ok) {
      expect(during.error).toBeInstanceOf(MongoBackoffError);
      expect((during.error as Error).message).toMatch(/next connection attempt in \d+ ms/);
    }
    expect(connects).toBe(1);

    // Further failed attempts: the wait doubles, up to the cap.
    const deadline = Date.now() + 10_000;
    while (connects < 3) {
      if (Date.now() > deadline) throw new Error('no further attempts');
      const r = await settle(connection.db());
      expect(r.ok).toBe(false);
      // A backoff answer: poll again shortly. Anything else was a real attempt.
      if (!r.ok && r.error instanceof MongoBackoffError) await new Promise((res) => setTimeout(res, 20));
    }
    const waits = logs.find('MongoDB connection failed', 'warn').map((r) => r['retryInMs']);
    expect(waits).toEqual([100, 200, 200]);
    expect(logs.find('MongoDB connection failed', 'warn')[0]).toMatchObject({ mongoHosts: `127.0.0.1:${port}`, database: 'late' });

    // MongoDB appears: the next attempt after the wait connects, and the Db works.
    const mongo = await startLoopbackMongo({ port, logCommands: false });
    cleanups.push(() => mongo.stop());
    const until = Date.now() + 10_000;
    let db: Db | null = null;
    while (db === null) {
      if (Date.now() > until) throw new Error('never connected');
      const r = await settle(connection.db());
      if (r.ok) db = r.value;
      else await new Promise((res) => setTimeout(res, 20));
    }
    await db.collection('x').insertOne({ a: 1 });
    expect(await db.collection('x').countDocuments()).toBe(1);
    const attempts = connects;
    expect(await connection.db()).toBe(db); // connected: the same Db, no new attempt
    expect(connects).toBe(attempts);
    expect(logs.find('MongoDB connected after failed attempts', 'info')).toHaveLength(1);

    await connection.close();
    await expect(connection.db()).rejects.toBeInstanceOf(MongoConnectionClosedError);
  }, 30_000);
});
