/**
 * `close()` lets the database work in flight land before it closes the client, `idle()` waits
 * for background writes without a delay, and a closed `Auth` says it is closed (a bug of the
 * caller) instead of pretending the directory is down.
 */
import express from 'express';
import { MongoClient, type ObjectId } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { startLoopbackMongo, type LoopbackMongo } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { bearer, httpRequest } from '../adapters/http-client.js';
import { startExpress } from '../adapters/express/express-app.js';
import { startCommandGate, type CommandGate } from './command-gate.js';

const DB = 'lifecycle_close';
let mongo: LoopbackMongo;
let seedClient: MongoClient;
let issuer: TestIssuer;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  mongo = await startLoopbackMongo({ logCommands: false });
  seedClient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2_000 });
  issuer = await createTestIssuer();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(async () => {
  await seedClient?.close(true);
  await mongo?.stop();
  await issuer?.close();
});

async function lastLoginOf(userId: ObjectId): Promise<unknown> {
  const user = await seedClient.db(DB).collection('users').findOne({ _id: userId });
  return user?.['last_login_at'];
}

async function service(uri: string, logs: CapturedLog): Promise<{ auth: Auth; url: string }> {
  const auth = createAuth({
    stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
    mongo: { uri: `${uri}/${DB}`, clientOptions: { serverSelectionTimeoutMS: 2_000 } },
    provisioning: { enabled: true, checkIndexes: false },
    logger: logs.logger,
  });
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    res.json(getAuth(req));
  });
  const http = await startExpress(app);
  cleanups.push(() => http.close());
  return { auth, url: http.url };
}

describe('close() and background writes', () => {
  it("close() resolves only after a held last_login_at write has landed, and the write is in the database", async () => {
    const seeded = await seedMember(seedClient.db(DB), {});
    const gate: CommandGate = await startCommandGate(mongo.port, (body) => body['update'] === 'users' && JSON.stringify(body).includes('last_login_at'));
    cleanups.push(() => gate.close());
    const logs = captureLogs();
    const { auth, url } = await service(gate.uri, logs);
    let closedYet = false;
    cleanups.push(async () => {
      if (!closedYet) {
        gate.release();
        await auth.close();
      }
    });

    const token = issuer.sessionJwt({ memberId: seeded.stytchMemberId, organizationId: seeded.stytchOrgId, expiresInSec: 3600 });
    const res = await httpRequest(`${url}/me`, { headers: bearer(token) });
    expect(res.status).toBe(200);
    expect(res.json.mongoUserId).toBe(seeded.userId.toHexString());

    await gate.held; // the background write is on its way, and held
    const order: string[] = [];
    const closing = auth.close().then(() => {
      closedYet = true;
      order.push('closed');
    });
    // Either close() (wrongly) finishes while the write is held, or it says it waits.
    const first = await Promise.race([closing.then(() => 'closed'), logs.waitFor('close: waiting for database work in flight', undefined, { timeoutMs: 5_000 }).then(() => 'waiting', () => 'no such line')]);
    expect(first).toBe('waiting');
    expect(order).toEqual([]);

    void gate.landed.then(() => order.push('landed'));
    gate.release();
    await closing;
    expect(order).toEqual(['landed', 'closed']);
    expect(await lastLoginOf(seeded.userId)).toBeInstanceOf(Date);
    logs.expectNoSecrets(token);
  }, 30_000);

  it('idle() resolves once the background last_login_at write is in the database (no delay to guess)', async () => {
    const seeded = await seedMember(seedClient.db(DB), {});
    const logs = captureLogs();
    const { auth, url } = await service(mongo.uri, logs);
    cleanups.push(() => auth.close());
    expect(await lastLoginOf(seeded.userId)).toBeUndefined();

    const token = issuer.sessionJwt({ memberId: seeded.stytchMemberId, organizationId: seeded.stytchOrgId, expiresInSec: 3600 });
    expect((await httpRequest(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    await auth.idle();
    expect(await lastLoginOf(seeded.userId)).toBeInstanceOf(Date);
  }, 30_000);
});

describe('a closed Auth', () => {
  it('answers a plain Error saying it is closed, not a 503 "directory unavailable"', async () => {
    const seeded = await seedMember(seedClient.db(DB), {});
    const logs = captureLogs();
    const { auth, url } = await service(mongo.uri, logs);
    const token = issuer.sessionJwt({ memberId: seeded.stytchMemberId, organizationId: seeded.stytchOrgId, expiresInSec: 3600 });
    // warm: the token and the directory are cached, so the fast path is covered too
    expect((await httpRequest(`${url}/me`, { headers: bearer(token) })).status).toBe(200);
    await auth.close();
    await auth.close(); // twice is fine

    for (const attempt of [
      () => auth.authenticate(token),
      () => auth.authenticateRequest(bearer(token)),
      () => auth.authenticateRequestWithResult({}),
      () => auth.ready(),
    ]) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(AuthError);
      expect((error as Error).message).toMatch(/this Auth was closed/);
    }

    // Through Express: the adapter hands it to the framework's error handler (a server bug, 500).
    const res = await httpRequest(`${url}/me`, { headers: bearer(token) });
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('context_unavailable');
  }, 30_000);

  it("leaves a caller's Db open", async () => {
    const seeded = await seedMember(seedClient.db(DB), {});
    const callerClient = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2_000 });
    cleanups.push(() => callerClient.close(true));
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, mongo: { db: callerClient.db(DB) }, logger: captureLogs().logger });
    const token = issuer.sessionJwt({ memberId: seeded.stytchMemberId, organizationId: seeded.stytchOrgId, expiresInSec: 3600 });
    expect((await auth.authenticate(token)).mongoUserId).toBe(seeded.userId.toHexString());
    await auth.ready();
    await auth.close();
    expect(await callerClient.db(DB).collection('users').countDocuments({ _id: seeded.userId })).toBe(1);
  }, 30_000);
});
