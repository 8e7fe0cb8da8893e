import { describe, expect, it } from 'vitest';
import { createAuth, createAuthFromEnv } from 'ayz-auth';
import { configError } from '../support/errors.js';
import { databaseNameFromUri, resolveOptions } from '../../src/config/resolve-options.js';
import { optionsFromEnv } from '../../src/config/options-from-env.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';

describe('createAuth options', () => {
  it('reports every invalid option at once, by name', () => {
    const error = configError(() =>
      createAuth({
        stytch: { projectId: 'nope', environment: 'prod' as 'test', baseUrl: 'ftp://x' },
        jwt: { clockToleranceSec: -1 },
        remote: { retries: 99 },
        context: { onUnavailable: 'ignore' as 'fail' },
      }),
    );
    const paths = error.issues.map((i) => i.path).sort();
    expect(paths).toEqual(
      ['context.onUnavailable', 'jwt.clockToleranceSec', 'remote.retries', 'stytch.baseUrl', 'stytch.environment', 'stytch.projectId'].sort(),
    );
    expect(error.message).toContain('stytch.projectId');
  });

  it('refuses an environment that contradicts the project id', () => {
    const error = configError(() => createAuth({ stytch: { projectId: PROJECT, environment: 'live' } }));
    expect(error.issues.map((i) => i.path)).toEqual(['stytch.environment']);
  });

  it('picks the host and issuers from the environment and base URL', () => {
    const test = resolveOptions({ stytch: { projectId: PROJECT } });
    expect(test.jwks.url).toBe(`https://test.stytch.com/v1/b2b/sessions/jwks/${PROJECT}`);
    expect(test.stytch.issuers).toEqual([`stytch.com/${PROJECT}`]);
    const live = resolveOptions({ stytch: { projectId: 'project-live-abc' } });
    expect(live.stytch.apiBaseUrl).toBe('https://api.stytch.com');
    const custom = resolveOptions({ stytch: { projectId: PROJECT, baseUrl: 'https://login.example.com/' } });
    expect(custom.stytch.apiBaseUrl).toBe('https://login.example.com');
    expect(custom.stytch.issuers).toEqual([`stytch.com/${PROJECT}`, 'https://login.example.com']);
  });
});

describe('createAuthFromEnv', () => {
  it('names every bad variable at once', () => {
    const error = configError(() =>
      createAuthFromEnv({
        STYTCH_ENVIRONMENT: 'staging',
        MONGODB_URI: 'postgres://x',
        STYTCH_CACHE_TTL: 'soon',
        STYTCH_LOG_LEVEL: 'loud',
        STYTCH_REQUEST_TIMEOUT: '-3',
      }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(
      ['MONGODB_URI', 'STYTCH_CACHE_TTL', 'STYTCH_ENVIRONMENT', 'STYTCH_LOG_LEVEL', 'STYTCH_PROJECT_ID', 'STYTCH_REQUEST_TIMEOUT'].sort(),
    );
  });

  it('reads the spec table, with STYTCH_ENV as the legacy name', () => {
    const { options } = optionsFromEnv({
      STYTCH_PROJECT_ID: PROJECT,
      STYTCH_SECRET: 'secret-test-x',
      STYTCH_ENV: 'test',
      MONGODB_URI: 'mongodb://h:27017/mydb',
      STYTCH_CACHE_TTL: '120',
      STYTCH_REQUEST_TIMEOUT: '2.5',
      STYTCH_LOG_LEVEL: 'WARN',
    });
    expect(options).toMatchObject({
      stytch: { projectId: PROJECT, secret: 'secret-test-x', environment: 'test' },
      mongo: { uri: 'mongodb://h:27017/mydb' },
      logLevel: 'warn',
      remote: { cacheTtlSec: 120, timeoutMs: 2500 },
    });
    expect(optionsFromEnv({ STYTCH_PROJECT_ID: PROJECT, STYTCH_ENVIRONMENT: 'test', STYTCH_ENV: 'live' }).options.stytch.environment).toBe('test');
  });

  it('never switches to test credentials because CI is set', () => {
    const error = configError(() => createAuthFromEnv({ CI: 'true', GITHUB_ACTIONS: 'true' }));
    expect(error.issues.map((i) => i.path)).toEqual(['STYTCH_PROJECT_ID']);
  });

  it('resolves the database name as the Python library did', () => {
    expect(databaseNameFromUri('mongodb+srv://u:p@c.net/mydb?retryWrites=true')).toBe('mydb');
    expect(databaseNameFromUri('mongodb://h/?authSource=admin')).toBe('soulmates');
    expect(databaseNameFromUri('mongodb://localhost:27017')).toBe('soulmates');
    const resolved = resolveOptions(optionsFromEnv({ STYTCH_PROJECT_ID: PROJECT, MONGODB_URI: 'mongodb://h/ignored', MONGODB_DB: 'x' }).options);
    expect(resolved.mongo).toMatchObject({ kind: 'uri', dbName: 'x' });
  });
});
