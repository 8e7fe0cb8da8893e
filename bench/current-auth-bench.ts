/**
 * The cost of `currentAuth()` on the warm path: one request's worth of work (an async
 * handler that awaits twice) run bare before any AsyncLocalStorage was entered, inside
 * `runWithAuth` (what Express's `verifyAuth(auth, { currentAuth: true })` adds per request:
 * one `AsyncLocalStorage.run`), inside `runWithAuth` with a `currentAuth()` read, and bare
 * again: on Node 20 the first `run` turns on promise hooks for the whole process, so the last
 * line is what every other route of the service pays once `currentAuth` is on.
 *
 *   npx tsx bench/current-auth-bench.ts [iterations]
 */
import { currentAuth, runWithAuth, type AuthContext } from '../src/index.js';

const iterations = Number(process.argv[2] ?? 200_000);
const ctx = Object.freeze({ memberId: 'member-bench' }) as unknown as AuthContext;

async function handler(read: boolean): Promise<number> {
  await null;
  await null;
  return read ? currentAuth().memberId.length : 0;
}

async function measure(name: string, once: () => Promise<number>): Promise<number> {
  for (let i = 0; i < 10_000; i++) await once(); // warm-up (JIT)
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`${name.padEnd(34)} ${ns.toFixed(0).padStart(6)} ns/request`);
  return ns;
}

const bareBefore = await measure('bare handler, no AsyncLocalStorage', () => handler(false));
const run = await measure('runWithAuth(ctx, handler)', () => runWithAuth(ctx, () => handler(false)));
const read = await measure('runWithAuth + currentAuth()', () => runWithAuth(ctx, () => handler(true)));
const bare = await measure('bare handler, hooks now on', () => handler(false));
console.log(
  `added per request: run ${(run - bare).toFixed(0)} ns, run + read ${(read - bare).toFixed(0)} ns; ` +
    `every other async handler of the process: ${(bare - bareBefore).toFixed(0)} ns`,
);
