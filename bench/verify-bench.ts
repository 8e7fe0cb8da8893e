/**
 * Token verifications per second, one at a time, in this process:
 *   - the floor: `node:crypto` RS256 verify of the same signature (no parsing, no claims);
 *   - jose's `jwtVerify` alone, with the same options and a local key set (what a bare
 *     "verify with jose on every request" middleware pays);
 *   - our verifier cold (token cache off: hash, jose, claim checks, identity);
 *   - our verifier warm (the verified-token cache hit), and the whole warm `authenticate`
 *     (header parsing included, no MongoDB).
 */
import { createPublicKey, verify } from 'node:crypto';
import { pino } from 'pino';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createAuth } from 'ayz-auth';
import { createTestIssuer } from 'ayz-auth/testing';
import { resolveOptions } from '../src/config/resolve-options.js';
import { TokenVerifier } from '../src/token/token-verifier.js';
import { emitResult, envNumber, opsPerSecond } from './support.js';

const ms = envNumber('BENCH_MICRO_MS', 5000);
const issuer = await createTestIssuer();
try {
  const token = issuer.sessionJwt({ expiresInSec: 3600 });
  const jwks = issuer.jwks();
  const jwk = jwks[0];
  if (!jwk) throw new Error('the test issuer published no key');
  const publicKey = createPublicKey({ key: jwk as unknown as import('node:crypto').JsonWebKey, format: 'jwk' });
  const dot = token.lastIndexOf('.');
  const signingInput = Buffer.from(token.slice(0, dot), 'ascii');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  if (!verify('sha256', signingInput, publicKey, signature)) throw new Error('floor: signature does not verify');

  const joseKeys = createLocalJWKSet({ keys: jwks as unknown as import('jose').JWK[] });
  const joseOptions = {
    algorithms: ['RS256'],
    typ: 'JWT',
    audience: issuer.projectId,
    issuer: issuer.issuer,
    clockTolerance: 5,
    requiredClaims: ['sub', 'exp'],
  };
  await jwtVerify(token, joseKeys, joseOptions);

  const logger = pino({ level: 'silent' });
  const cold = new TokenVerifier(resolveOptions({ stytch: issuer.authOptions, tokenCache: { max: 0 } }), logger);
  const warm = new TokenVerifier(resolveOptions({ stytch: issuer.authOptions }), logger);
  await cold.verify(token);
  await warm.verify(token);
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  const headers = { authorization: `Bearer ${token}` };
  await auth.authenticateRequestWithResult(headers);

  // Interleaved rounds (floor, jose, cold, warm, … again) so that a busy machine slows all of
  // them alike; each figure is the median of its rounds.
  const cases: [string, () => unknown][] = [
    ['node:crypto verify (floor)', () => verify('sha256', signingInput, publicKey, signature)],
    ['jose jwtVerify', () => jwtVerify(token, joseKeys, joseOptions)],
    ['ayz-auth verifier cold', () => cold.verify(token)],
    ['ayz-auth verifier warm', () => warm.verify(token)],
    ['ayz-auth authenticate warm (no MongoDB)', () => auth.authenticateRequestWithResult(headers)],
  ];
  const rounds = Math.round(envNumber('BENCH_MICRO_ROUNDS', 5));
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of cases) {
      const r = await opsPerSecond(fn, ms / rounds, round === 0 ? 300 : 50);
      samples.set(name, [...(samples.get(name) ?? []), r.opsPerSec]);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
  const rows: Record<string, { opsPerSec: number; meanNs: number; rounds: number[] }> = {};
  for (const [name] of cases) {
    const list = samples.get(name) ?? [];
    const ops = median(list);
    rows[name] = { opsPerSec: ops, meanNs: Math.round(1e9 / ops), rounds: list };
    process.stderr.write(`  ${name.padEnd(38)} ${ops.toLocaleString('en-US').padStart(10)} /s\n`);
  }
  // The cold verifier against jose, round by round (same moment, same machine load).
  const perRound = (samples.get('ayz-auth verifier cold') ?? []).map((c, i) => c / (samples.get('jose jwtVerify')?.[i] ?? NaN));
  await auth.close();
  emitResult({ tokenLength: token.length, rounds, rows, coldVsJosePerRound: perRound.map((r) => +r.toFixed(3)), coldVsJoseMedian: +median(perRound).toFixed(3) });
} finally {
  await issuer.close();
}
