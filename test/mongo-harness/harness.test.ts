/**
 * The harness's tier choice and helpers. Tier 1 is exercised with a loopback server
 * standing in for "a developer's MongoDB"; the tier-2 fallback with a mongod path that
 * does not exist (so the test means the same with or without internet).
 */
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { startLoopbackMongo, startTestMongo, uniqueDbName } from '../support/mongo/harness.js';

describe('startTestMongo', () => {
  it('tier 1 when MONGODB_URI is set: uses it as is and reports it (credentials hidden)', async () => {
    const external = await startLoopbackMongo();
    try {
      const lines: string[] = [];
      const mongo = await startTestMongo({ env: { MONGODB_URI: external.uri }, log: (l) => lines.push(l) });
      expect(mongo.tier).toBe(1);
      expect(mongo.uri).toBe(external.uri);
      // Change streams are asked for, not guessed from the topology: this standalone has them.
      expect(mongo.capabilities).toEqual({ transactions: false, changeStreams: true });
      expect(lines).toEqual([`[mongo] tier 1: MONGODB_URI ${external.uri}`]);
      await mongo.stop();
      expect(external.server.isRunning).toBe(true); // tier 1 never stops someone else's server
    } finally {
      await external.stop();
    }
  });

  it('tier 1 on a standalone without change streams reports none', async () => {
    const external = await startLoopbackMongo({ changeStreams: false });
    try {
      const mongo = await startTestMongo({ env: { MONGODB_URI: external.uri }, log: () => {} });
      expect(mongo.capabilities).toEqual({ transactions: false, changeStreams: false });
      await mongo.stop();
    } finally {
      await external.stop();
    }
  });

  it('tier 1 with an unreachable MONGODB_URI fails loudly instead of falling back', async () => {
    const external = await startLoopbackMongo();
    const uri = `mongodb://user:secret@127.0.0.1:${external.port}/?serverSelectionTimeoutMS=200`;
    await external.stop();
    const failure = await startTestMongo({ env: { MONGODB_URI: uri }, log: () => {} }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/^MONGODB_URI is set but mongodb:\/\/\*\*\*@127\.0\.0\.1:\d+/);
    expect((failure as Error).message).not.toContain('secret');
  });

  it('falls back to tier 3 quietly when mongodb-memory-server has no mongod, printing one line', async () => {
    const saved = process.env['MONGOMS_SYSTEM_BINARY'];
    process.env['MONGOMS_SYSTEM_BINARY'] = '/nonexistent/mongod';
    const lines: string[] = [];
    const started = Date.now();
    try {
      const mongo = await startTestMongo({ env: {}, log: (l) => lines.push(l) });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(mongo.tier).toBe(3);
      expect(mongo.capabilities).toEqual({ transactions: false, changeStreams: true });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^\[mongo\] tier 3: loopback wire server \(bson \+ mingo\) on mongodb:\/\/127\.0\.0\.1:\d+ \(tier 2 unavailable: .*\/nonexistent\/mongod.*\)$/);
      const client = new MongoClient(mongo.uri);
      await expect(client.db('admin').command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
      await client.close();
      await mongo.stop();
    } finally {
      if (saved === undefined) delete process.env['MONGOMS_SYSTEM_BINARY'];
      else process.env['MONGOMS_SYSTEM_BINARY'] = saved;
    }
  });

  it('TEST_MONGO_TIER=3 goes straight to the loopback server', async () => {
    const lines: string[] = [];
    const mongo = await startTestMongo({ env: { TEST_MONGO_TIER: '3' }, log: (l) => lines.push(l) });
    expect(mongo.tier).toBe(3);
    expect(lines).toEqual([`[mongo] ${mongo.description} (tier 2 unavailable: skipped (TEST_MONGO_TIER=3))`]);
    await mongo.stop();
  });
});

describe('uniqueDbName', () => {
  it('gives distinct, valid database names', () => {
    const names = Array.from({ length: 50 }, () => uniqueDbName('context tests/with.odd$chars and a very long prefix indeed'));
    expect(new Set(names).size).toBe(50);
    for (const n of names) {
      expect(Buffer.byteLength(n)).toBeLessThan(64);
      expect(n).not.toMatch(/[/\\. "$*<>:|?]/);
    }
  });
});
