/**
 * The permission guard may be asynchronous only before the first policy load: once the policy
 * is in, both bridges decide without a promise hop. Express: the guard calls `next` (or answers
 * the refusal) before it returns. Fastify: the hook's promise is already settled when it is
 * returned (its `then` runs in the first microtask turn). Each would fail if the bridge awaited
 * a synchronous verdict.
 */
import express from 'express';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { requirePermission, verifyAuth } from 'ayz-auth/express';
import ayzAuth from 'ayz-auth/fastify';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, closeServer, httpRequest, listen } from '../adapters/http-client.js';
import { DOCUMENTS_POLICY } from './guard-scenarios.js';

let issuer: TestIssuer;
const auths: Auth[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ rbacPolicy: DOCUMENTS_POLICY });
});
afterAll(async () => {
  for (const auth of auths) await auth.close();
  await issuer?.close();
});

/** Each test starts cold: its own Auth, so its own policy store. */
function coldAuth(): Auth {
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  auths.push(auth);
  return auth;
}

const editor = () => bearer(issuer.sessionJwt({ roles: ['stytch_member', 'editor'] }));

describe('warm permission checks add no promise hop', () => {
  it('express: next() and the refusal happen before the guard returns', async () => {
    const read = requirePermission('documents', 'read');
    const del = requirePermission('documents', 'delete');
    const app = express();
    app.get('/probe', verifyAuth(coldAuth()), (req, res, next) => {
      let allowedSync = false;
      read(req, res, () => {
        allowedSync = true;
      });
      if (!allowedSync) {
        // Cold: the guard waits for the policy; let it finish before the next probe.
        read(req, res, () => res.json({ allowedSync: false, refusedSync: null }));
        return;
      }
      del(req, res, next);
      const refusedSync = res.headersSent;
      if (!refusedSync) res.json({ allowedSync, refusedSync });
    });
    const server = createServer(app);
    const url = await listen(server);
    try {
      expect((await httpRequest(`${url}/probe`, { headers: editor() })).json).toEqual({ allowedSync: false, refusedSync: null });
      const warm = await httpRequest(`${url}/probe`, { headers: editor() });
      // The refusal was sent synchronously by the delete guard: its 403 is the response.
      expect({ status: warm.status, error: warm.json.error }).toEqual({ status: 403, error: 'permission_missing' });
    } finally {
      await closeServer(server);
    }
  });

  it("fastify: the hook's promise is settled when returned", async () => {
    const app = Fastify();
    await app.register(ayzAuth, { auth: coldAuth() });
    const settledFirstTurn = new WeakMap<FastifyRequest, boolean>();
    const read = app.requirePermission('documents', 'read');
    const probe = async (request: FastifyRequest, reply: FastifyReply) => {
      const verdict = read(request, reply);
      let settled = false;
      void verdict.then(() => {
        settled = true;
      });
      await null;
      settledFirstTurn.set(request, settled);
      return verdict;
    };
    app.get('/probe', { preHandler: [app.verifyAuth, probe] }, async (request) => ({ settled: settledFirstTurn.get(request) }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await httpRequest(`${url}/probe`, { headers: editor() })).json).toEqual({ settled: false });
      expect((await httpRequest(`${url}/probe`, { headers: editor() })).json).toEqual({ settled: true });
    } finally {
      await app.close();
    }
  });
});
