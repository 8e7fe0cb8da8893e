import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npm test` builds first (pretest); this proves what tsup emitted, through Node's own
// resolution of the package's `exports` map (self-reference by name), in both module systems.
const root = fileURLToPath(new URL('../..', import.meta.url));

const SUBPATHS = {
  'ayz-auth': ['createAuth', 'createAuthFromEnv', 'AuthError', 'AuthConfigError', 'hasEntitlement', 'version'],
  'ayz-auth/express': ['verifyAuth', 'verifyAuthOptional', 'requireEntitlement', 'requireAnyEntitlement', 'requireAllEntitlements', 'requireFactors', 'requireClaims', 'getAuth'],
  'ayz-auth/fastify': ['default'],
  'ayz-auth/testing': ['createTestIssuer', 'seedOrganization', 'seedUser', 'seedOrgMembership', 'seedTeam', 'seedTeamMembership', 'seedMember'],
} as const;

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('the built package', () => {
  it('has all five subpaths in both formats, with declarations', () => {
    for (const name of ['index', 'internal', 'express', 'fastify', 'testing']) {
      for (const ext of ['mjs', 'cjs', 'd.ts', 'd.cts']) expect(existsSync(`${root}/dist/${name}.${ext}`), `${name}.${ext}`).toBe(true);
    }
  });

  it.each(Object.entries(SUBPATHS))('%s loads through import and require', (specifier, names) => {
    const esm = run(['--input-type=module', '-e', `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)))`]);
    const cjs = run(['-e', `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m)))`]);
    for (const keys of [JSON.parse(esm) as string[], JSON.parse(cjs) as string[]]) {
      for (const n of names) expect(keys).toContain(n);
    }
  });

  it('loads one copy of the core: the adapters throw the AuthError that ayz-auth exports', () => {
    const script = `
      const core = await import('ayz-auth');
      const { getAuth } = await import('ayz-auth/express');
      try { getAuth({}); } catch (e) { console.log(String(e instanceof Error)); }
      console.log(typeof core.version);
    `;
    expect(run(['--input-type=module', '-e', script]).trim().split('\n')).toEqual(['true', 'string']);
  });
});
