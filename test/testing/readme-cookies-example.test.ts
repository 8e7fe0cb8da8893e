import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';

// The service's routes: nothing cookie-specific (the options of createAuth, below, choose the sources).
function notesApp(auth: Auth) {
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => res.json({ memberId: getAuth(req).memberId }));
  app.post('/notes', verifyAuth(auth), (req, res) => res.status(201).json({ author: getAuth(req).memberId }));
  return app;
}

// The test: requests as a browser sends them.
describe('notes (session cookies, CSRF)', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({
      stytch: issuer.authOptions, // the secret checks the opaque stytch_session cookie and renews expired JWTs
      tokenFrom: ['header', 'cookie'],
      cookies: { jwt: 'stytch_session_jwt', opaque: 'stytch_session' }, // the defaults: only if the SDK renamed them
      csrf: { allowedOrigins: ['https://app.example.com'] }, // other origins whose pages may POST with the cookie
      logLevel: 'silent',
    });
    server = createServer(notesApp(auth)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await auth.close();
    await issuer.close();
  });

  const cookie = (memberId: string) => ({ cookie: `theme=dark; stytch_session_jwt=${issuer.sessionJwt({ memberId })}` });

  it('reads the session from the cookie; the Authorization header wins when both are sent', async () => {
    expect(await (await fetch(`${url}/me`, { headers: cookie('member-test-alice') })).json()).toEqual({ memberId: 'member-test-alice' });
    const both = { ...cookie('member-test-alice'), authorization: `Bearer ${issuer.sessionJwt({ memberId: 'member-test-bob' })}` };
    expect(await (await fetch(`${url}/me`, { headers: both })).json()).toEqual({ memberId: 'member-test-bob' });
  });

  it('reads the opaque stytch_session cookie too (checked with Stytch)', async () => {
    const { sessionToken } = issuer.registerSession({ memberId: 'member-test-carol' });
    const res = await fetch(`${url}/me`, { headers: { cookie: `stytch_session=${sessionToken}` } });
    expect(await res.json()).toEqual({ memberId: 'member-test-carol' });
  });

  it('accepts a POST from its own pages and from an allowed origin, refuses a cross-site one (403 csrf_failed)', async () => {
    const post = (headers: Record<string, string>) => fetch(`${url}/notes`, { method: 'POST', headers: { ...cookie('member-test-alice'), ...headers } });
    expect((await post({ 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    expect((await post({ origin: 'https://app.example.com' })).status).toBe(201);
    const forged = await post({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: 'csrf_failed' });
    expect((await post({})).status).toBe(403); // no Origin at all: refused too
  });
});
