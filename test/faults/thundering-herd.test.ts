/**
 * 1,000 concurrent requests with the same new token, over real HTTP through Express 5 and
 * Fastify 5, on a cold service (no keys, no directory cache): one JWKS fetch and one
 * directory lookup, and 1,000 identical, correct answers.
 */
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createAuth } from 'ayz-auth';
import { createTestIssuer, seedMember } from 'ayz-auth/testing';
import { uniqueDbName } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs } from '../support/log-capture.js';
import { bearer } from '../adapters/http-client.js';
import { startApp, type FrameworkName } from '../hostile/apps.js';
import { request } from 'node:http';

let client: MongoClient;
const events: CommandStartedEvent[] = [];

beforeAll(async () => {
  client = new MongoClient(inject('mongoUri'), { monitorCommands: true, serverSelectionTimeoutMS: 5_000, maxPoolSize: 20 });
  client.on('commandStarted', (e) => events.push(e));
  await client.connect();
});
afterAll(async () => {
  await client?.close();
});

function get(url: string, headers: Record<string, string>, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each(['Express 5', 'Fastify 5'] as FrameworkName[])('%s', (framework) => {
  it('1,000 concurrent requests, one new token: one JWKS fetch, one directory lookup', async () => {
    const issuer = await createTestIssuer();
    const db = client.db(uniqueDbName('herd'));
    const s = await seedMember(db, { stytchMemberId: 'member-test-herd', stytchOrgId: 'organization-test-herd', entitlements: ['reports'] });
    const logs = captureLogs();
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, mongo: { db }, logger: logs.logger });
    const app = await startApp(framework, auth, logs.logger);
    const agent = new Agent({ keepAlive: false, maxSockets: 1_000 });
    try {
      const from = events.length;
      const jwt = issuer.sessionJwt({ memberId: s.stytchMemberId, organizationId: s.stytchOrgId });
      const answers = await Promise.all(Array.from({ length: 1_000 }, () => get(`${app.url}/me`, bearer(jwt), agent)));

      expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([]);
      const distinct = new Set(answers.map((a) => { const c = JSON.parse(a.body); return `${c.memberId}|${c.orgId}|${c.mongoUserId}|${c.currentTeamId}`; }));
      expect([...distinct]).toEqual([`member-test-herd|${s.organizationId.toHexString()}|${s.userId.toHexString()}|${s.teamId.toHexString()}`]);

      expect(issuer.requests.jwks).toBe(1);
      const mine = events.slice(from).filter((e) => e.databaseName === db.databaseName);
      const directory = mine.filter((e) => e.commandName === 'aggregate' && e.command.aggregate === 'organizations');
      const team = mine.filter((e) => e.commandName === 'aggregate' && e.command.aggregate === 'users');
      expect(directory.length).toBe(1);
      // the team is read fresh per request by design, but concurrent reads of one key share one
      expect(team.length).toBeLessThan(1_000);
      console.log(`[faults] herd ${framework}: 1000 requests → jwks ${issuer.requests.jwks}, directory ${directory.length}, team reads ${team.length}`);
      logs.expectNoSecrets(jwt);
    } finally {
      agent.destroy();
      await app.close();
      await auth.close();
      await db.dropDatabase().catch(() => undefined);
      await issuer.close();
    }
  }, 60_000);
});
