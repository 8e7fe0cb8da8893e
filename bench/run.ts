/**
 * `npm run bench`: every measurement of the performance issue, in one run, side by side.
 * Prints tables and writes bench/results.json. The HTTP servers run in child processes pinned
 * to core 0 and the load generator (this process) to core 1 when `taskset` and two cores are
 * there; otherwise everything shares the machine and the results say so.
 *
 * Options (env): BENCH_DURATION (s per HTTP measurement, default 2), BENCH_ROUNDS (default 5;
 * medians of the rounds count), BENCH_CONNECTIONS (default 10), BENCH_TOKENS (default 100000),
 * BENCH_MICRO_MS, BENCH_COLD_REPS, BENCH_MAJORS (default `5,4`: Express and Fastify 5 and 4),
 * BENCH_FRAMEWORKS (default `express,fastify`), BENCH_CALLERS (default 1000: members whose tokens
 * load the many-callers variants, round-robin), BENCH_HOOK_PARTS (`1`: two diagnostic routes, a
 * hook that only sets the request's auth and one that only hashes the token's signature with
 * node:crypto). Argument `--only=http,verify,cold,memory` runs a subset.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { MongoClient } from 'mongodb';
import { createTestIssuer, seedMember } from 'ayz-auth/testing';
import type { JoseMemoOptions } from './jose-memo.js';
import { envNumber, RESULT_PREFIX } from './support.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsPath = fileURLToPath(new URL('./results.json', import.meta.url));

const only = new Set((process.argv.find((a) => a.startsWith('--only='))?.slice(7) ?? 'verify,cold,memory,http').split(',').filter(Boolean));
const duration = envNumber('BENCH_DURATION', 2);
const rounds = Math.round(envNumber('BENCH_ROUNDS', 5));
const connections = Math.round(envNumber('BENCH_CONNECTIONS', 10));
const callers = Math.round(envNumber('BENCH_CALLERS', 1000));

// ---------- pinning ----------
function canPin(core: number): boolean {
  try {
    execFileSync('taskset', ['-c', String(core), 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const pinned = os.cpus().length >= 2 && canPin(0) && canPin(1);
const selfAffinity = (() => {
  try {
    return execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' }).trim().split(':').pop()?.trim() ?? '?';
  } catch {
    return 'unknown';
  }
})();

/** A tsx child; on core 0 when pinning works. */
function spawnTs(script: string, env: Record<string, string>, ipc = false): ChildProcess {
  // `--import tsx` rather than the tsx CLI: one process, whose IPC channel is our own.
  const args = ['--import', 'tsx', script];
  const [cmd, argv] = pinned ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  return spawn(cmd, argv as string[], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', ...(ipc ? (['ipc'] as const) : [])],
  });
}

/** Runs a section script to completion; its `BENCH_RESULT` line is the answer. */
function section<T>(script: string, env: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnTs(script, env);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code === 0 && line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
      else reject(new Error(`${script} exited with ${code}\n${out}`));
    });
  });
}

// ---------- MongoDB in its own process (on the load generator's core) ----------
async function startMongo(): Promise<{ uri: string; tier: number; description: string; child: ChildProcess }> {
  const child = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', '1', process.execPath, '--import', 'tsx', 'bench/mongo-server.ts'] : ['--import', 'tsx', 'bench/mongo-server.ts'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('MONGO_READY '));
      if (line) resolve({ ...JSON.parse(line.slice(12)), child });
    });
    child.on('exit', (code) => reject(new Error(`MongoDB process exited with ${code}: ${out}`)));
  });
}

// ---------- HTTP ----------
type Route = '/bare' | '/jose' | '/auth' | '/ent' | '/default' | '/watched' | '/many' | '/noop-hook' | '/sha256-hook';
/** `BENCH_HOOK_PARTS=1` adds two diagnostic routes that show what a hook's parts cost in a real server. */
const HOOK_PARTS = process.env['BENCH_HOOK_PARTS'] === '1';
const ROUTES: Route[] = ['/bare', '/jose', '/auth', '/ent', '/default', '/watched', ...(HOOK_PARTS ? (['/noop-hook', '/sha256-hook'] as const) : [])];
const ROUTE_NAMES: Record<Route, string> = {
  '/bare': 'bare',
  '/jose': 'jose + memo (hand-written baseline)',
  '/auth': 'ours cached: verifyAuth',
  '/ent': 'ours cached: verifyAuth + requireEntitlement',
  '/default': 'ours default (team read per request): verifyAuth',
  '/watched': 'ours watched (context.watch): verifyAuth',
  '/many': 'ours cached: verifyAuth',
  '/noop-hook': 'diagnostic: a hook that only sets auth',
  '/sha256-hook': 'diagnostic: a hook that only hashes the signature',
};
/**
 * What is measured: a route loaded with the one seeded member's token, or with the tokens of
 * many members in turn. One caller's requests in the same millisecond share its context (the
 * core's memo); with many callers almost every request builds its own, as in a service with
 * many users.
 */
interface Variant {
  readonly route: Route;
  readonly many: boolean;
  readonly name: string;
}
const VARIANTS: Variant[] = [
  ...ROUTES.map((route) => ({ route, many: false, name: ROUTE_NAMES[route] })),
  ...(['/jose', '/many'] as const).map((route) => ({ route, many: true, name: `${ROUTE_NAMES[route]}, ${callers} callers` })),
];
/** Framework and major of each server; `BENCH_MAJORS=5` measures the current majors only. */
const MAJORS = (process.env['BENCH_MAJORS'] ?? '5,4').split(',').filter((m) => m === '4' || m === '5');
/** `BENCH_FRAMEWORKS=fastify` measures one framework only. */
const FRAMEWORKS = (process.env['BENCH_FRAMEWORKS'] ?? 'express,fastify').split(',').filter((f) => f === 'express' || f === 'fastify');
const SERVERS = FRAMEWORKS.flatMap((framework) => MAJORS.map((major) => ({ framework, major })));

interface HttpRow {
  framework: string;
  route: string;
  reqPerSec: number;
  ratioToBare: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system) per request, µs: median of rounds. */
  serverCpuUsPerRequest: number;
  dbCommandsPerRequest: number;
  dbCommandKinds: Record<string, number>;
  non2xx: number;
  errors: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function ask(child: ChildProcess, message: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>));
    child.send(message);
  });
}

/** One caller's token on every request, or (several tokens) each connection going through them in turn. */
async function load(url: string, tokens: readonly string[], seconds: number) {
  const common = { url, connections, pipelining: 1, duration: seconds };
  if (tokens.length === 1) return autocannon({ ...common, headers: { authorization: `Bearer ${tokens[0]}` } });
  return autocannon({ ...common, requests: tokens.map((token) => ({ headers: { authorization: `Bearer ${token}` } })) });
}

/**
 * The watched route reads the team fresh until its change stream has answered once: polls one
 * request at a time until a warm request sends no database command (deadline 20 s).
 */
async function awaitWatchOpen(child: ChildProcess, url: string, token: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await ask(child, 'reset');
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    const { commands } = (await ask(child, 'commands')) as { commands: number };
    if (res.ok && commands === 0) return;
    if (Date.now() > deadline) throw new Error(`context.watch did not open within 20 s (last: HTTP ${res.status}, ${commands} commands)`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function httpSection(mongoUri: string, issuerOptions: object, joseOptions: JoseMemoOptions, token: string, manyTokens: readonly string[], dbName: string, manyDbName: string): Promise<HttpRow[]> {
  const tokensOf = (v: Variant) => (v.many ? manyTokens : [token]);
  const rows: HttpRow[] = [];
  for (const { framework, major } of SERVERS) {
    const name = `${framework} ${major}`;
    const child = spawnTs('bench/http-server.ts', {
      BENCH_FRAMEWORK: framework,
      BENCH_MAJOR: major,
      BENCH_MONGO_URI: mongoUri,
      BENCH_DB: dbName,
      BENCH_MANY_DB: manyDbName,
      BENCH_STYTCH: JSON.stringify(issuerOptions),
      BENCH_JOSE: JSON.stringify(joseOptions),
      BENCH_HOOK_PARTS: HOOK_PARTS ? '1' : '0',
    }, true);
    const ready = await new Promise<{ port: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number }));
      child.once('exit', (code) => reject(new Error(`${name} server exited with ${code}`)));
    });
    child.on('exit', (code, signal) => {
      if (code !== 0) process.stderr.write(`  ${name}: server exited with ${code ?? signal}\n`);
    });
    const base = `http://127.0.0.1:${ready.port}`;
    process.stderr.write(`  ${name}: listening on ${base}\n`);
    await awaitWatchOpen(child, `${base}/watched`, token);
    // Rounds interleave the routes (bare, jose, auth, …, bare, …) so that whatever else the
    // machine does hits all of them alike; each ratio is the median of per-round ratios.
    const samples = new Map<Variant, { reqPerSec: number; p50Ms: number; p99Ms: number; cpuUs: number; cmds: number; non2xx: number; errors: number }[]>();
    const commandKinds: Record<string, number> = {};
    // Warm-up: JIT, caches, connections; before that, every caller of the many-callers variants
    // verified and its context cached (a first request each, `connections` at a time).
    for (const v of VARIANTS) {
      for (let i = 0; v.many && i < manyTokens.length; i += connections) {
        await Promise.all(manyTokens.slice(i, i + connections).map((t) => fetch(base + v.route, { headers: { authorization: `Bearer ${t}` } }).then((res) => res.arrayBuffer())));
      }
      await load(base + v.route, tokensOf(v), 1);
    }
    for (let round = 0; round < rounds; round++) {
      for (const v of VARIANTS) {
        await ask(child, 'reset');
        const r = await load(base + v.route, tokensOf(v), duration);
        const { commands, byName, cpuMicros } = (await ask(child, 'commands')) as { commands: number; byName: Record<string, number>; cpuMicros: number };
        for (const [k, n] of Object.entries(byName)) commandKinds[`${v.name}\u0000${k}`] = (commandKinds[`${v.name}\u0000${k}`] ?? 0) + n;
        const total = r.requests.total || 1;
        const list = samples.get(v) ?? [];
        list.push({ reqPerSec: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, cpuUs: cpuMicros / total, cmds: commands / total, non2xx: r.non2xx, errors: r.errors });
        samples.set(v, list);
      }
    }
    const bare = samples.get(VARIANTS[0]!)!;
    for (const v of VARIANTS) {
      const list = samples.get(v)!;
      const route = v.route;
      rows.push({
        framework: name,
        route: v.name,
        reqPerSec: Math.round(median(list.map((m) => m.reqPerSec))),
        ratioToBare: +median(list.map((m, i) => m.reqPerSec / (bare[i]?.reqPerSec ?? NaN))).toFixed(3),
        p50Ms: median(list.map((m) => m.p50Ms)),
        p99Ms: median(list.map((m) => m.p99Ms)),
        serverCpuUsPerRequest: +median(list.map((m) => m.cpuUs)).toFixed(1),
        // The worst round, not the median: "0 per warm request" must hold in every round.
        dbCommandsPerRequest: +(route === '/watched' ? Math.max(...list.map((m) => m.cmds)) : median(list.map((m) => m.cmds))).toFixed(3),
        dbCommandKinds: Object.fromEntries(Object.entries(commandKinds).filter(([k]) => k.startsWith(`${v.name}\u0000`)).map(([k, n]) => [k.slice(v.name.length + 1), n])),
        non2xx: list.reduce((a, m) => a + m.non2xx, 0),
        errors: list.reduce((a, m) => a + m.errors, 0),
      });
    }
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    child.send('stop');
    await exited;
    process.stderr.write(`  ${name}: done\n`);
  }
  return rows;
}

// ---------- printing ----------
function printTable(title: string, rows: Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const cells = rows.map((r) => cols.map((c) => String(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${line(cols)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`);
}

// ---------- main ----------
const results: Record<string, unknown> = {
  meta: {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    pinning: pinned ? 'servers and in-process sections on core 0 (taskset -c 0); load generator and MongoDB on core 1' : 'none (taskset or a second core unavailable): numbers share cores',
    loadGeneratorAffinity: selfAffinity,
    http: { durationSec: duration, rounds, connections, pipelining: 1, aggregation: 'median of rounds; ratio = median of per-round ratios to bare' },
    loadAverageAtStart: os.loadavg().map((l) => +l.toFixed(2)),
  },
};
if (os.loadavg()[0]! > os.cpus().length * 0.75) process.stderr.write(`warning: load average ${os.loadavg()[0]!.toFixed(2)} before the start: other processes compete for the cores\n`);
process.stderr.write(`ayz-auth bench: node ${process.version}, ${os.cpus().length} cores, pinning ${pinned ? 'on' : 'off'} (this process: cpus ${selfAffinity})\n`);

const mongo = only.has('cold') || only.has('http') ? await startMongo() : null;
if (mongo) (results['meta'] as Record<string, unknown>)['mongo'] = mongo.description;
try {
  if (only.has('verify')) {
    process.stderr.write('token verifications/s…\n');
    const v = await section<{ tokenLength: number; rounds: number; coldVsJoseMedian: number; rows: Record<string, { opsPerSec: number; meanNs: number }> }>('bench/verify-bench.ts');
    results['verify'] = v;
    const jose = v.rows['jose jwtVerify']?.opsPerSec ?? NaN;
    printTable(
      `Token verifications per second (one at a time, session JWT of ${v.tokenLength} bytes; median of ${v.rounds} interleaved rounds; cold/jose per round: ${v.coldVsJoseMedian})`,
      Object.entries(v.rows).map(([name, r]) => ({ what: name, 'ops/s': r.opsPerSec, 'µs/op': (r.meanNs / 1000).toFixed(2), 'vs jose': (r.opsPerSec / jose).toFixed(2) })),
    );
  }
  if (only.has('cold') && mongo) {
    process.stderr.write('cold authentication per scenario…\n');
    const c = await section<{ reps: number; rows: Record<string, { reads: number; writes: number; wallMsMedian: number; wallMsMax: number }> }>('bench/cold-auth-bench.ts', { BENCH_MONGO_URI: mongo.uri });
    results['coldAuthentication'] = c;
    printTable(
      `Cold authentication per context scenario (${c.reps} distinct members each; ${mongo.description.split(' on ')[0]})`,
      Object.entries(c.rows).map(([name, r]) => ({ scenario: name, 'db reads': r.reads, 'db writes': r.writes, 'median ms': r.wallMsMedian, 'max ms': r.wallMsMax })),
    );
  }
  if (only.has('memory')) {
    process.stderr.write('memory: distinct tokens…\n');
    const m = await section<{ tokens: number; baselineRssMb: number; peakRssMb: number; growthMb: number; seconds: number }>('bench/memory-bench.ts');
    results['memory'] = m;
    printTable('Memory (default caches: 10,000 verified tokens)', [
      { tokens: m.tokens, 'baseline RSS MB': m.baselineRssMb, 'peak RSS MB': m.peakRssMb, 'growth MB': m.growthMb, seconds: m.seconds },
    ]);
  }
  if (only.has('http') && mongo) {
    process.stderr.write(`HTTP: ${duration}s × ${rounds} rounds per route, ${connections} connections…\n`);
    const issuer = await createTestIssuer();
    const client = new MongoClient(mongo.uri);
    try {
      await client.connect();
      const dbName = `bench_http_${Date.now().toString(36)}`;
      const member = await seedMember(client.db(dbName), { entitlements: ['reports'], subscriptionTier: 'premium' });
      const token = issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, expiresInSec: 3600 });
      // The many callers in a database of their own: the loopback test server scans whole
      // collections, so they would slow the default route's reads.
      const manyDbName = `${dbName}_many`;
      const manyTokens: string[] = [];
      for (let seeded = 0; seeded < callers; seeded += 50) {
        const batch = await Promise.all(Array.from({ length: Math.min(50, callers - seeded) }, () => seedMember(client.db(manyDbName), { entitlements: ['reports'], subscriptionTier: 'premium' })));
        for (const m of batch) manyTokens.push(issuer.sessionJwt({ memberId: m.stytchMemberId, organizationId: m.stytchOrgId, expiresInSec: 3600 }));
      }
      const joseOptions = { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: issuer.projectId };
      const rows = await httpSection(mongo.uri, issuer.authOptions, joseOptions, token, manyTokens, dbName, manyDbName);
      results['http'] = rows;
      printTable(
        `HTTP requests/s (median of ${rounds} interleaved rounds of ${duration} s; ratio = median of per-round ratios to the bare route of the same server)`,
        rows.map((r) => ({
          server: r.framework,
          variant: r.route,
          'req/s': r.reqPerSec,
          'ratio to bare': `${(r.ratioToBare * 100).toFixed(1)} %`,
          'p50 ms': r.p50Ms,
          'p99 ms': r.p99Ms,
          'server µs/req': r.serverCpuUsPerRequest,
          'db cmds/req': r.dbCommandsPerRequest,
          'non-2xx': r.non2xx + r.errors,
        })),
      );
      const watched = rows.filter((r) => r.route === ROUTE_NAMES['/watched']);
      const readers = watched.filter((r) => r.dbCommandsPerRequest !== 0);
      if (readers.length > 0) {
        process.stdout.write(`\nFAIL: context.watch sent database commands on warm requests: ${readers.map((r) => `${r.framework} ${r.dbCommandsPerRequest}/req`).join(', ')}\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`\ncontext.watch: 0 database commands per warm request on ${watched.map((r) => r.framework).join(', ')} (driver command monitoring; the change stream's own heartbeat getMores not counted)\n`);
      }
      const failed = rows.filter((r) => r.non2xx + r.errors > 0);
      if (failed.length > 0) {
        process.stdout.write(`FAIL: non-2xx answers or errors on ${failed.map((r) => `${r.framework} / ${r.route}`).join(', ')}\n`);
        process.exitCode = 1;
      }
      await client.db(dbName).dropDatabase();
      await client.db(manyDbName).dropDatabase();
    } finally {
      await client.close();
      await issuer.close();
    }
  }
} finally {
  mongo?.child.kill('SIGTERM');
}
(results['meta'] as Record<string, unknown>)['loadAverageAtEnd'] = os.loadavg().map((l) => +l.toFixed(2));
if (os.loadavg()[0]! > os.cpus().length * 0.75) {
  process.stdout.write(`\nnote: load average ${os.loadavg()[0]!.toFixed(2)} on ${os.cpus().length} cores: other processes shared the CPUs, absolute numbers are low and ratios noisy\n`);
}
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`\nwritten: bench/results.json\n`);
