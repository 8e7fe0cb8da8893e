/**
 * Instructions per request of routes of the HTTP bench server (bench/http-server.ts), counted
 * by valgrind's callgrind: a count of work that does not move with the machine's load, where
 * CPU time on a shared 2-core VM moves by more than the few µs a change to the warm path is
 * worth. Each route is counted twice (routes in order, then in reverse) after a warm-up; with
 * `--diff=/jose,/auth` the native functions (V8 runtime and builtins, OpenSSL, libc: JIT code
 * has no names here) are compared per request between two routes of the same server, which is
 * how the cost of a warm request was split into the SHA-256, the string hashing of a `Map`
 * lookup, `lastIndexOf`, `WeakMap` writes and GC.
 *
 *   npx tsx bench/instructions.ts [--framework=express|fastify] [--major=5|4]
 *     [--routes=/noop-hook,/jose,/auth] [--amount=1500] [--diff=/jose,/auth] [checkout dir …]
 *
 * Several checkout directories (each built, with its node_modules) count the same routes, one
 * server after the other: an A/B of two versions. Needs valgrind (Debian: apt install
 * valgrind); about 100 times slower than a live server (1,500 Express requests ≈ 10 s).
 *
 * Read with care:
 * - Totals move by about ±10,000 instructions per request between counts (GC work lands in
 *   one count or the other), and more between server processes; per-function counts of native
 *   code are steadier than the totals.
 * - Under valgrind every request falls in a millisecond of its own, so the core's per-millisecond
 *   context memo never answers: the figures are those of a service with many callers, not of
 *   one token sent thousands of times a second (the HTTP bench's case).
 * - valgrind does not emulate the SHA extensions: OpenSSL's SHA-256 runs its AVX2 code here,
 *   several times the instructions it takes on a CPU with SHA-NI.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { startServerFixture } from './server-fixture.js';

const option = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const framework = option('framework', 'express');
const major = option('major', '5');
const routes = option('routes', '/noop-hook,/jose,/auth').split(',');
const amount = Number(option('amount', '1500'));
const diff = option('diff', '').split(',').filter(Boolean);
const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (dirs.length === 0) dirs.push('.');
if (diff.length !== 0 && (diff.length !== 2 || !diff.every((r) => routes.includes(r)))) throw new Error('--diff takes two of the --routes');

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  throw new Error('bench/instructions.ts needs valgrind (Debian: apt install valgrind)');
}

/**
 * What callgrind charges the JIT code it cannot name to (the event loop's frames up to
 * `main`), and the totals line: not functions of their own.
 */
const FRAMES_ABOVE_JIT_CODE = /^(PROGRAM TOTALS|\(below main\)|main|__libc_start_main.*|node::Start\(.*|node::NodeMainInstance::Run\(\)|node::SpinEventLoopInternal\(.*)$/;

/** Instructions by function of one callgrind dump (one thread), per request. */
function functionsOf(file: string): Map<string, number> {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const byFunction = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+\S*?:(.+?)(?: \[[^\]]*\])?$/.exec(line);
    if (!m || m[2]!.startsWith('0x') || FRAMES_ABOVE_JIT_CODE.test(m[2]!)) continue;
    byFunction.set(m[2]!, (byFunction.get(m[2]!) ?? 0) + Number(m[1]!.replaceAll(',', '')) / amount);
  }
  return byFunction;
}

const fixture = await startServerFixture('bench_instructions');
const out = mkdtempSync(join(tmpdir(), 'ayz-auth-callgrind-'));
const load = (url: string) => autocannon({ url, connections: 10, amount, headers: { authorization: `Bearer ${fixture.token}` } });
try {
  process.stdout.write(`${framework} ${major}: instructions per request, ${amount} requests per count (callgrind; dumps in ${out})\n`);
  for (const [d, dir] of dirs.entries()) {
    const args = ['-q', '--tool=callgrind', `--callgrind-out-file=${out}/${d}.%p`, '--dump-instr=no', '--separate-threads=yes', process.execPath, '--import', 'tsx', 'bench/http-server.ts'];
    const child = spawn('valgrind', args, {
      cwd: resolve(dir),
      env: { ...process.env, ...fixture.serverEnv(framework, major, { BENCH_HOOK_PARTS: '1' }) },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const pid = String(child.pid);
    const port = await new Promise<number>((done, fail) => {
      child.once('message', (m) => done((m as { port: number }).port));
      child.once('exit', (code) => fail(new Error(`server in ${dir} exited with ${code}`)));
    });
    // Warm-up: the JIT's tiers settle (slowly, under valgrind) before anything is counted.
    for (let i = 0; i < 3; i++) for (const route of routes) await load(`http://127.0.0.1:${port}${route}`);
    const mainThread = new Map<string, string>();
    let part = 0;
    for (const route of [...routes, ...[...routes].reverse()]) {
      execFileSync('callgrind_control', ['-z', pid], { stdio: 'ignore' });
      const r = await load(`http://127.0.0.1:${port}${route}`);
      if (r.non2xx + r.errors > 0) throw new Error(`${dir} ${route}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
      part++;
      // One file per thread: `<d>.<pid>.<part>-<thread>`, the main thread being 01.
      const files = readdirSync(out).filter((f) => f.startsWith(`${d}.${pid}.${part}-`));
      let all = 0;
      let main = 0;
      for (const f of files) {
        const n = Number(/^(?:summary|totals): (\d+)/m.exec(readFileSync(join(out, f), 'utf8'))?.[1] ?? NaN);
        all += n;
        if (f.endsWith('-01')) main = n;
      }
      if (!mainThread.has(route)) mainThread.set(route, join(out, `${d}.${pid}.${part}-01`));
      process.stdout.write(`${dir.padEnd(16)} ${route.padEnd(13)} main thread ${Math.round(main / amount).toLocaleString('en').padStart(9)}   all threads ${Math.round(all / amount).toLocaleString('en').padStart(9)}\n`);
    }
    const exited = new Promise((done) => child.once('exit', done));
    child.send('stop');
    await exited;
    if (diff.length === 2) {
      const [a, b] = diff.map((route) => functionsOf(mainThread.get(route)!)) as [Map<string, number>, Map<string, number>];
      const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => ({ name, a: a.get(name) ?? 0, b: b.get(name) ?? 0 })).sort((x, y) => y.b - y.a - (x.b - x.a));
      const line = (r: { name: string; a: number; b: number }) =>
        `${Math.round(r.b - r.a).toLocaleString('en').padStart(9)} ${Math.round(r.a).toLocaleString('en').padStart(9)} ${Math.round(r.b).toLocaleString('en').padStart(9)}  ${r.name.slice(0, 110)}\n`;
      process.stdout.write(`\n${dir}: native functions of the main thread, instructions per request (first counts)\n${'diff'.padStart(9)} ${diff[0]!.padStart(9)} ${diff[1]!.padStart(9)}  function (most added by ${diff[1]} first)\n`);
      for (const r of rows.slice(0, 20)) process.stdout.write(line(r));
      process.stdout.write('…most added by the other route:\n');
      for (const r of rows.slice(-8)) process.stdout.write(line(r));
      process.stdout.write('\n');
    }
  }
} finally {
  await fixture.close();
}
