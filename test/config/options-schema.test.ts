/**
 * The options are defined once: one zod schema holds every rule and default, the documented
 * interfaces are tied to it at compile time, and the environment reader validates with it.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import { createAuthFromEnv, type Auth, type AuthOptions } from 'ayz-auth';
import { configError } from '../support/errors.js';
import { optionsFromEnv } from '../../src/config/options-from-env.js';
import type { AssertNoMismatch, OptionKeyMismatch } from '../../src/config/option-keys.js';
import { authOptionsSchema, MONGO_CLIENT_DEFAULTS } from '../../src/config/options-schema.js';
import { mongoClientOptions } from '../../src/config/mongo-client-options.js';
import { resolveOptions, type ResolvedOptions } from '../../src/config/resolve-options.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';
type SchemaInput = z.input<typeof authOptionsSchema>;

const auths: Auth[] = [];
afterEach(async () => {
  for (const auth of auths.splice(0)) await auth.close();
});

describe('the option interfaces and the schema name the same options (checked by tsc in npm test)', () => {
  it('AuthOptions and the schema input have no key on one side only', () => {
    expectTypeOf<OptionKeyMismatch<AuthOptions, SchemaInput>>().toEqualTypeOf<never>();
  });

  it('an option in the interface but not in the schema, top level or nested, is a type error', () => {
    type WithTopLevel = AuthOptions & { retriesEverywhere?: number };
    type WithNested = Omit<AuthOptions, 'context'> & { context?: NonNullable<AuthOptions['context']> & { ttlJitterSec?: number } };
    expectTypeOf<OptionKeyMismatch<WithTopLevel, SchemaInput>>().toEqualTypeOf<'retriesEverywhere (in the interface, not in the schema)'>();
    expectTypeOf<OptionKeyMismatch<WithNested, SchemaInput>>().toEqualTypeOf<'context.ttlJitterSec (in the interface, not in the schema)'>();
    // @ts-expect-error the interface has an option the schema does not know
    type TopLevel = AssertNoMismatch<OptionKeyMismatch<WithTopLevel, SchemaInput>>;
    // @ts-expect-error the same, one group down
    type Nested = AssertNoMismatch<OptionKeyMismatch<WithNested, SchemaInput>>;
    expectTypeOf<TopLevel | Nested>().not.toBeAny();
  });

  it('an option in the schema but not in the interface is a type error', () => {
    type WithSchemaOnly = SchemaInput & { jwks?: NonNullable<SchemaInput['jwks']> & { prefetch?: boolean } };
    expectTypeOf<OptionKeyMismatch<AuthOptions, WithSchemaOnly>>().toEqualTypeOf<'jwks.prefetch (in the schema, not in the interface)'>();
    // @ts-expect-error the schema validates an option the interface does not document
    type SchemaOnly = AssertNoMismatch<OptionKeyMismatch<AuthOptions, WithSchemaOnly>>;
    expectTypeOf<SchemaOnly>().not.toBeAny();
  });

  it('the resolved types are inferred from the schema', () => {
    expectTypeOf<ResolvedOptions['remote']['timeoutMs']>().toEqualTypeOf<number>();
    expectTypeOf<ResolvedOptions['context']['onUnavailable']>().toEqualTypeOf<'fail' | 'degrade'>();
    expectTypeOf<ResolvedOptions['jwt']['maxTokenAgeSec']>().toEqualTypeOf<number | null>();
    expectTypeOf<ResolvedOptions['rbac']['organizationPolicies']>().toEqualTypeOf<boolean>();
  });
});

describe('every default comes from the schema', () => {
  it('a minimal configuration resolves to the documented defaults', () => {
    const r = resolveOptions({ stytch: { projectId: PROJECT } });
    expect(r.logLevel).toBe('info');
    expect(r.jwt).toEqual({ clockToleranceSec: 5, maxTokenAgeSec: null });
    expect(r.jwks).toEqual({
      url: `https://test.stytch.com/v1/b2b/sessions/jwks/${PROJECT}`,
      keys: null,
      timeoutMs: 5_000,
      cooldownMs: 30_000,
      maxAgeMs: 600_000,
      staleIfErrorMs: 3_600_000,
    });
    expect(r.remote).toEqual({ cacheTtlSec: 300, timeoutMs: 10_000, retries: 2, negativeCacheTtlSec: 30, maxInFlight: 32, acceptOpaqueTokens: true });
    expect(r.tokenCache).toEqual({ max: 10_000 });
    expect(r.context).toEqual({
      directoryTtlSec: 60,
      directoryMax: 10_000,
      cacheTeam: false,
      teamTtlSec: 30,
      writeBackTeam: true,
      onUnavailable: 'fail',
      requireTeamMembership: false,
      watch: false,
      team: { from: 'stored', header: 'x-team-id' },
    });
    expect(r.provisioning).toBeNull();
    expect(r.rbac).toEqual({ refreshIntervalMs: 300_000, staleIfErrorMs: 3_600_000, timeoutMs: 10_000, maxBackoffMs: 60_000, organizationPolicies: false, maxOrganizations: 1_000 });
    expect(r.tokenSources).toEqual({
      tokenFrom: ['header'],
      cookies: { jwt: 'stytch_session_jwt', opaque: 'stytch_session' },
      allowedOrigins: new Set(),
      accept: ['session'],
    });
    expect(mongoClientOptions({ uri: 'mongodb://127.0.0.1:1/x' })).toEqual(MONGO_CLIENT_DEFAULTS);
  });

  it('a group given in part keeps the defaults of the fields left out', () => {
    const r = resolveOptions({
      stytch: { projectId: PROJECT },
      mongo: { uri: 'mongodb://127.0.0.1:1/x' },
      context: { team: { from: 'header' } },
      provisioning: { enabled: true, organizationDefaults: { subscriptionTier: 'pro' } },
      cookies: { jwt: 'app_jwt' },
    });
    expect(r.context.team).toEqual({ from: 'header', header: 'x-team-id' });
    expect(r.context.directoryTtlSec).toBe(60);
    expect(r.provisioning).toEqual({
      createOrganizations: false,
      organizationDefaults: { entitlements: [], subscriptionTier: 'pro', subscriptionLimits: {} },
      lastLoginTtlSec: 3600,
      checkIndexes: true,
    });
    expect(r.tokenSources.cookies).toEqual({ jwt: 'app_jwt', opaque: 'stytch_session' });
  });
});

describe('optionsFromEnv validates with the same schema', () => {
  it('refuses a value the schema refuses, naming the variable, before any Auth is made', () => {
    // 500 s is a valid number but outside remote.timeoutMs' range; 100000 s outside cacheTtlSec's.
    const error = configError(() => optionsFromEnv({ STYTCH_PROJECT_ID: PROJECT, STYTCH_REQUEST_TIMEOUT: '500', STYTCH_CACHE_TTL: '100000' }));
    expect(error.issues.map((i) => i.path).sort()).toEqual(['STYTCH_CACHE_TTL', 'STYTCH_REQUEST_TIMEOUT']);
    expect(error.message).not.toContain('remote.');
  });

  it('a variable that code overrides is not judged: the override decides, as before', () => {
    const auth = createAuthFromEnv(
      { STYTCH_PROJECT_ID: PROJECT, STYTCH_REQUEST_TIMEOUT: '500', STYTCH_LOG_LEVEL: 'silent' },
      { remote: { timeoutMs: 1_000 } },
    );
    auths.push(auth);
    const error = configError(() => createAuthFromEnv({ STYTCH_PROJECT_ID: PROJECT, STYTCH_REQUEST_TIMEOUT: '500' }, { remote: { retries: 1 } }));
    expect(error.issues).toEqual([{ path: 'STYTCH_REQUEST_TIMEOUT', message: expect.any(String) }]);
  });

  it('accepts exactly what createAuth accepts: a refused variable is refused at once, an accepted one resolves', () => {
    const cases: [Record<string, string>, boolean][] = [
      [{ STYTCH_CACHE_TTL: '86400' }, false],
      [{ STYTCH_CACHE_TTL: '86401' }, true],
      [{ STYTCH_REQUEST_TIMEOUT: '120' }, false],
      [{ STYTCH_REQUEST_TIMEOUT: '120.001' }, true],
      [{ STYTCH_LOG_LEVEL: 'TRACE' }, false],
      [{ STYTCH_LOG_LEVEL: 'verbose' }, true],
      [{ STYTCH_BASE_URL: 'http://login.example.com' }, true],
      [{ STYTCH_BASE_URL: 'http://127.0.0.1:9' }, false],
      [{ MONGODB_URI: 'mongodb://127.0.0.1:1/x', MONGODB_DB: 'a.b' }, true],
      [{ MONGODB_URI: 'mongodb://127.0.0.1:1/x', MONGODB_DB: 'ok' }, false],
    ];
    for (const [vars, refused] of cases) {
      const read = () => optionsFromEnv({ STYTCH_PROJECT_ID: PROJECT, ...vars }).options;
      if (refused) {
        expect(configError(read).issues.map((i) => i.path), JSON.stringify(vars)).toEqual(Object.keys(vars).slice(-1));
      } else {
        expect(() => resolveOptions(read()), JSON.stringify(vars)).not.toThrow();
      }
    }
  });
});
