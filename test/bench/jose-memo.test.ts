/**
 * The bench's hand-written baseline (bench/jose-memo.ts) must be a real authenticator, or
 * comparing ayz-auth with it means nothing: on real Express and Fastify servers over
 * loopback, against the test issuer's JWKS, it accepts a valid session JWT, refuses a
 * missing or forged one, and answers a repeated token from its memo.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { createJoseMemo, type JoseMemo, joseMemoExpress, joseMemoFastify } from '../../bench/jose-memo.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const memoOf = (): JoseMemo => createJoseMemo({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: issuer.projectId });

async function serve(framework: 'express' | 'fastify', memo: JoseMemo): Promise<{ url: string; close(): Promise<void> }> {
  if (framework === 'express') {
    const app = express();
    app.get('/p', joseMemoExpress(memo), (req, res) => void res.json({ sub: req.joseClaims?.sub }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/p`, close: () => new Promise((r) => server.close(() => r())) };
  }
  const app = fastify();
  app.get('/p', { onRequest: joseMemoFastify(memo) }, async (request) => ({ sub: request.joseClaims?.sub }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/p`, close: () => app.close() };
}

const get = (url: string, token?: string) => fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe.each(['express', 'fastify'] as const)('%s', (framework) => {
  it('accepts a valid session JWT, refuses a missing or forged one', async () => {
    const memo = memoOf();
    const app = await serve(framework, memo);
    try {
      const token = issuer.sessionJwt({ memberId: 'member-test-1' });
      const ok = await get(app.url, token);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ sub: 'member-test-1' });
      expect((await get(app.url)).status).toBe(401);
      expect((await get(app.url, issuer.wrongKeySessionJwt())).status).toBe(401);
      expect((await get(app.url, issuer.expiredSessionJwt())).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('serves a repeated token from the memo, without verifying it again', async () => {
    const memo = memoOf();
    const verify = vi.spyOn(memo, 'verify');
    const app = await serve(framework, memo);
    try {
      const token = issuer.sessionJwt();
      for (let i = 0; i < 3; i++) expect((await get(app.url, token)).status).toBe(200);
      expect(verify).toHaveBeenCalledTimes(1);
    } finally {
      await app.close();
    }
  });
});

it('forgets a memoised token once it has expired', async () => {
  const memo = memoOf();
  const token = issuer.sessionJwt({ expiresInSec: 300 });
  const payload = await memo.verify(token);
  expect(memo.hit(token)).toBe(payload);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(((payload.exp as number) + 1) * 1000);
  expect(memo.hit(token)).toBeUndefined();
});
