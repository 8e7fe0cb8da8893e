#!/usr/bin/env node
// What `npm install ayz-auth` costs a service: the tarball (packed and unpacked), and the
// production install it brings (packages and bytes), attributed to each runtime dependency.
//
//   node scripts/size-report.mjs [--no-build] [--tarball <file.tgz>] [--json]
//
// Exits 77 (a skip) when the registry is unreachable and the npm cache cannot serve the install.
// Exits 1 when a figure is over the BUDGET below. Raising a budget is a decision for review,
// with the reason in the commit (CONTRIBUTING.md).
//
// The install is a real one, from the registry (or the npm cache), into a scratch project in the
// OS temp directory: `npm install --omit=dev <tarball>`. Optional peers (express, fastify) are
// not installed, as for a service that has not installed them itself.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BUDGET = Object.freeze({
  /**
   * The .tgz `npm publish` uploads. Raised from 130 kB in 0.2.0 (150.5 kB measured): bounded
   * Stytch calls, readiness and reconnection, strict options with suggestions, scoped writes,
   * and a README grown by the migration guide (npm always packs the README). Raised from 175 kB
   * (176.4 kB measured) by the redesign of issue 14: the README's entry-points, index and log
   * tables, its CHANGELOG lines, and the data-model and log-message modules. Raised from
   * 180 kB (238.3 kB measured) by RBAC permissions, step-up by factor age, per-request team
   * selection, currentAuth(), cookies + CSRF and M2M tokens, with their README sections and
   * type declarations (each entry ships .d.ts and .d.cts). For review: most of the tarball is
   * declarations and the README; the run-time code a service loads is the .mjs or the .cjs half.
   * Then 270 kB with `context.watch` and the redesign's doc comments (≈ 245 kB measured).
   */
  packedBytes: 270_000,
  /**
   * node_modules/ayz-auth once installed. Raised from 500 kB in 0.2.0 (565.5 kB), then 660 kB
   * (878.7 kB), then 1 MB with `context.watch` and the doc comments (907.3 kB measured).
   */
  unpackedBytes: 1_000_000,
  /** Packages a production install brings besides ayz-auth (no framework: those are the service's). */
  dependencies: 32,
});

const EXIT_REGISTRY_UNREACHABLE = 77;
const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    tarball: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const log = opts.json ? () => {} : (line = '') => console.log(line);

const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^npm_/i.test(k) || /^npm_config_(registry|cache|userconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca)$/i.test(k),
  ),
);

function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed\n${(r.stderr || r.stdout || '').trim().split('\n').slice(-20).join('\n')}`);
  return r.stdout;
}

/** Apparent size of a directory tree, in bytes (symlinks not followed). */
function treeBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(p);
    else total += lstatSync(p).size;
  }
  return total;
}

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

const work = mkdtempSync(path.join(os.tmpdir(), 'ayz-auth-size-'));
try {
  // 1. The tarball.
  let tarball = opts.tarball ? path.resolve(opts.tarball) : null;
  let packed = null;
  if (!tarball) {
    if (!opts['no-build']) npm(['run', 'build', '--silent'], root);
    if (!existsSync(path.join(root, 'dist/index.mjs'))) throw new Error('dist/ is missing: run `npm run build` (or drop --no-build)');
    const [info] = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root));
    tarball = path.join(work, info.filename);
    packed = { file: info.filename, size: info.size, unpackedSize: info.unpackedSize, files: info.entryCount };
  } else {
    packed = { file: path.basename(tarball), size: lstatSync(tarball).size, unpackedSize: null, files: null };
  }

  // 2. A service's production install of it.
  const app = path.join(work, 'service');
  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), '{ "name": "size-report-service", "version": "0.0.0", "private": true }\n');
  // Unreachable registry: the npm cache alone (--offline), rather than npm's slow retries.
  const online = spawnSync('npm', ['ping'], { cwd: app, env, encoding: 'utf8', timeout: 30_000 }).status === 0;
  try {
    npm(['install', '--omit=dev', '--no-audit', '--no-fund', online ? '--prefer-offline' : '--offline', '--loglevel=error', tarball], app);
  } catch (error) {
    if (!online) {
      console.log('SKIP size-report: the npm registry is unreachable and the npm cache cannot serve the install');
      rmSync(work, { recursive: true, force: true });
      process.exit(EXIT_REGISTRY_UNREACHABLE);
    }
    throw error;
  }

  const lock = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
  const installed = Object.keys(lock.packages).filter((p) => p !== '' && !lock.packages[p].link);
  const self = 'node_modules/ayz-auth';
  const deps = installed.filter((p) => p !== self);
  // Cross-check with npm's own view of the tree.
  const parseable = npm(['ls', '--all', '--parseable', '--omit=dev'], app).trim().split('\n').filter(Boolean);
  const lsCount = new Set(parseable.map((p) => path.relative(app, p)).filter((p) => p !== '' && p !== self)).size;

  // Which packages each direct dependency brings (Node's resolution over the lockfile layout).
  const resolve = (from, name) => {
    let dir = from;
    for (;;) {
      const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[candidate]) return candidate;
      if (!dir) return null;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i === -1 ? '' : dir.slice(0, i);
    }
  };
  const closure = (start) => {
    const seen = new Set();
    const stack = [start];
    while (stack.length) {
      const p = stack.pop();
      if (!p || seen.has(p)) continue;
      seen.add(p);
      const meta = lock.packages[p];
      for (const name of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) stack.push(resolve(p, name));
    }
    return seen;
  };
  const selfMeta = lock.packages[self];
  const runtime = Object.keys(selfMeta.dependencies ?? {}).map((name) => {
    const at = resolve(self, name);
    const set = closure(at);
    const bytes = [...set].reduce((sum, p) => sum + treeBytes(path.join(app, p)), 0);
    return { name, version: lock.packages[at].version, packages: set.size, bytes };
  });
  const bytesSelf = treeBytes(path.join(app, self));
  const bytesAll = treeBytes(path.join(app, 'node_modules'));

  const unpacked = packed.unpackedSize ?? bytesSelf;
  const over = [];
  if (packed.size > BUDGET.packedBytes) over.push(`packed ${packed.size} B > ${BUDGET.packedBytes} B`);
  if (unpacked > BUDGET.unpackedBytes) over.push(`unpacked ${unpacked} B > ${BUDGET.unpackedBytes} B`);
  if (deps.length > BUDGET.dependencies) over.push(`${deps.length} dependencies > ${BUDGET.dependencies}`);

  const report = {
    budget: { ...BUDGET, within: over.length === 0, over },
    tarball: packed,
    install: {
      dependencies: deps.length,
      dependenciesByNpmLs: lsCount,
      bytes: bytesAll,
      selfBytes: bytesSelf,
      direct: runtime,
    },
  };

  if (opts.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    log(`tarball           ${packed.file}: ${kB(packed.size)} packed${packed.unpackedSize ? `, ${kB(packed.unpackedSize)} unpacked, ${packed.files} files` : ''}`);
    log(`production install  ${deps.length} packages besides ayz-auth (npm ls: ${lsCount}), ${MB(bytesAll)} in node_modules (ayz-auth itself ${kB(bytesSelf)})`);
    log('runtime dependencies (packages each brings, itself included; shared ones counted under each):');
    for (const d of runtime) log(`  ${`${d.name}@${d.version}`.padEnd(22)} ${String(d.packages).padStart(3)} package${d.packages === 1 ? " " : "s"}  ${MB(d.bytes).padStart(8)}`);
    log(
      `budget            ${kB(BUDGET.packedBytes)} packed, ${kB(BUDGET.unpackedBytes)} unpacked, ${BUDGET.dependencies} dependencies: ${
        over.length === 0 ? 'within' : `OVER (${over.join('; ')})`
      }`,
    );
    log(`size: ${kB(packed.size)} packed, ${kB(unpacked)} unpacked, ${deps.length} dependencies installed`);
  }
  if (over.length > 0) process.exitCode = 1;
  if (deps.length !== lsCount) {
    console.error(`size-report: the lockfile counts ${deps.length} packages but npm ls ${lsCount}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
