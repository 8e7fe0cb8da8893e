import { describe, expect, it } from 'vitest';
import { createAuth, createAuthFromEnv } from 'ayz-auth';
import { configError } from '../support/errors.js';

const LIVE = 'project-live-11111111-2222-3333-4444-555555555555';
const TEST = 'project-test-11111111-2222-3333-4444-555555555555';

describe('Stytch URLs must be https unless the host is loopback', () => {
  it('refuses plain http for STYTCH_BASE_URL with a live or a test project, naming the variable', () => {
    for (const projectId of [LIVE, TEST]) {
      const error = configError(() =>
        createAuthFromEnv({ STYTCH_PROJECT_ID: projectId, STYTCH_SECRET: 'secret-live-x', STYTCH_BASE_URL: 'http://login.example.com' }),
      );
      expect(error.issues).toEqual([{ path: 'STYTCH_BASE_URL', message: expect.stringContaining('https') }]);
    }
  });

  it('refuses plain http for stytch.baseUrl and jwks.url, naming the option', () => {
    const error = configError(() =>
      createAuth({
        stytch: { projectId: LIVE, secret: 'secret-live-x', baseUrl: 'http://login.example.com' },
        jwks: { url: 'http://keys.example.com/jwks' },
      }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(['jwks.url', 'stytch.baseUrl']);
    expect(error.message).toContain('https');
  });

  it('accepts https anywhere and http to localhost, 127.0.0.0/8 and [::1]', async () => {
    for (const baseUrl of ['https://login.example.com', 'http://localhost:4010', 'http://127.0.0.1:4010', 'http://127.8.9.10', 'http://[::1]:4010']) {
      const auth = createAuth({ stytch: { projectId: LIVE, secret: 'secret-live-x', baseUrl }, jwks: { url: `${baseUrl}/jwks` }, logLevel: 'silent' });
      await auth.close();
    }
    const auth = createAuthFromEnv({ STYTCH_PROJECT_ID: TEST, STYTCH_BASE_URL: 'http://127.0.0.1:9', STYTCH_LOG_LEVEL: 'silent' });
    await auth.close();
  });

  it('does not take a look-alike host for loopback', () => {
    for (const baseUrl of ['http://localhost.example.com', 'http://127.0.0.1.nip.io', 'http://[::2]', 'http://128.0.0.1']) {
      const error = configError(() => createAuth({ stytch: { projectId: TEST, baseUrl } }));
      expect(error.issues.map((i) => i.path), baseUrl).toEqual(['stytch.baseUrl']);
    }
  });
});
