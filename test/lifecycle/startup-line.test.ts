/**
 * `createAuth` writes one INFO line saying how this instance is configured — project,
 * environment, MongoDB hosts and database, opaque tokens, caches — and nothing secret.
 */
import { describe, expect, it } from 'vitest';
import { createAuth } from 'ayz-auth';
import { captureLogs } from '../support/log-capture.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';
const SECRET = 'secret-test-Zx9yWv8uTs7rQp6oNm5lKj4iHg3f';
const PASSWORD = 'pw-Qm4rT7zL2xN8vB5k';

describe('start-up line', () => {
  it('one INFO line with project, environment, MongoDB host/database, opaque tokens and caches; no secret, no credentials', async () => {
    const logs = captureLogs();
    const auth = createAuth({
      stytch: { projectId: PROJECT, secret: SECRET, baseUrl: 'http://127.0.0.1:9' },
      mongo: { uri: `mongodb://svc-user:${PASSWORD}@127.0.0.1:9/tenants?authSource=admin` },
      context: { directoryTtlSec: 45 },
      tokenCache: { max: 1234 },
      logger: logs.logger,
    });
    try {
      const lines = logs.find('ayz-auth started', 'info');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ projectId: PROJECT, environment: 'test', mongo: '127.0.0.1:9/tenants', opaqueTokens: 'on', tokenCacheMax: 1234, directoryTtlSec: 45 });
      expect(lines[0]!.msg).toContain(PROJECT);
      expect(logs.records().filter((r) => r.level === 30)).toHaveLength(1);
      logs.expectNoSecrets(SECRET, PASSWORD);
      expect(logs.text()).not.toContain('svc-user');
    } finally {
      await auth.close();
    }
    // Closing adds no second start-up line.
    expect(logs.find('ayz-auth started')).toHaveLength(1);
  });

  it('says MongoDB off and opaque tokens off without a secret', async () => {
    const logs = captureLogs();
    const auth = createAuth({ stytch: { projectId: PROJECT, baseUrl: 'http://127.0.0.1:9' }, logger: logs.logger });
    try {
      expect(logs.find('ayz-auth started', 'info')[0]).toMatchObject({ mongo: 'off', opaqueTokens: 'off (no secret)' });
    } finally {
      await auth.close();
    }
  });
});
