#!/usr/bin/env node
// The version lives in package.json; src/version.ts (the `version` export) is derived from it.
// `npm version x.y.z` runs this (the `version` lifecycle script) after bumping package.json and
// before its commit and tag, and stages src/version.ts so the commit carries both.
//
//   node scripts/sync-version.mjs          rewrite src/version.ts from package.json
//   node scripts/sync-version.mjs --check  exit 1 if src/version.ts differs
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const file = fileURLToPath(new URL('src/version.ts', root));
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error(`sync-version: package.json version is not semver: ${version}`);
  process.exit(1);
}

const wanted =
  '// Kept in step with package.json by scripts/sync-version.mjs (run by `npm version`).\n' +
  `export const version = '${version}';\n`;
const current = readFileSync(file, 'utf8');

if (process.argv.includes('--check')) {
  if (current !== wanted) {
    console.error(`sync-version: src/version.ts is not ${version}; run node scripts/sync-version.mjs`);
    process.exit(1);
  }
  console.log(`sync-version: src/version.ts is ${version}`);
} else if (current !== wanted) {
  writeFileSync(file, wanted);
  console.log(`sync-version: src/version.ts -> ${version}`);
} else {
  console.log(`sync-version: src/version.ts already ${version}`);
}
