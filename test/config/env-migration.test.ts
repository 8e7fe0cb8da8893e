import { describe, expect, it } from 'vitest';
import { AuthConfigError, createAuthFromEnv } from 'ayz-auth';
import { configError } from '../support/errors.js';
import { optionsFromEnv } from '../../src/config/options-from-env.js';
import { captureLogs } from '../support/log-capture.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';
const BASE = { STYTCH_PROJECT_ID: PROJECT };

describe('a service migrating from the Python library keeps its environment', () => {
  it('reads STYTCH_MONGODB_URI / STYTCH_MONGODB_DB as aliases, with one WARN each naming the new variable', async () => {
    const logs = captureLogs();
    const auth = createAuthFromEnv(
      { ...BASE, STYTCH_MONGODB_URI: 'mongodb://127.0.0.1:1/fromuri', STYTCH_MONGODB_DB: 'legacydb' },
      { logger: logs.logger },
    );
    try {
      const uriWarn = logs.find('STYTCH_MONGODB_URI', 'warn');
      const dbWarn = logs.find('STYTCH_MONGODB_DB', 'warn');
      expect(uriWarn).toHaveLength(1);
      expect(uriWarn[0]).toMatchObject({ variable: 'STYTCH_MONGODB_URI', replacement: 'MONGODB_URI', lib: 'ayz-auth' });
      expect(uriWarn[0]?.msg).toContain('MONGODB_URI');
      expect(dbWarn).toHaveLength(1);
      expect(dbWarn[0]?.msg).toContain('rename it to MONGODB_DB');
      // The aliases are the values used.
      expect(optionsFromEnv({ ...BASE, STYTCH_MONGODB_URI: 'mongodb://127.0.0.1:1/fromuri', STYTCH_MONGODB_DB: 'legacydb' }).options.mongo).toEqual({
        uri: 'mongodb://127.0.0.1:1/fromuri',
        dbName: 'legacydb',
      });
    } finally {
      await auth.close();
    }
  });

  it('lets the new name win when both are set, and says so', async () => {
    const logs = captureLogs();
    const auth = createAuthFromEnv(
      { ...BASE, MONGODB_DB: 'newdb', STYTCH_MONGODB_DB: 'olddb', MONGODB_URI: 'mongodb://127.0.0.1:1/x' },
      { logger: logs.logger },
    );
    await auth.close();
    const warns = logs.find('STYTCH_MONGODB_DB', 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toContain('MONGODB_DB wins');
  });

  it('the alias is the value used: an invalid STYTCH_MONGODB_DB is reported under its own name', () => {
    const error = configError(() => createAuthFromEnv({ ...BASE, STYTCH_MONGODB_URI: 'mongodb://127.0.0.1:1/x', STYTCH_MONGODB_DB: 'bad/name' }));
    expect(error.issues).toEqual([{ path: 'STYTCH_MONGODB_DB', message: 'is not a valid database name' }]);
  });

  it('gives the Python Redis settings one WARN saying they are not used and why', async () => {
    const logs = captureLogs();
    const auth = createAuthFromEnv(
      { ...BASE, STYTCH_REDIS_URL: 'redis://:hunter2pass@cache:6379', STYTCH_REDIS_PASSWORD: 'hunter2pass', STYTCH_REDIS_DB: '2' },
      { logger: logs.logger },
    );
    await auth.close();
    const warns = logs.find('STYTCH_REDIS', 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]?.msg).toContain('not used');
    expect(warns[0]?.msg).toContain('no Redis cache');
    expect(warns[0]).toMatchObject({ variables: ['STYTCH_REDIS_DB', 'STYTCH_REDIS_PASSWORD', 'STYTCH_REDIS_URL'] });
    logs.expectNoSecrets('hunter2pass');
  });

  it('names STYTCH_BASE_URL when a base URL is put into STYTCH_ENVIRONMENT', () => {
    for (const value of ['https://test.stytch.com', 'api.stytch.com']) {
      const error = configError(() => createAuthFromEnv({ ...BASE, STYTCH_ENVIRONMENT: value }));
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]?.path).toBe('STYTCH_ENVIRONMENT');
      expect(error.issues[0]?.message).toContain('STYTCH_BASE_URL');
    }
  });
});

describe('every configuration error names what the user set', () => {
  it('names the variable, not the option path, for a value from the environment', () => {
    const error = configError(() =>
      createAuthFromEnv({ ...BASE, MONGODB_URI: 'mongodb://127.0.0.1:1/x', MONGODB_DB: 'a.b', STYTCH_REQUEST_TIMEOUT: '500' }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(['MONGODB_DB', 'STYTCH_REQUEST_TIMEOUT']);
    expect(error.message).toContain('MONGODB_DB');
    expect(error.message).not.toContain('mongo.dbName');
  });

  it('names the variable for an environment that contradicts the project id', () => {
    const error = configError(() => createAuthFromEnv({ ...BASE, STYTCH_ENV: 'live' }));
    expect(error.issues.map((i) => i.path)).toEqual(['STYTCH_ENV']);
  });

  it('names the option path when the bad value came from the overrides', () => {
    const error = configError(() =>
      createAuthFromEnv({ ...BASE, MONGODB_URI: 'mongodb://127.0.0.1:1/x' }, { mongo: { uri: 'mongodb://127.0.0.1:1/x', dbName: 'a.b' } }),
    );
    expect(error.issues.map((i) => i.path)).toEqual(['mongo.dbName']);
  });

  it('turns a MONGODB_URI the driver cannot parse into an AuthConfigError naming MONGODB_URI, without the password', () => {
    const password = 'Sup3rSecretPw';
    for (const uri of [
      `mongodb://admin:${password}@db.internal:notaport/app`,
      `mongodb+srv://admin:${password}@cluster.example.net:27017/app`,
      `mongodb://admin:${password}@db.internal/app?notAnOption=1`,
      `mongodb://admin:${password}@db.internal/app?serverSelectionTimeoutMS=soon`,
    ]) {
      const error = configError(() => createAuthFromEnv({ ...BASE, MONGODB_URI: uri }));
      expect(error.issues, uri).toHaveLength(1);
      expect(error.issues[0]?.path).toBe('MONGODB_URI');
      expect(error.issues[0]?.message).toContain('MongoDB driver');
      expect(error.message).not.toContain(password);
      expect(JSON.stringify(error.issues)).not.toContain(password);
    }
  });

  it('reports an unparsable MONGODB_URI together with the other bad variables', () => {
    const error = configError(() =>
      createAuthFromEnv({ ...BASE, MONGODB_URI: 'mongodb://u:pw12345@h:bad/x', STYTCH_CACHE_TTL: 'soon' }),
    );
    expect(error.issues.map((i) => i.path).sort()).toEqual(['MONGODB_URI', 'STYTCH_CACHE_TTL']);
  });
});
