import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The exact run-time exports of every entry point of the built package (`npm test` builds
 * first), through `import` and `require` by the package name. An export added, renamed or
 * removed fails here, so it is a decision written down in this list (and in the CHANGELOG),
 * never an accident of a refactoring.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

const EXPORTS: Record<string, readonly string[]> = {
  'ayz-auth': [
    'AUTH_ERROR_CODES',
    'AuthConfigError',
    'AuthError',
    'DEFAULT_LAST_LOGIN_TTL_SEC',
    'DEFAULT_POLICY_REFRESH_MS',
    'DEFAULT_POLICY_STALE_IF_ERROR_MS',
    'DEFAULT_SCOPE_FIELDS',
    'PROVISIONED_BY',
    'PROVISIONING_INDEXES',
    'RECOMMENDED_INDEXES',
    'WILDCARD_ACTION',
    'WWW_AUTHENTICATE_REALM',
    'attribution',
    'buildPermissionIndex',
    'claimError',
    'createAuth',
    'createAuthFromEnv',
    'createFactorCheck',
    'createPermissionCheck',
    'createProvisioningIndexes',
    'createRecommendedIndexes',
    'createRoleCheck',
    'currentAuth',
    'entitlementError',
    'extractBearerToken',
    'factorError',
    'forAnyCaller',
    'hasEntitlement',
    'hasPermission',
    'hasRole',
    'hasScopes',
    'isAuthError',
    'isAuthorized',
    'memberRequiredError',
    'parseBearerHeader',
    'permissionError',
    'peekCurrentAuth',
    'provisionMember',
    'roleError',
    'runWithAuth',
    'scopeClause',
    'scopeError',
    'scopeFilter',
    'scopedInsert',
    'scopedUpdate',
    'teamError',
    'tokenFingerprint',
    'version',
  ],
  'ayz-auth/express': [
    'REFRESHED_SESSION_JWT_HEADER',
    'getAuth',
    'getCaller',
    'peekAuth',
    'requireAllEntitlements',
    'requireAnyEntitlement',
    'requireAnyRole',
    'requireClaims',
    'requireEntitlement',
    'requireFactors',
    'requirePermission',
    'requireRole',
    'requireScopes',
    'requireTeam',
    'toMiddleware',
    'verifyAuth',
    'verifyAuthOptional',
  ],
  'ayz-auth/fastify': [
    'REFRESHED_SESSION_JWT_HEADER',
    'ayzAuth',
    'ayzAuthPlugin',
    'default',
    'getAuth',
    'getCaller',
    'peekAuth',
    'requireAllEntitlements',
    'requireAnyEntitlement',
    'requireAnyRole',
    'requireClaims',
    'requireEntitlement',
    'requireFactors',
    'requirePermission',
    'requireRole',
    'requireScopes',
    'requireTeam',
    'toHook',
  ],
  'ayz-auth/testing': [
    'COLLECTIONS',
    'DEFAULT_TEST_PROJECT_ID',
    'DEFAULT_TEST_RBAC_POLICY',
    'ORGANIZATION_CLAIM',
    'SESSION_CLAIM',
    'createLocalTestIssuer',
    'createTestIssuer',
    'seedMember',
    'seedOrgMembership',
    'seedOrganization',
    'seedTeam',
    'seedTeamMembership',
    'seedUser',
  ],
  'ayz-auth/internal': [
    'REFRESHED_SESSION_JWT_HEADER',
    'VerifiedRequests',
    'acceptOption',
    'authenticationHeaders',
    'bindGuards',
    'guardChecks',
    'isAuth',
    'refreshedSessionJwtHeaders',
    'refusalOf',
    'runInAuthSlot',
    'runInNewAuthSlot',
    'settledAuthentication',
  ],
};

function keysOf(specifier: string, system: 'import' | 'require'): string[] {
  const script =
    system === 'import'
      ? `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`
      : `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).sort()))`;
  const args = system === 'import' ? ['--input-type=module', '-e', script] : ['-e', script];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' })) as string[];
}

describe('the exports of every entry point', () => {
  it('covers every subpath of package.json', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { exports: Record<string, unknown> };
    const subpaths = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? 'ayz-auth' : `ayz-auth/${k.slice(2)}`));
    expect(subpaths.sort()).toEqual(Object.keys(EXPORTS).sort());
  });

  it.each(Object.entries(EXPORTS).flatMap(([s, names]) => (['import', 'require'] as const).map((system) => [s, system, names] as const)))(
    '%s (%s) exports exactly its list',
    (specifier, system, names) => {
      expect(keysOf(specifier, system)).toEqual([...names].sort());
    },
  );

  it('the internal entry shares the core modules: its refusals are the AuthError class `ayz-auth` exports', () => {
    const script = `
      const core = await import('ayz-auth');
      const internal = await import('ayz-auth/internal');
      const store = new internal.VerifiedRequests({ request: 'req', verifyAuth: 'v', verifyAuthOptional: 'o' });
      const req = {};
      store.begin(req, {}); store.set(req, null);
      console.log(String(store.decide(req, () => null, 'g') instanceof core.AuthError));
    `;
    const cjs = `
      const core = require('ayz-auth');
      const internal = require('ayz-auth/internal');
      const store = new internal.VerifiedRequests({ request: 'req', verifyAuth: 'v', verifyAuthOptional: 'o' });
      const req = {};
      store.begin(req, {}); store.set(req, null);
      console.log(String(store.decide(req, () => null, 'g') instanceof core.AuthError));
    `;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }).trim()).toBe('true');
    expect(execFileSync(process.execPath, ['-e', cjs], { cwd: root, encoding: 'utf8' }).trim()).toBe('true');
  });
});
