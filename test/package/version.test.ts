import { readFileSync } from 'node:fs';
import path from 'node:path';
import { version } from 'ayz-auth';
import { describe, expect, it } from 'vitest';
import { root } from './pack.js';

// The version lives in package.json; `npm version` rewrites src/version.ts from it
// (scripts/sync-version.mjs). CONTRIBUTING.md: the release procedure.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

describe('version', () => {
  it('the `version` export is the package.json version', () => {
    expect(version).toBe(pkg.version);
  });

  it('the built dist/ carries the same version, in both formats', () => {
    for (const file of ['dist/index.mjs', 'dist/index.cjs']) {
      expect(readFileSync(path.join(root, file), 'utf8'), file).toContain(`var version = "${pkg.version}";`);
    }
  });

  it('CHANGELOG.md has a dated section for it', () => {
    const changelog = readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    const escaped = pkg.version.replace(/[.+]/g, '\\$&');
    expect(changelog).toMatch(new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
  });

  it('`npm version` syncs src/version.ts and stages it for the version commit', () => {
    expect(pkg.scripts.version).toBe('node scripts/sync-version.mjs && git add src/version.ts');
  });
});
