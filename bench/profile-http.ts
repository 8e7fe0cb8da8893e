/**
 * CPU profile of one route of the HTTP bench server under load: the server (bench/http-server.ts)
 * runs with `node --cpu-prof` (pinned to core 0 when `taskset` works), autocannon loads one route
 * from this process, then the top self-time frames are printed, ours (src/, adapters/) apart.
 * With `--against=<route>` the second route is profiled the same way, in a server of its own,
 * and the frames are compared per request (µs of self time per request, profiled: the
 * profiler's own cost inflates every figure alike), the way the warm path was compared with
 * the jose + memo baseline.
 *
 *   npx tsx bench/profile-http.ts [express|fastify] [5|4] [/auth] [seconds] [--against=/jose]
 *
 * The .cpuprofile files are left under the system's temporary directory (open them in Chrome
 * DevTools or speedscope).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startServerFixture } from './server-fixture.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const against = process.argv.find((a) => a.startsWith('--against='))?.slice('--against='.length);
const [framework = 'express', major = '5', route = '/auth', secondsArg = '8'] = positional;
const root = fileURLToPath(new URL('..', import.meta.url));

let pinned = false;
try {
  execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  pinned = true;
} catch {
  process.stderr.write('taskset unavailable: server not pinned\n');
}

const fixture = await startServerFixture('bench_prof');
const token = fixture.token;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time by frame (µs) of one server process that served `requests` requests of `path`. */
interface RouteProfile {
  path: string;
  self: Map<string, number>;
  totalUs: number;
  requests: number;
  file: string;
}

async function profileRoute(path: string): Promise<RouteProfile> {
  const dir = join(tmpdir(), 'ayz-auth-profiles', `${framework}${major}${path.replace(/\W/g, '-')}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const args = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', 'bench/http-server.ts'];
  const child = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', '0', process.execPath, ...args] : args, {
    cwd: root,
    env: { ...process.env, ...fixture.serverEnv(framework, major) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const url = `http://127.0.0.1:${port}${path}`;
  const headers = { authorization: `Bearer ${token}` };
  const warm = await autocannon({ url, connections: 10, duration: 2, headers });
  const r = await autocannon({ url, connections: 10, duration: Number(secondsArg), headers });
  process.stderr.write(`${framework} ${major} ${path}: ${Math.round(r.requests.average)} req/s, non-2xx ${r.non2xx + warm.non2xx}\n`);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  await exited;

  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    const f = node.callFrame;
    const where = f.url.replace(/^file:\/\//, '').replace(root, '');
    const key = `${f.functionName || '(anonymous)'}  ${where}${where ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  // The warm-up's requests are in the profile too (as are start-up and shutdown, per process alike).
  return { path, self, totalUs, requests: warm.requests.total + r.requests.total, file: join(dir, file) };
}

const ours = (k: string) => /\s(src|adapters)\//.test(k);
const isIdle = (k: string) => k.startsWith('(idle)');

function printTop(p: RouteProfile): void {
  const top = [...p.self.entries()].sort((a, b) => b[1] - a[1]);
  const pct = (n: number) => `${((100 * n) / p.totalUs).toFixed(1).padStart(5)} %`;
  console.log(`\nself time, top 25 of ${framework} ${major} ${p.path} (${(p.totalUs / 1e6).toFixed(1)} s sampled; ${p.file})`);
  for (const [k, t] of top.slice(0, 25)) console.log(`${pct(t)}  ${k}`);
  const oursTotal = top.filter(([k]) => ours(k)).reduce((a, [, t]) => a + t, 0);
  console.log(`\nours (src/, adapters/): ${pct(oursTotal)} of self time; top frames:`);
  for (const [k, t] of top.filter(([k]) => ours(k)).slice(0, 15)) console.log(`${pct(t)}  ${k}`);
}

function printComparison(a: RouteProfile, b: RouteProfile): void {
  const perRequest = (p: RouteProfile, k: string) => (p.self.get(k) ?? 0) / p.requests;
  const busy = (p: RouteProfile) => [...p.self.entries()].filter(([k]) => !isIdle(k)).reduce((s, [, t]) => s + t, 0) / p.requests;
  const rows = [...new Set([...a.self.keys(), ...b.self.keys()])]
    .filter((k) => !isIdle(k))
    .map((k) => ({ k, a: perRequest(a, k), b: perRequest(b, k) }))
    .sort((x, y) => y.a - y.b - (x.a - x.b));
  const f = (n: number) => n.toFixed(2).padStart(7);
  console.log(`\nbusy self time per request (profiled µs): ${a.path} ${busy(a).toFixed(2)}, ${b.path} ${busy(b).toFixed(2)}`);
  console.log(`   diff ${a.path.padStart(7)} ${b.path.padStart(7)}  frame (most added by ${a.path} first)`);
  for (const r of rows.slice(0, 25)) console.log(`${f(r.a - r.b)} ${f(r.a)} ${f(r.b)}  ${r.k}`);
  console.log('…most added by the other route:');
  for (const r of rows.slice(-5)) console.log(`${f(r.a - r.b)} ${f(r.a)} ${f(r.b)}  ${r.k}`);
}

try {
  const first = await profileRoute(route);
  printTop(first);
  if (against !== undefined) printComparison(first, await profileRoute(against));
} finally {
  await fixture.close();
}
