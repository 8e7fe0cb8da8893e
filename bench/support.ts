/**
 * Small helpers shared by the benchmark scripts. Each section of `npm run bench` runs in its
 * own child process (a clean heap, its own JIT warm-up) and hands back one JSON line.
 */
import { MongoClient, type CommandStartedEvent } from 'mongodb';

/** The last line a section prints on stdout: `BENCH_RESULT <json>`. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function emitResult(value: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(value)}\n`);
}

/** Database work, as the context tests count it; handshakes and monitoring are not ours. */
export const WORK_COMMANDS = new Set(['find', 'aggregate', 'update', 'insert', 'delete', 'findAndModify', 'getMore', 'count', 'distinct']);

/** A MongoClient that counts the database commands it sends (per database, work only). */
export async function monitoredClient(uri: string): Promise<{ client: MongoClient; commands: CommandStartedEvent[]; close(): Promise<void> }> {
  const client = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 10_000 });
  const commands: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => {
    if (WORK_COMMANDS.has(e.commandName)) commands.push(e);
  });
  await client.connect();
  return { client, commands, close: () => client.close() };
}

/** Runs `fn` for about `ms` milliseconds (after `warmupMs`), one call at a time; ops per second. */
export async function opsPerSecond(fn: () => unknown, ms: number, warmupMs = Math.min(500, ms / 2)): Promise<{ opsPerSec: number; meanNs: number; iterations: number }> {
  const run = async (budgetMs: number) => {
    const start = process.hrtime.bigint();
    const budget = BigInt(Math.round(budgetMs * 1e6));
    let n = 0;
    let elapsed = 0n;
    // Check the clock every 64 calls: reading it costs as much as the fastest operations.
    while (elapsed < budget) {
      for (let i = 0; i < 64; i++) {
        const r = fn() as { then?: unknown } | undefined;
        if (r !== null && typeof r === 'object' && typeof r.then === 'function') await r;
      }
      n += 64;
      elapsed = process.hrtime.bigint() - start;
    }
    return { n, ns: Number(elapsed) };
  };
  await run(warmupMs);
  const { n, ns } = await run(ms);
  return { opsPerSec: Math.round((n / ns) * 1e9), meanNs: Math.round(ns / n), iterations: n };
}

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${raw}"`);
  return n;
}
