import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';

let issuer: TestIssuer;
beforeEach(async () => {
  issuer = await createTestIssuer();
});
afterEach(() => issuer.close());

function authenticate(body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${issuer.baseUrl}/v1/b2b/sessions/authenticate`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${issuer.projectId}:${issuer.secret}`).toString('base64')}`,
    },
    body: JSON.stringify(body),
    ...(signal === undefined ? {} : { signal }),
  });
}

describe('JWKS fault injection', () => {
  it('down: the connection is reset', async () => {
    issuer.setJwksMode('down');
    await expect(fetch(issuer.jwksUrl)).rejects.toThrow(TypeError);
    issuer.setJwksMode('ok');
    expect((await fetch(issuer.jwksUrl)).status).toBe(200);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('slow: answers after slowMs, so a short client timeout fires', async () => {
    issuer.setJwksMode('slow', { slowMs: 300 });
    await expect(fetch(issuer.jwksUrl, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const started = Date.now();
    const response = await fetch(issuer.jwksUrl);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(((await response.json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('html, empty and error500', async () => {
    issuer.setJwksMode('html');
    let response = await fetch(issuer.jwksUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/<html/);

    issuer.setJwksMode('empty');
    response = await fetch(issuer.jwksUrl);
    expect(await response.json()).toMatchObject({ keys: [], status_code: 200 });
    const keySet = createRemoteJWKSet(new URL(issuer.jwksUrl));
    await expect(jwtVerify(issuer.sessionJwt(), keySet)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });

    issuer.setJwksMode('error500');
    response = await fetch(issuer.jwksUrl);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ status_code: 500, error_type: 'internal_server_error' });
  });
});

describe('authenticate fault injection', () => {
  it('fails the next `times` calls with the status, then recovers', async () => {
    const session = issuer.registerSession();
    issuer.failAuthenticate({ status: 503, times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const response = await authenticate({ session_token: session.sessionToken });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status_code: 503, request_id: expect.any(String), error_type: expect.any(String) });
    }
    expect((await authenticate({ session_token: session.sessionToken })).status).toBe(200);
    expect(issuer.requests.authenticate).toBe(3);
  });

  it('uses the given body and headers, and queues failures in order', async () => {
    const session = issuer.registerSession();
    issuer.failAuthenticate({ status: 429, headers: { 'retry-after': '1' } });
    issuer.failAuthenticate({ status: 500, body: { custom: true } });
    let response = await authenticate({ session_token: session.sessionToken });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ error_type: 'too_many_requests' });
    response = await authenticate({ session_token: session.sessionToken });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ custom: true });
    expect((await authenticate({ session_token: session.sessionToken })).status).toBe(200);
  });

  it('times: Infinity until clearFailures()', async () => {
    const session = issuer.registerSession();
    issuer.failAuthenticate({ status: 500, times: Infinity });
    for (let i = 0; i < 3; i += 1) expect((await authenticate({ session_token: session.sessionToken })).status).toBe(500);
    issuer.clearFailures();
    expect((await authenticate({ session_token: session.sessionToken })).status).toBe(200);
  });

  it('malformed-json, reset and timeout modes', async () => {
    const session = issuer.registerSession();

    issuer.failAuthenticate({ mode: 'malformed-json' });
    const malformed = await authenticate({ session_token: session.sessionToken });
    expect(malformed.status).toBe(200);
    expect(malformed.headers.get('content-type')).toBe('application/json');
    await expect(malformed.json()).rejects.toThrow(SyntaxError);

    issuer.failAuthenticate({ mode: 'reset' });
    await expect(authenticate({ session_token: session.sessionToken })).rejects.toThrow(TypeError);

    issuer.failAuthenticate({ mode: 'timeout' });
    await expect(authenticate({ session_token: session.sessionToken }, AbortSignal.timeout(100))).rejects.toMatchObject({
      name: 'TimeoutError',
    });

    expect((await authenticate({ session_token: session.sessionToken })).status).toBe(200);
    expect(issuer.requests.authenticate).toBe(4);
  });
});

describe('holding authenticate calls, and their concurrency', () => {
  it('holds calls until released, counts them in flight, and answers each as it would have been', async () => {
    const session = issuer.registerSession();
    issuer.holdAuthenticate();
    const answers = [
      authenticate({ session_token: session.sessionToken }),
      authenticate({ session_token: session.sessionToken }),
      authenticate({ session_token: 'sess_tok_unknown_to_the_fake' }),
    ];
    await issuer.whenAuthenticateHeld(3);
    expect(issuer.authenticateConcurrency).toEqual({ inFlight: 3, maxInFlight: 3, held: 3 });
    issuer.releaseAuthenticate();
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200, 404]);
    // Not held any more: answered at once.
    expect((await authenticate({ session_token: session.sessionToken })).status).toBe(200);
    expect(issuer.authenticateConcurrency).toMatchObject({ inFlight: 0, held: 0, maxInFlight: 3 });
    issuer.resetCounters();
    expect(issuer.authenticateConcurrency.maxInFlight).toBe(0);
  });

  it('a held call still meets the queued failure, and a call whose client gives up leaves the count', async () => {
    issuer.holdAuthenticate();
    issuer.failAuthenticate({ status: 503 });
    const failed = authenticate({ session_token: 'x' });
    await issuer.whenAuthenticateHeld(1);
    const abandoned = new AbortController();
    const gone = authenticate({ session_token: 'y' }, abandoned.signal).catch((error: unknown) => (error as Error).name);
    await issuer.whenAuthenticateHeld(2);
    abandoned.abort();
    expect(await gone).toBe('AbortError');
    issuer.releaseAuthenticate();
    expect((await failed).status).toBe(503);
    // The abandoned call's socket closed: the server no longer counts it in flight.
    await issuer.whenAuthenticateSettled();
    expect(issuer.authenticateConcurrency.inFlight).toBe(0);
    expect(issuer.authenticateConcurrency.maxInFlight).toBe(2);
  });
});

describe('counters and close', () => {
  it('counts requests per endpoint and resets', async () => {
    await fetch(issuer.jwksUrl);
    await fetch(issuer.jwksUrl);
    await authenticate({ session_token: 'x' });
    await fetch(`${issuer.baseUrl}/elsewhere`);
    await fetch(`${issuer.baseUrl}/v1/b2b/rbac/policy`);
    await fetch(`${issuer.baseUrl}/v1/b2b/rbac/organizations/organization-test-1`);
    await fetch(`${issuer.baseUrl}/v1/b2b/rbac/organizations/organization-test-2`);
    expect({ ...issuer.requests }).toEqual({ jwks: 2, authenticate: 1, rbacPolicy: 1, rbacOrgPolicy: 2, other: 1 });
    issuer.resetCounters();
    expect({ ...issuer.requests }).toEqual({ jwks: 0, authenticate: 0, rbacPolicy: 0, rbacOrgPolicy: 0, other: 0 });
  });

  it('close() is immediate while responses are held, and idempotent', async () => {
    issuer.setJwksMode('slow', { slowMs: 60_000 });
    issuer.failAuthenticate({ mode: 'timeout' });
    const held = [fetch(issuer.jwksUrl), authenticate({ session_token: 'x' })].map((p) => p.then(
      () => 'answered',
      () => 'failed',
    ));
    // Both requests reached the server (its counters; bounded wait, no fixed delay).
    const deadline = Date.now() + 5_000;
    while (issuer.requests.jwks + issuer.requests.authenticate < 2 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect(issuer.requests).toMatchObject({ jwks: 1, authenticate: 1 });

    const started = Date.now();
    await issuer.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await Promise.all(held)).toEqual(['failed', 'failed']);
    await issuer.close();
    await expect(fetch(issuer.jwksUrl)).rejects.toThrow(TypeError);
  });
});
