/**
 * Soak run: the example Express app (examples/express-app/app.ts) on loopback, on the real
 * core with MongoDB (harness tier: MONGODB_URI, else mongodb-memory-server, else the loopback
 * wire server) seeded with many members in many organizations, under mixed traffic for
 * `--duration` seconds. Every response is checked against the identity the token names.
 *
 *   npm run soak -- --duration 60 --concurrency 24 --members 300 --orgs 30 --new-token-rate 0.2
 *
 * Prints requests served, wrong answers (must be 0), 5xx (must be 0), counts per status and
 * error code, latency, and RSS at start and end; exits 1 if any answer was wrong or a 5xx.
 * The load generator runs in the same process as the service, so RSS covers both.
 */
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { createAuth } from 'ayz-auth';
import { createTestIssuer, seedMember, type SeededMember } from 'ayz-auth/testing';
import { startTestMongo } from '../../test/support/mongo/harness.js';
import { createExpressApp } from '../../examples/express-app/app.js';
import { pickDistinct, swapPayload } from './forge.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    concurrency: { type: 'string', default: '24' },
    members: { type: 'string', default: '300' },
    orgs: { type: 'string', default: '30' },
    'new-token-rate': { type: 'string', default: '0.2' },
  },
});
const DURATION_S = Number(args.duration);
const CONCURRENCY = Number(args.concurrency);
const MEMBERS = Number(args.members);
const ORGS = Number(args.orgs);
const NEW_TOKEN_RATE = Number(args['new-token-rate']);
for (const [name, v] of Object.entries({ DURATION_S, CONCURRENCY, MEMBERS, ORGS, NEW_TOKEN_RATE })) {
  if (!Number.isFinite(v) || v < 0) throw new Error(`bad value for ${name}`);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// ---------- set-up: issuer, MongoDB, seeded directory, the example app ----------
const issuer = await createTestIssuer();
const mongo = await startTestMongo();
const client = new MongoClient(mongo.uri);
const db = client.db('ayz_auth_soak');
await db.dropDatabase();

interface Pair {
  memberId: string;
  stytchOrgId: string;
  orgId: string | null;
  mongoUserId: string | null;
  currentTeamId: string | null;
  foresight: boolean;
  tokens: string[];
}

const seedStarted = performance.now();
const orgIds = Array.from({ length: ORGS }, (_, i) => `organization-test-soak-${i}`);
const hasForesight = (org: number) => org % 2 === 0;
const pairs: Pair[] = [];
const toPair = (s: SeededMember, userId: string, org: number): Pair => ({
  memberId: s.stytchMemberId,
  stytchOrgId: s.stytchOrgId,
  orgId: s.organizationId.toHexString(),
  mongoUserId: userId,
  currentTeamId: s.teamId.toHexString(),
  foresight: hasForesight(org),
  tokens: [],
});
for (let i = 0; i < MEMBERS; i++) {
  const org = i % ORGS;
  const entitlements = hasForesight(org) ? ['foresight', 'byod'] : ['byod'];
  const s = await seedMember(db, { stytchMemberId: `member-test-soak-${i}`, stytchOrgId: orgIds[org], entitlements, subscriptionTier: hasForesight(org) ? 'premium' : 'standard' });
  pairs.push(toPair(s, s.userId.toHexString(), org));
  // every 10th person also belongs to a second organization: their team must follow the token's org
  if (i % 10 === 0 && ORGS > 1) {
    const other = (org + 1) % ORGS;
    const t = await seedMember(db, { stytchMemberId: s.stytchMemberId, stytchOrgId: orgIds[other], userId: s.userId, entitlements: hasForesight(other) ? ['foresight'] : [] });
    pairs.push(toPair(t, s.userId.toHexString(), other));
  }
}
// members Stytch knows but the directory does not: identity only, null directory fields
for (let i = 0; i < 10; i++) {
  pairs.push({ memberId: `member-test-soak-unknown-${i}`, stytchOrgId: `organization-test-soak-unknown-${i}`, orgId: null, mongoUserId: null, currentTeamId: null, foresight: false, tokens: [] });
}
const seedMs = performance.now() - seedStarted;

const logCounts: Record<string, number> = {};
const errorLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const lineText of chunk.toString('utf8').split('\n')) {
      if (!lineText) continue;
      const level = (JSON.parse(lineText) as { level: number }).level;
      const name = level >= 50 ? 'error' : level >= 40 ? 'warn' : 'info';
      logCounts[name] = (logCounts[name] ?? 0) + 1;
      if (level >= 50 && errorLines.length < 5) errorLines.push(lineText);
    }
    done();
  },
});
const auth = createAuth({
  stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl },
  mongo: { db },
  logger: pino({ level: 'warn' }, logStream),
});
const app = createExpressApp(auth, db);
const server = app.listen(0, '127.0.0.1');
await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// ---------- traffic ----------
type Scenario = 'me' | 'team' | 'foresight' | 'expired' | 'forged' | 'garbage' | 'unknown-member';
const WEIGHTS: [Scenario, number][] = [
  ['me', 45],
  ['team', 10],
  ['foresight', 15],
  ['expired', 8],
  ['forged', 8],
  ['garbage', 4],
  ['unknown-member', 10],
];
const totalWeight = WEIGHTS.reduce((n, [, w]) => n + w, 0);
function pickScenario(): Scenario {
  let r = Math.random() * totalWeight;
  for (const [s, w] of WEIGHTS) if ((r -= w) < 0) return s;
  return 'me';
}
const known = pairs.filter((p) => p.orgId !== null);
const unknown = pairs.filter((p) => p.orgId === null);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const HOURS = 8 * 3600;

function tokenOf(p: Pair): string {
  if (p.tokens.length === 0 || Math.random() < NEW_TOKEN_RATE) {
    const jwt = issuer.sessionJwt({ memberId: p.memberId, organizationId: p.stytchOrgId, expiresInSec: HOURS });
    p.tokens.push(jwt);
    if (p.tokens.length > 4) p.tokens.shift();
    return jwt;
  }
  return pick(p.tokens);
}

function forgedToken(p: Pair): string {
  const who = { memberId: p.memberId, organizationId: p.stytchOrgId, expiresInSec: HOURS };
  switch (Math.floor(Math.random() * 4)) {
    case 0:
      return issuer.wrongKeySessionJwt(who);
    case 1:
      return issuer.sessionJwt({ ...who, header: { alg: 'none' } });
    case 2: {
      // Another pair's payload under one pair's header and signature. Two different pairs
      // (member or organization differ), so the payloads differ and the splice is never a
      // genuine token; swapPayload checks it.
      const two = pickDistinct(known);
      if (two === null) return issuer.wrongKeySessionJwt(who);
      return swapPayload(tokenOf(two[0]), tokenOf(two[1]));
    }
    default:
      return issuer.sessionJwt({ ...who, audience: 'project-test-someone-else' });
  }
}

interface Plan {
  path: string;
  headers: Record<string, string>;
  check(status: number, body: any): string | null;
}

const identityMismatch = (p: Pair, b: any): string | null => {
  const got = { memberId: b?.memberId, stytchOrgId: b?.stytchOrgId, orgId: b?.orgId, mongoUserId: b?.mongoUserId, currentTeamId: b?.currentTeamId };
  const want = { memberId: p.memberId, stytchOrgId: p.stytchOrgId, orgId: p.orgId, mongoUserId: p.mongoUserId, currentTeamId: p.currentTeamId };
  return JSON.stringify(got) === JSON.stringify(want) ? null : `wanted ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
};
const refusal = (wantStatus: number, wantCode: string) => (status: number, b: any) =>
  status === wantStatus && b?.error === wantCode ? null : `wanted ${wantStatus} ${wantCode}, got ${status} ${b?.error}`;

function plan(s: Scenario): Plan {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  switch (s) {
    case 'me': {
      const p = pick(known);
      return { path: '/me', headers: bearer(tokenOf(p)), check: (st, b) => (st === 200 ? identityMismatch(p, b) : `wanted 200, got ${st} ${b?.error}`) };
    }
    case 'unknown-member': {
      const p = pick(unknown);
      return { path: '/me', headers: bearer(tokenOf(p)), check: (st, b) => (st === 200 ? identityMismatch(p, b) : `wanted 200, got ${st} ${b?.error}`) };
    }
    case 'team': {
      const p = pick(known);
      return {
        path: '/team/projects',
        headers: bearer(tokenOf(p)),
        check: (st, b) => (st === 200 && b?.teamId === p.currentTeamId ? null : `wanted 200 team ${p.currentTeamId}, got ${st} ${b?.teamId ?? b?.error}`),
      };
    }
    case 'foresight': {
      const p = pick(known);
      return {
        path: '/foresight',
        headers: bearer(tokenOf(p)),
        check: p.foresight
          ? (st, b) => (st === 200 && b?.orgId === p.orgId ? null : `wanted 200 for org ${p.orgId}, got ${st} ${b?.orgId ?? b?.error}`)
          : refusal(403, 'entitlement_missing'),
      };
    }
    case 'expired': {
      const p = pick(known);
      return { path: '/me', headers: bearer(issuer.expiredSessionJwt({ memberId: p.memberId, organizationId: p.stytchOrgId })), check: refusal(401, 'token_expired') };
    }
    case 'forged':
      return { path: '/me', headers: bearer(forgedToken(pick(known))), check: refusal(401, 'token_invalid') };
    case 'garbage':
      return Math.random() < 0.5
        ? { path: '/me', headers: {}, check: refusal(401, 'token_missing') }
        : { path: '/me', headers: { authorization: 'Bearer not-a-token' }, check: refusal(401, 'token_malformed') };
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function send(p: Plan): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${p.path}`, { headers: p.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const stats = {
  served: 0,
  wrong: 0,
  fiveXx: 0,
  transportErrors: 0,
  byStatus: {} as Record<string, number>,
  byCode: {} as Record<string, number>,
  byScenario: {} as Record<string, number>,
};
const wrongSamples: string[] = [];
const latencies: number[] = [];
const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

const rssStart = process.memoryUsage().rss;
const heapStart = process.memoryUsage().heapUsed;
let rssPeak = rssStart;
const started = performance.now();
const deadline = started + DURATION_S * 1000;
const ticker = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const s = (performance.now() - started) / 1000;
  if (Math.round(s) % 10 === 0) {
    const m = process.memoryUsage();
    console.log(`[soak] ${s.toFixed(0)}s: ${stats.served} served, ${stats.wrong} wrong, ${stats.fiveXx} 5xx, rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}`);
  }
}, 1000);

async function worker(): Promise<void> {
  while (performance.now() < deadline) {
    const scenario = pickScenario();
    const p = plan(scenario);
    const t0 = performance.now();
    try {
      const { status, body } = await send(p);
      latencies.push(performance.now() - t0);
      stats.served++;
      bump(stats.byStatus, String(status));
      bump(stats.byScenario, scenario);
      if (status >= 400 && typeof body?.error === 'string') bump(stats.byCode, body.error);
      if (status >= 500) stats.fiveXx++;
      const problem = p.check(status, body);
      if (problem !== null) {
        stats.wrong++;
        if (wrongSamples.length < 10) wrongSamples.push(`${scenario} ${p.path}: ${problem}`);
      }
    } catch (error) {
      stats.transportErrors++;
      if (wrongSamples.length < 10) wrongSamples.push(`${scenario}: transport error ${(error as Error).message}`);
    }
  }
}

console.log(
  `[soak] ${base} for ${DURATION_S}s, concurrency ${CONCURRENCY}, ${known.length} member-org pairs (${MEMBERS} members, ${ORGS} orgs, seeded in ${(seedMs / 1000).toFixed(1)}s) + ${unknown.length} unknown; MongoDB ${mongo.description}`,
);
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
clearInterval(ticker);
const elapsed = (performance.now() - started) / 1000;
const rssEnd = process.memoryUsage().rss;
const heapEnd = process.memoryUsage().heapUsed;
rssPeak = Math.max(rssPeak, rssEnd);

latencies.sort((a, b) => a - b);
const pct = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1) : '-');
const sortObj = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([, a], [, b]) => b - a));

console.log(`
ayz-auth soak — ${elapsed.toFixed(1)} s against examples/express-app on loopback
  requests served   ${stats.served} (${(stats.served / elapsed).toFixed(0)} req/s)
  wrong answers     ${stats.wrong}   (must be 0)
  5xx               ${stats.fiveXx}   (must be 0)
  transport errors  ${stats.transportErrors}
  by status         ${JSON.stringify(sortObj(stats.byStatus))}
  error codes       ${JSON.stringify(sortObj(stats.byCode))}
  by scenario       ${JSON.stringify(sortObj(stats.byScenario))}
  latency ms        p50 ${pct(0.5)}  p90 ${pct(0.9)}  p99 ${pct(0.99)}  max ${latencies.length ? latencies[latencies.length - 1]!.toFixed(1) : '-'}
  JWKS fetches      ${issuer.requests.jwks}
  library log lines ${JSON.stringify(logCounts)} (level ≥ warn)
  RSS               start ${mb(rssStart)}, end ${mb(rssEnd)}, peak ${mb(rssPeak)} (heap used ${mb(heapStart)} → ${mb(heapEnd)})
`);
if (wrongSamples.length) console.log(`first problems:\n  ${wrongSamples.join('\n  ')}`);
if (errorLines.length) console.log(`first ERROR log lines:\n  ${errorLines.join('\n  ')}`);

agent.destroy();
await new Promise<void>((resolve) => server.close(() => resolve()));
server.closeAllConnections?.();
await auth.close();
await client.close();
await mongo.stop();
await issuer.close();
process.exit(stats.wrong === 0 && stats.fiveXx === 0 && stats.transportErrors === 0 && stats.served > 0 ? 0 : 1);
