import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, createAuthFromEnv } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { MONGO_CLIENT_DEFAULTS } from '../../src/config/mongo-client-options.js';
import { captureLogs } from '../support/log-capture.js';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return port;
}

describe('createAuth wiring of the configuration', () => {
  it('writes one INFO line at start-up: project, environment, MongoDB host and database, opaque tokens, caches; no secret', async () => {
    const logs = captureLogs();
    const password = 'Pw-Never-In-Logs-123';
    const auth = createAuth({
      stytch: issuer.authOptions,
      mongo: { uri: `mongodb://svc:${password}@127.0.0.1:1/appdb` },
      tokenCache: { max: 42 },
      logger: logs.logger,
    });
    try {
      const infos = logs.records().filter((r) => r.level === 30 && r.msg.startsWith('ayz-auth started'));
      expect(infos).toHaveLength(1);
      expect(infos[0]).toMatchObject({
        projectId: issuer.projectId,
        environment: 'test',
        mongo: '127.0.0.1:1/appdb',
        opaqueTokens: 'on',
        tokenCacheMax: 42,
        remoteCacheTtlSec: 300,
      });
      logs.expectNoSecrets(issuer.authOptions.secret, password);
    } finally {
      await auth.close();
    }
  });

  it('honours the URI’s serverSelectionTimeoutMS: a request fails after ~300 ms, not the 5 s default', async () => {
    const port = await closedPort();
    const logs = captureLogs();
    const auth = createAuthFromEnv(
      {
        STYTCH_PROJECT_ID: issuer.projectId,
        STYTCH_SECRET: issuer.authOptions.secret,
        STYTCH_BASE_URL: issuer.baseUrl,
        MONGODB_URI: `mongodb://127.0.0.1:${port}/app?serverSelectionTimeoutMS=300&directConnection=true`,
      },
      { logger: logs.logger },
    );
    try {
      const jwt = issuer.sessionJwt({ memberId: 'member-test-1', organizationId: 'organization-test-1' });
      const started = performance.now();
      const failure = await auth.authenticateRequest({ authorization: `Bearer ${jwt}` }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(AuthError);
      expect((failure as AuthError).code).toBe('context_unavailable');
      // Generous bound from the option: far under the default the library used to impose.
      expect(performance.now() - started).toBeLessThan(MONGO_CLIENT_DEFAULTS.serverSelectionTimeoutMS! / 2);
    } finally {
      await auth.close();
    }
  });
});
