#!/usr/bin/env node
// The package as a consuming service installs it: `npm pack`, then fresh scratch projects in the
// OS temp directory (outside this repository, so nothing here leaks in: no tsconfig paths, no
// vitest aliases, no hoisted node_modules), each installing the tarball and its own framework
// from the registry, and running the apps of test/package/consumer/ in every module setup.
//
//   node scripts/consumer-test.mjs [--no-build] [--tarball <file.tgz>] [--only express4,fastify5]
//                                  [--concurrency <n>] [--keep]
//
//   --no-build     pack dist/ as it is (`npm pack --ignore-scripts`); default: `npm run build` first
//   --tarball      use this tarball instead of packing
//   --only         run these projects only (express4, express5, fastify4, fastify5)
//   --concurrency  tasks (a tsc, or an app run) at once (default: the CPU count, at most 4)
//   --keep         keep the scratch directory (its path is printed)
//
// One line per setup: `PASS|FAIL <project> <setup> …`, then `consumer-test: N passed, N failed`.
// Exit 0 when every setup passed, 1 on any failure, 77 when the npm registry is unreachable and
// the npm cache cannot serve the installs (a skip, named as such, never a pass).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const templates = path.join(root, 'test', 'package', 'consumer');
const EXIT_REGISTRY_UNREACHABLE = 77;
const MEMBER_ID = 'member-test-consumer';

const { values: opts } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    tarball: { type: 'string' },
    only: { type: 'string' },
    concurrency: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

// The consumer's own framework versions: the newest release of each major of the peer ranges.
const COMMON = ['typescript@~5.9.3', '@types/node@^20.19.0'];
const PROJECTS = [
  { name: 'express4', framework: 'express', deps: ['express@4', '@types/express@4'], show: ['express', '@types/express'] },
  { name: 'express5', framework: 'express', deps: ['express@5', '@types/express@5'], show: ['express', '@types/express'] },
  // fastify-plugin is not installed by the consumer: it comes with ayz-auth (a dependency), which
  // is what a fresh `npm install ayz-auth fastify` gives a service.
  { name: 'fastify4', framework: 'fastify', deps: ['fastify@4'], show: ['fastify', 'fastify-plugin'] },
  { name: 'fastify5', framework: 'fastify', deps: ['fastify@5'], show: ['fastify', 'fastify-plugin'] },
];

// Every TypeScript setup compiles test/package/consumer/<framework>/app.ts under `strict`, with the library
// declarations type-checked too (skipLibCheck off), then runs what tsc emitted.
const COMPILER_BASE = {
  strict: true,
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  esModuleInterop: true,
  skipLibCheck: false,
  forceConsistentCasingInFileNames: true,
  noEmitOnError: true,
};
const TS_CONFIGS = [
  // One program per setup, as in a consumer's project: an ESM service never loads the .d.cts.
  {
    file: 'tsconfig.node16-esm.json',
    compilerOptions: { module: 'node16', moduleResolution: 'node16', rootDir: 'src', outDir: 'out/node16-esm' },
    files: ['src/app.mts'],
  },
  {
    file: 'tsconfig.node16-cjs.json',
    compilerOptions: { module: 'node16', moduleResolution: 'node16', rootDir: 'src', outDir: 'out/node16-cjs' },
    files: ['src/app.cts'],
  },
  {
    file: 'tsconfig.bundler.json',
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler', rootDir: 'src/bundler', outDir: 'out/bundler' },
    files: ['src/bundler/app.ts'],
  },
  {
    file: 'tsconfig.node10.json',
    compilerOptions: { module: 'commonjs', moduleResolution: 'node10', rootDir: 'src/node10', outDir: 'out/node10' },
    files: ['src/node10/app.ts'],
  },
];
const SETUPS = [
  { id: 'esm-js', label: 'ESM JavaScript (import)', run: 'app.mjs' },
  { id: 'cjs-js', label: 'CommonJS JavaScript (require)', run: 'app.cjs' },
  { id: 'ts-node16-esm', label: 'TypeScript node16, ESM (.mts)', tsconfig: 'tsconfig.node16-esm.json', run: 'out/node16-esm/app.mjs' },
  { id: 'ts-node16-cjs', label: 'TypeScript node16, CJS (.cts)', tsconfig: 'tsconfig.node16-cjs.json', run: 'out/node16-cjs/app.cjs' },
  { id: 'ts-bundler', label: 'TypeScript bundler', tsconfig: 'tsconfig.bundler.json', run: 'out/bundler/app.js' },
  { id: 'ts-node10', label: 'TypeScript node10 (typesVersions)', tsconfig: 'tsconfig.node10.json', run: 'out/node10/app.js' },
];

// ---------------------------------------------------------------------------------------------

/** The environment of npm and node children: without the npm_* variables of an enclosing `npm run`. */
function childEnv() {
  const keep = /^npm_config_(registry|cache|userconfig|globalconfig|proxy|https_proxy|noproxy|strict_ssl|cafile|ca)$/i;
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keep.test(k)) continue;
    env[k] = v;
  }
  env.NO_UPDATE_NOTIFIER = '1';
  env.npm_config_update_notifier = 'false';
  return env;
}
const ENV = childEnv();

// Children still running, killed if this script is interrupted (e.g. by a test timeout).
const live = new Set();
function track(child) {
  live.add(child);
  child.on('close', () => live.delete(child));
  return child;
}
let scratch = null;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    for (const child of live) child.kill('SIGKILL');
    if (scratch && !opts.keep) rmSync(scratch, { recursive: true, force: true });
    console.log(`consumer-test: interrupted (${signal})`);
    process.exit(130);
  });
}

function run(cmd, args, { cwd = root, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve) => {
    const child = track(spawn(cmd, args, { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[timed out after ${timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const tail = (text, lines = 40) => text.trim().split('\n').slice(-lines).join('\n');

/** Runs added tasks, at most `limit` at once; tasks may add tasks. */
function taskQueue(limit) {
  const pending = [];
  let active = 0;
  let resolveDrained;
  const drained = new Promise((resolve) => (resolveDrained = resolve));
  const pump = () => {
    while (active < limit && pending.length > 0) {
      const task = pending.shift();
      active++;
      Promise.resolve()
        .then(task)
        .catch((error) => console.error(error))
        .finally(() => {
          active--;
          pump();
        });
    }
    if (active === 0 && pending.length === 0) resolveDrained();
  };
  return {
    add(task) {
      pending.push(task);
      queueMicrotask(pump);
    },
    drained: () => drained,
  };
}

// ---------------------------------------------------------------------------------------------

/** Starts one consumer app, checks its routes over real HTTP, stops it. Returns a summary or throws. */
async function exercise(cwd, file, expectedVersion) {
  const child = track(spawn(process.execPath, [file], { cwd, env: ENV, stdio: ['pipe', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const fail = (message) => {
    child.kill('SIGKILL');
    return new Error(`${message}${stderr.trim() ? `\n--- stderr ---\n${tail(stderr)}` : ''}`);
  };

  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(fail('no ready line within 30 s')), 30_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const complete = stdout.split('\n').slice(0, -1);
      const line = complete.find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line));
        } catch {
          reject(fail(`unreadable ready line: ${line}`));
        }
      }
    });
    exited.then(({ code }) => {
      clearTimeout(timer);
      reject(fail(`exited (code ${code}) before listening`));
    });
  });

  const base = `http://127.0.0.1:${ready.port}`;
  const get = async (url, token) => {
    const res = await fetch(base + url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  };

  const problems = [];
  const me = await get('/me', ready.token);
  if (me.status !== 200 || me.body?.memberId !== MEMBER_ID || me.body?.viaGetAuth !== MEMBER_ID) {
    problems.push(`GET /me with token: expected 200 ${MEMBER_ID}, got ${me.status} ${JSON.stringify(me.body)}`);
  }
  const anon = await get('/me');
  if (anon.status !== 401 || anon.body?.error !== 'token_missing') {
    problems.push(`GET /me without token: expected 401 token_missing, got ${anon.status} ${JSON.stringify(anon.body)}`);
  }
  const paid = await get('/paid', ready.token);
  // A claim guard: the consumer's Auth has no MongoDB, where entitlement guards are a wiring error.
  if (paid.status !== 403 || paid.body?.error !== 'claim_missing') {
    problems.push(`GET /paid: expected 403 claim_missing, got ${paid.status} ${JSON.stringify(paid.body)}`);
  }
  if (ready.version !== expectedVersion) problems.push(`version export: expected ${expectedVersion} (package.json), got ${ready.version}`);

  // A clean shutdown: the server, auth.close() and issuer.close() leave no handle behind.
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  if (code !== 0) problems.push(`did not exit cleanly after stdin closed (code ${code}, signal ${signal})`);
  if (problems.length > 0) throw fail(problems.join('\n'));
  return `200 ${me.body.memberId} | 401 ${anon.body.error} | 403 ${paid.body.error}`;
}

function writeProject(dir, project) {
  const from = path.join(templates, project.framework);
  cpSync(path.join(from, 'app.mjs'), path.join(dir, 'app.mjs'));
  cpSync(path.join(from, 'app.cjs'), path.join(dir, 'app.cjs'));
  const ts = path.join(from, 'app.ts');
  for (const target of ['src/app.mts', 'src/app.cts', 'src/bundler/app.ts', 'src/node10/app.ts']) {
    mkdirSync(path.dirname(path.join(dir, target)), { recursive: true });
    cpSync(ts, path.join(dir, target));
  }
  for (const config of TS_CONFIGS) {
    const json = { compilerOptions: { ...COMPILER_BASE, ...config.compilerOptions }, files: config.files };
    writeFileSync(path.join(dir, config.file), `${JSON.stringify(json, null, 2)}\n`);
  }
  // tsc emits ESM `.js` for the bundler setup; Node needs to be told so to run it.
  mkdirSync(path.join(dir, 'out/bundler'), { recursive: true });
  writeFileSync(path.join(dir, 'out/bundler/package.json'), '{ "type": "module" }\n');
}

function installedVersion(dir, name) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function main() {
  const started = Date.now();
  const only = opts.only ? new Set(opts.only.split(',').map((s) => s.trim())) : null;
  const projects = PROJECTS.filter((p) => !only || only.has(p.name));
  if (projects.length === 0) throw new Error(`--only matches no project of ${PROJECTS.map((p) => p.name).join(', ')}`);
  const concurrency = Number(opts.concurrency) || Math.min(4, os.availableParallelism?.() ?? os.cpus().length);

  const work = mkdtempSync(path.join(os.tmpdir(), 'ayz-auth-consumer-'));
  scratch = work;
  const cleanup = () => {
    if (opts.keep) console.log(`scratch kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  };
  console.log(`consumer-test: node ${process.version}, scratch ${work}`);

  try {
    // 1. The tarball, as `npm publish` would upload it.
    let tarball = opts.tarball ? path.resolve(opts.tarball) : null;
    if (!tarball) {
      let t = Date.now();
      if (!opts['no-build']) {
        const build = await run('npm', ['run', 'build']);
        if (build.code !== 0) throw new Error(`npm run build failed\n${tail(build.stdout + build.stderr)}`);
        console.log(`built in ${seconds(Date.now() - t)}`);
        t = Date.now();
      }
      if (!existsSync(path.join(root, 'dist/index.mjs'))) throw new Error('dist/ is missing: run `npm run build` (or drop --no-build)');
      const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work]);
      if (pack.code !== 0) throw new Error(`npm pack failed\n${tail(pack.stdout + pack.stderr)}`);
      const [info] = JSON.parse(pack.stdout);
      tarball = path.join(work, info.filename);
      console.log(`packed ${info.filename}: ${kB(info.size)} packed, ${kB(info.unpackedSize)} unpacked, ${info.entryCount} files (${seconds(Date.now() - t)})`);
    }

    // 2. Scratch projects: the tarball and the consumer's own framework, from the registry.
    const ping = await run('npm', ['ping'], { cwd: work, timeoutMs: 30_000 });
    const online = ping.code === 0;
    if (!online) console.log(`npm registry unreachable (npm ping: ${tail(ping.stderr, 3) || ping.code}); trying the npm cache only`);
    let t = Date.now();
    const installs = await Promise.all(
      projects.map(async (project) => {
        const dir = path.join(work, project.name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          path.join(dir, 'package.json'),
          `${JSON.stringify({ name: `consumer-${project.name}`, version: '0.0.0', private: true }, null, 2)}\n`,
        );
        const args = ['install', '--no-audit', '--no-fund', '--loglevel=error', online ? '--prefer-offline' : '--offline'];
        const res = await run('npm', [...args, tarball, ...project.deps, ...COMMON], { cwd: dir });
        return { project, dir, res };
      }),
    );
    const failedInstalls = installs.filter((i) => i.res.code !== 0);
    if (failedInstalls.length > 0) {
      const detail = failedInstalls.map((i) => `${i.project.name}:\n${tail(i.res.stderr + i.res.stdout, 15)}`).join('\n');
      if (!online) {
        console.log(`SKIP consumer-test: npm registry unreachable and the npm cache cannot serve the installs\n${detail}`);
        return EXIT_REGISTRY_UNREACHABLE;
      }
      throw new Error(`npm install failed\n${detail}`);
    }
    console.log(`installed ${installs.length} scratch projects in ${seconds(Date.now() - t)}`);

    // 3. Compile and run every setup: one queue of tasks over all projects (tsc first, the
    //    longest; a compiled setup's run is queued when its tsc finishes), `concurrency` at once.
    t = Date.now();
    const queue = taskQueue(concurrency);
    const results = [];
    for (const { project, dir } of installs) {
      writeProject(dir, project);
      const versions = project.show.map((name) => `${name}@${installedVersion(dir, name)}`).join(' ');
      const expectedVersion = installedVersion(dir, 'ayz-auth');
      const runSetup = async (setup, tsc) => {
        const s = Date.now();
        const result = { project: project.name, setup: setup.id, label: setup.label, versions, ok: false, detail: '' };
        if (tsc && tsc.code !== 0) {
          result.detail = `tsc -p ${setup.tsconfig} failed\n${tail(tsc.stdout + tsc.stderr)}`;
        } else {
          try {
            result.detail = await exercise(dir, setup.run, expectedVersion);
            result.ok = true;
          } catch (error) {
            result.detail = error instanceof Error ? error.message : String(error);
          }
        }
        result.ms = Date.now() - s;
        console.log(
          `${result.ok ? 'PASS' : 'FAIL'}  ${project.name.padEnd(8)}  ${setup.id.padEnd(13)}  ${versions}  ${
            result.ok ? result.detail : ''
          }  (${seconds(result.ms)})`,
        );
        if (!result.ok) console.log(result.detail.replace(/^/gm, '      '));
        results.push(result);
      };
      for (const config of TS_CONFIGS) {
        queue.add(async () => {
          const tsc = await run(process.execPath, [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', config.file], { cwd: dir });
          for (const setup of SETUPS.filter((x) => x.tsconfig === config.file)) queue.add(() => runSetup(setup, tsc));
        });
      }
      for (const setup of SETUPS.filter((x) => !x.tsconfig)) queue.add(() => runSetup(setup, null));
    }
    await queue.drained();
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`checked ${results.length} setups in ${seconds(Date.now() - t)}`);
    console.log(`consumer-test: ${passed} passed, ${failed} failed in ${seconds(Date.now() - started)}`);
    return failed === 0 ? 0 : 1;
  } finally {
    cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`consumer-test: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  },
);
