import { Writable } from 'node:stream';
import { fastify } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../support/log-capture.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

describe('library log lines written during a request carry its id', () => {
  it('a rejected token’s DEBUG carries reqId; lines outside the request carry none', async () => {
    const logs = captureLogs();
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: logs.logger });
    try {
      const rejected = auth.authenticateRequest({ authorization: 'Bearer not-a-jwt-and-far-too-short' }, { requestId: 'r-1' });
      await expect(rejected).rejects.toBeInstanceOf(AuthError);
      auth.logger.info({ probe: true }, 'outside any request');

      const records = logs.records();
      const inside = records.filter((r) => r.reqId !== undefined);
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.every((r) => r.reqId === 'r-1')).toBe(true);
      expect(inside.some((r) => r.level === 20)).toBe(true);
      const outside = logs.find('outside any request');
      expect(outside).toHaveLength(1);
      expect(outside[0]).not.toHaveProperty('reqId');
    } finally {
      await auth.close();
    }
  });

  it('a token refused by the real issuer (wrong audience) is logged with the request id', async () => {
    const logs = captureLogs();
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: logs.logger });
    const other = await createTestIssuer({ projectId: 'project-test-99999999-0000-0000-0000-000000000000' });
    try {
      const jwt = other.sessionJwt({ memberId: 'member-test-1', organizationId: 'organization-test-1' });
      await expect(auth.authenticateRequest({ authorization: `Bearer ${jwt}` }, { requestId: 7 })).rejects.toBeInstanceOf(AuthError);
      const withId = logs.records().filter((r) => r.reqId === 7);
      expect(withId.length).toBeGreaterThan(0);
      logs.expectNoSecrets(jwt);
    } finally {
      await auth.close();
      await other.close();
    }
  });

  it('works through Fastify’s app.log, keeping Fastify’s own formatters', async () => {
    let out = '';
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString('utf8');
        done();
      },
    });
    const app = fastify({ logger: { level: 'debug', stream, formatters: { log: (o) => ({ ...o, svc: 'api' }) } } });
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: app.log });
    out = ''; // only the request's lines (createAuth writes its start-up INFO outside any request)
    try {
      await expect(auth.authenticateRequest({ authorization: 'Basic abc' }, { requestId: 'req-42' })).rejects.toBeInstanceOf(AuthError);
      const lines = out
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((r) => r.lib === 'ayz-auth');
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((r) => r.reqId === 'req-42' && r.svc === 'api')).toBe(true);
    } finally {
      await auth.close();
      await app.close();
    }
  });
});
