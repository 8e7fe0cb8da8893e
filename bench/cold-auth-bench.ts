/**
 * A cold authentication (token never seen, directory not cached) per scenario of the context
 * issue: database round trips (reads; a team write-back is counted apart) and wall time.
 * Plus, for reference, the warm request of each mode: default (team fresh) and fully cached.
 * Each repetition uses its own member and organization ids, so nothing is cached between them.
 */
import { randomUUID } from 'node:crypto';
import type { Db, ObjectId } from 'mongodb';
import { createAuth, type AuthOptions } from 'ayz-auth';
import { createTestIssuer, seedOrganization, seedOrgMembership, seedTeam, seedTeamMembership, seedUser } from 'ayz-auth/testing';
import { emitResult, envNumber, monitoredClient } from './support.js';

type Ids = { M: string; O: string; O2: string };
type Seed = (db: Db, ids: Ids) => Promise<void>;

async function basic(db: Db, { M, O }: Ids, opts: { membership?: boolean; currentTeam?: 'own' | 'absent' } = {}): Promise<void> {
  const orgId = await seedOrganization(db, { stytchOrgId: O, entitlements: ['reports'], subscriptionTier: 'premium' });
  const teamId = await seedTeam(db, { organizationId: orgId, name: 'Team X' });
  const userId = await seedUser(db, { stytchMemberId: M, ...(opts.currentTeam === 'absent' ? {} : { currentTeamId: teamId }) });
  if (opts.membership !== false) await seedOrgMembership(db, { userId, organizationId: orgId, stytchMemberId: M });
  await seedTeamMembership(db, { userId, teamId });
}

async function staleTeam(db: Db, { M, O, O2 }: Ids, replacement: boolean): Promise<void> {
  const here = await seedOrganization(db, { stytchOrgId: O });
  const other = await seedOrganization(db, { stytchOrgId: O2 });
  const foreign: ObjectId = await seedTeam(db, { organizationId: other });
  const userId = await seedUser(db, { stytchMemberId: M, currentTeamId: foreign });
  await seedOrgMembership(db, { userId, organizationId: here, stytchMemberId: M });
  await seedTeamMembership(db, { userId, teamId: foreign });
  if (replacement) await seedTeamMembership(db, { userId, teamId: await seedTeam(db, { organizationId: here }) });
}

const SCENARIOS: { name: string; seed: Seed }[] = [
  { name: 'member via membership, current team valid', seed: (db, ids) => basic(db, ids) },
  { name: '1. no membership row: fallback user lookup', seed: (db, ids) => basic(db, ids, { membership: false }) },
  {
    name: '2. multi-org member (user found in 2nd org)',
    seed: async (db, ids) => {
      await basic(db, { ...ids, O: ids.O2 });
      await basic(db, ids);
    },
  },
  { name: '5. unknown organization', seed: async (db, { M }) => void (await seedUser(db, { stytchMemberId: M })) },
  { name: '7. stale team of another org: replaced, written back', seed: (db, ids) => staleTeam(db, ids, true) },
  { name: '8. stale team, no team in this org', seed: (db, ids) => staleTeam(db, ids, false) },
  { name: '9. current_team_id absent: first team, written back', seed: (db, ids) => basic(db, ids, { currentTeam: 'absent' }) },
];

const reps = Math.round(envNumber('BENCH_COLD_REPS', 15));
const uri = process.env['BENCH_MONGO_URI'];
if (!uri) throw new Error('BENCH_MONGO_URI is not set (npm run bench starts a MongoDB)');

const issuer = await createTestIssuer();
const mongo = await monitoredClient(uri);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};

try {
  // Keys fetched once up front, so no scenario pays for the JWKS.
  const primer = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  await primer.authenticate(issuer.sessionJwt({ expiresInSec: 600 }));
  await primer.close();

  const rows: Record<string, { reads: number; writes: number; wallMsMedian: number; wallMsMax: number }> = {};
  const measure = async (name: string, seed: Seed, options: Partial<AuthOptions>, warm: boolean) => {
    const db = mongo.client.db(`bench_cold_${randomUUID().replace(/-/g, '').slice(0, 16)}`);
    const auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: 'silent', ...options });
    const reads: number[] = [];
    const writes: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < reps; i++) {
      const tag = randomUUID().slice(0, 8);
      const ids = { M: `member-test-${tag}`, O: `organization-test-${tag}`, O2: `organization-test-${tag}-b` };
      await seed(db, ids);
      const token = issuer.sessionJwt({ memberId: ids.M, organizationId: ids.O, expiresInSec: 600 });
      if (warm) await auth.authenticate(token);
      const from = mongo.commands.length;
      const t0 = process.hrtime.bigint();
      await auth.authenticate(token);
      wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const mine = mongo.commands.slice(from).filter((c) => c.databaseName === db.databaseName);
      writes.push(mine.filter((c) => c.commandName === 'update').length);
      reads.push(mine.length - (writes.at(-1) ?? 0));
    }
    await auth.close();
    await db.dropDatabase();
    rows[name] = { reads: Math.max(...reads), writes: Math.max(...writes), wallMsMedian: +median(wall).toFixed(2), wallMsMax: +Math.max(...wall).toFixed(2) };
    process.stderr.write(`  ${name.padEnd(58)} reads ${rows[name].reads}  writes ${rows[name].writes}  ${rows[name].wallMsMedian} ms\n`);
  };

  for (const s of SCENARIOS) await measure(`cold: ${s.name}`, s.seed, {}, false);
  await measure('warm: default mode (team fresh)', SCENARIOS[0]!.seed, {}, true);
  await measure('warm: fully cached (cacheTeam: true)', SCENARIOS[0]!.seed, { context: { cacheTeam: true } }, true);
  emitResult({ reps, rows });
} finally {
  await mongo.close();
  await issuer.close();
}
