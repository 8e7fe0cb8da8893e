import { describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createAuth, type AuthOptions } from 'ayz-auth';
import { configError } from '../support/errors.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';

/** Options as a JavaScript caller (or a spread of untyped config) would pass them. */
const untyped = (options: Record<string, unknown>): AuthOptions => options as unknown as AuthOptions;

describe('options objects are strict', () => {
  it('refuses a misspelled security option and names the closest known one', () => {
    const error = configError(() => createAuth(untyped({ stytch: { projectId: PROJECT }, jwt: { maxTokenAge: 60 } })));
    expect(error.issues).toEqual([{ path: 'jwt.maxTokenAge', message: expect.stringContaining("did you mean 'maxTokenAgeSec'?") }]);
  });

  it('refuses context.writeback and stytch.secrt, every one at once', () => {
    const error = configError(() =>
      createAuth(untyped({ stytch: { projectId: PROJECT, secrt: 'secret-test-x' }, context: { writeback: false } })),
    );
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual(['context.writeback', 'stytch.secrt']);
    expect(byPath['context.writeback']).toContain("did you mean 'writeBackTeam'?");
    expect(byPath['stytch.secrt']).toContain("did you mean 'secret'?");
    expect(error.message).toContain('stytch.secrt');
  });

  it('refuses unknown top-level keys, and lists the known names when nothing is close', () => {
    const error = configError(() => createAuth(untyped({ stytch: { projectId: PROJECT }, logLvl: 'debug', zzzzzzzzzzzz: 1 })));
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(byPath['logLvl']).toContain("did you mean 'logLevel'?");
    expect(byPath['zzzzzzzzzzzz']).toMatch(/known: .*stytch.*mongo/);
  });

  it('is strict in every nested object: jwks, remote, tokenCache, mongo, provisioning', () => {
    const error = configError(() =>
      createAuth(
        untyped({
          stytch: { projectId: PROJECT },
          jwks: { timeoutMS: 100 },
          remote: { retry: 1 },
          tokenCache: { maxSize: 5 },
          mongo: { uri: 'mongodb://127.0.0.1:1/db', dbname: 'x' },
          provisioning: { enabled: true, createOrganisations: true, organizationDefaults: { entitlement: ['a'] } },
        }),
      ),
    );
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(byPath).toMatchObject({
      'jwks.timeoutMS': expect.stringContaining("'timeoutMs'"),
      'remote.retry': expect.stringContaining("'retries'"),
      'tokenCache.maxSize': expect.stringContaining("'max'"),
      'mongo.dbname': expect.stringContaining("'dbName'"),
      'provisioning.createOrganisations': expect.stringContaining("'createOrganizations'"),
      'provisioning.organizationDefaults.entitlement': expect.stringContaining("'entitlements'"),
    });
  });

  it('leaves mongo.clientOptions free (driver options), and the driver still checks them', async () => {
    const auth = createAuth({
      stytch: { projectId: PROJECT },
      mongo: { uri: 'mongodb://127.0.0.1:1/db', clientOptions: { maxPoolSize: 3, retryReads: false } },
      logLevel: 'silent',
    });
    await auth.close();
    const error = configError(() =>
      createAuth(untyped({ stytch: { projectId: PROJECT }, mongo: { uri: 'mongodb://127.0.0.1:1/db', clientOptions: { maxPoolSise: 3 } } })),
    );
    expect(error.issues).toEqual([{ path: 'mongo.clientOptions', message: expect.stringContaining('maxpoolsise') }]);
  });

  it('refuses a mongo object with both uri and db, or neither', () => {
    const neither = configError(() => createAuth(untyped({ stytch: { projectId: PROJECT }, mongo: {} })));
    expect(neither.issues.map((i) => i.path)).toEqual(['mongo.uri']);
    const db = new MongoClient('mongodb://127.0.0.1:1').db('x');
    const both = configError(() => createAuth(untyped({ stytch: { projectId: PROJECT }, mongo: { uri: 'mongodb://127.0.0.1:1/db', db } })));
    expect(both.issues).toEqual([{ path: 'mongo.uri', message: 'cannot be combined with mongo.db' }]);
  });
});
