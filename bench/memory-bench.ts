/**
 * Peak RSS after authenticating N (default 100,000) distinct session JWTs through `createAuth`
 * (default options: the verified-token cache keeps 10,000). Tokens are minted in small batches
 * and dropped, so what grows is the library's state, not the benchmark's.
 */
import { createAuth } from 'ayz-auth';
import { createTestIssuer } from 'ayz-auth/testing';
import { emitResult, envNumber } from './support.js';

const total = Math.round(envNumber('BENCH_TOKENS', 100_000));
const batch = 64;
const issuer = await createTestIssuer();
const mb = (bytes: number) => +(bytes / 1024 / 1024).toFixed(1);
try {
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  const run = async (count: number) => {
    for (let done = 0; done < count; done += batch) {
      const tokens: string[] = [];
      for (let i = 0; i < batch; i++) tokens.push(issuer.sessionJwt({ expiresInSec: 3600 }));
      await Promise.all(tokens.map((t) => auth.authenticate(t)));
    }
  };
  // Warm-up: JIT, key import, the logger; then the baseline.
  await run(2_048);
  const baseline = process.memoryUsage().rss;
  const started = Date.now();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  await run(total);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const seconds = (Date.now() - started) / 1000;
  await auth.close();
  const result = {
    tokens: total,
    baselineRssMb: mb(baseline),
    peakRssMb: mb(peak),
    growthMb: mb(peak - baseline),
    heapUsedMb: mb(process.memoryUsage().heapUsed),
    seconds: +seconds.toFixed(1),
  };
  process.stderr.write(`  ${total} distinct tokens in ${result.seconds}s: RSS ${result.baselineRssMb} → peak ${result.peakRssMb} MB (growth ${result.growthMb} MB)\n`);
  emitResult(result);
} finally {
  await issuer.close();
}
