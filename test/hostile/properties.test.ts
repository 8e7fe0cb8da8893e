/**
 * Property-based tests (fast-check) over the header parser, the claims-to-identity path and
 * the context builder: whatever goes in, the answer is a context or an `AuthError`, never
 * another exception; `currentTeamId` is null or a team of `orgId`; a membership in one
 * organization is never used for another.
 */
import fc from 'fast-check';
import { MongoClient, ObjectId, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuthError, createAuth, parseBearerHeader, type Auth, type AuthContext } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { uniqueDbName } from '../../tools/mongo-wire-server/harness.js';
import { captureLogs } from '../support/log-capture.js';

const TOKEN = /^[A-Za-z0-9_.-]{20,16377}$/;
const HEADER_CODES = new Set(['token_missing', 'scheme_invalid', 'token_empty', 'token_multiple', 'token_malformed']);

/** Runs `fn`; returns the value or the AuthError, and fails on anything else. */
async function outcome<T>(fn: () => T | Promise<T>): Promise<T | AuthError> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AuthError) return error;
    throw new Error(`not an AuthError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

const tokenChars = fc.string({ unit: fc.constantFrom(...'ABCxyz019_-.'.split('')), minLength: 0, maxLength: 60 });
const anyText = fc.string({ unit: 'binary', maxLength: 80 });
const scheme = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Basic', 'Token', 'Bearer:', '', 'Bearerx');
const gap = fc.constantFrom(' ', '  ', '\t', ' \t ', '', ',', ', ', '\n', '\r\n', '\u00a0', '\u0000', '\u2028');
const headerValue = fc.oneof(
  anyText,
  fc.tuple(scheme, gap, tokenChars, fc.oneof(fc.constant(''), fc.tuple(gap, tokenChars).map(([g, t]) => g + t))).map((p) => p.join('')),
  fc.tuple(scheme, gap, anyText).map((p) => p.join('')),
  fc.nat({ max: 20_000 }).map((n) => `Bearer ${'a'.repeat(n)}`),
);
const authorization = fc.oneof(fc.constant(undefined), headerValue, fc.array(headerValue, { maxLength: 3 }));

describe('header parser', () => {
  it('any Authorization value gives a well-formed token or a 401 AuthError with a header code', async () => {
    await fc.assert(
      fc.asyncProperty(authorization, async (value) => {
        const result = await outcome(() => parseBearerHeader(value));
        if (result instanceof AuthError) {
          expect(result.status).toBe(401);
          expect(HEADER_CODES.has(result.code), result.code).toBe(true);
          // the fixed message of the code: nothing of the request is echoed
          expect(result.message).toBe(new AuthError(result.code).message);
        } else {
          expect(result).toMatch(TOKEN);
          // the token is a piece of what was sent, never something else
          expect([value].flat().some((v) => typeof v === 'string' && v.includes(result))).toBe(true);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('a well-formed token survives any scheme case and padding, and comes back exactly', async () => {
    const token = fc.string({ unit: fc.constantFrom(...'ABCabc0189_-.'.split('')), minLength: 20, maxLength: 300 });
    const casing = fc.array(fc.boolean(), { minLength: 6, maxLength: 6 });
    const pad = fc.constantFrom(' ', '\t', '  ', ' \t');
    await fc.assert(
      fc.property(token, casing, pad, pad, pad, (t, c, before, between, after) => {
        const s = [...'bearer'].map((ch, i) => (c[i] ? ch.toUpperCase() : ch)).join('');
        expect(parseBearerHeader(`${before}${s}${between}${t}${after}`)).toBe(t);
      }),
      { numRuns: 2_000 },
    );
  });

  it('authenticateRequest over arbitrary header objects: a context or an AuthError', async () => {
    const issuer = await createTestIssuer();
    const logs = captureLogs();
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: logs.logger });
    const valid = issuer.sessionJwt({ memberId: 'member-test-prop', organizationId: 'organization-test-prop' });
    const name = fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', '__proto__', 'constructor', 'toString', 'cookie', 'x-authorization');
    const value = fc.oneof(authorization, fc.constant(`Bearer ${valid}`), fc.constant([`Bearer ${valid}`]));
    const headers = fc.array(fc.tuple(name, value), { maxLength: 4 }).map((entries) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
      return out;
    });
    try {
      await fc.assert(
        fc.asyncProperty(headers, async (h) => {
          const result = await outcome(() => auth.authenticateRequest(h as Record<string, string>));
          if (!(result instanceof AuthError)) expect(result.memberId).toBe('member-test-prop');
        }),
        { numRuns: 1_000 },
      );
      logs.expectNoSecrets(valid);
    } finally {
      await auth.close();
      await issuer.close();
    }
  });
});

describe('claims to identity (genuinely signed tokens with arbitrary claims)', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  const logs = captureLogs();
  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: logs.logger });
  });
  afterAll(async () => {
    await auth.close();
    await issuer.close();
  });

  it('any claims give a context with safe ids and clean custom claims, or an AuthError', async () => {
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'sub', 'aud', 'exp', 'nbf', 'iat', 'iss', 'https://stytch.com/session', 'https://stytch.com/organization', 'roles', '$where'),
      fc.string({ maxLength: 12 }),
    );
    const claims = fc.array(fc.tuple(key, fc.jsonValue({ maxDepth: 4 })), { maxLength: 5 }).map((entries) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, configurable: true, writable: true });
      return out;
    });
    const tokens: string[] = [];
    await fc.assert(
      fc.asyncProperty(claims, async (c) => {
        const jwt = issuer.sessionJwt({ claims: c });
        tokens.push(jwt);
        const result = await outcome(() => auth.authenticate(jwt));
        if (result instanceof AuthError) {
          expect([401, 503]).toContain(result.status);
          return;
        }
        expect(result.memberId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);
        expect(result.stytchOrgId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/);
        for (const k of ['__proto__', 'constructor', 'prototype']) expect(Object.prototype.hasOwnProperty.call(result.customClaims, k)).toBe(false);
        expect(result.roles.every((r) => typeof r === 'string')).toBe(true);
        expect(Object.isFrozen(result)).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    logs.expectNoSecrets(...tokens.slice(-50));
  });
});

// ---------------------------------------------------------------------------------------------
// The context builder over hostile directory data
// ---------------------------------------------------------------------------------------------

const MEMBERS = ['member-test-p-a', 'member-test-p-b'] as const;
const ORGS = ['organization-test-p-a', 'organization-test-p-b', 'organization-test-p-c'] as const;

/** An id reference as production data may hold it: ObjectId, hex (any case), or junk. */
type Ref = { kind: 'ref'; index: number; form: 'oid' | 'hex' | 'HEX' } | { kind: 'junk'; value: unknown };
const junk = fc.oneof(
  fc.constant(null),
  fc.constant('zz-not-an-id'),
  fc.integer(),
  fc.constant({ $oid: '000000000000000000000000' }),
  fc.constant(['x']),
  fc.constant({ $ne: null }),
  fc.constant(''),
);
const ref = (max: number): fc.Arbitrary<Ref> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('ref' as const), index: fc.nat(max), form: fc.constantFrom('oid' as const, 'hex' as const, 'HEX' as const) }) },
    { weight: 1, arbitrary: junk.map((value) => ({ kind: 'junk' as const, value })) },
  );
const status = fc.constantFrom('active', 'active', 'inactive', 'pending', undefined, 1);

const world = fc.record({
  /**
   * A coherent directory underneath the noise (most runs): each member a user with active
   * memberships in some organizations, one team per organization, and a current team that is
   * often another organization's (or junk) — the situations the invariant is about.
   */
  core: fc.option(
    fc.record({
      memberships: fc.array(fc.array(fc.constantFrom('active', 'active', 'inactive', 'none'), { minLength: ORGS.length, maxLength: ORGS.length }), { minLength: MEMBERS.length, maxLength: MEMBERS.length }),
      current: fc.array(fc.oneof(fc.nat(ORGS.length - 1), junk.map((value) => ({ junk: value }))), { minLength: MEMBERS.length, maxLength: MEMBERS.length }),
      idForms: fc.constantFrom('oid' as const, 'hex' as const),
    }),
    { freq: 4, nil: undefined },
  ),
  orgs: fc.array(
    fc.record({
      stytch: fc.nat(ORGS.length - 1),
      entitlements: fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { maxLength: 3 }), fc.constant('reports'), fc.constant(null)),
      tier: fc.oneof(fc.constant('premium'), fc.integer(), fc.constant(undefined)),
      limits: fc.oneof(fc.constant({ max: 5 }), fc.constant({ max: 'many', min: Number.NaN }), fc.constant([1]), fc.constant(undefined)),
    }),
    { maxLength: 4 },
  ),
  users: fc.array(fc.record({ member: fc.oneof(fc.nat(MEMBERS.length - 1).map((i) => MEMBERS[i] as string), fc.constant({ $ne: null })), currentTeam: fc.option(ref(5), { nil: undefined }) }), { maxLength: 3 }),
  orgMemberships: fc.array(fc.record({ member: fc.nat(MEMBERS.length - 1), org: ref(3), user: ref(2), status }), { maxLength: 6 }),
  teams: fc.array(fc.record({ org: ref(3), name: fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.constant(undefined)) }), { maxLength: 6 }),
  teamMemberships: fc.array(fc.record({ user: ref(2), team: ref(5), status }), { maxLength: 8 }),
  asks: fc.array(fc.record({ member: fc.nat(MEMBERS.length - 1), org: fc.nat(ORGS.length - 1) }), { minLength: 1, maxLength: 3 }),
});

function resolve(r: Ref | undefined, ids: ObjectId[]): unknown {
  if (r === undefined) return undefined;
  if (r.kind === 'junk') return r.value;
  const id = ids[r.index];
  if (!id) return new ObjectId(); // dangling
  return r.form === 'oid' ? id : r.form === 'hex' ? id.toHexString() : id.toHexString().toUpperCase();
}

const hexOf = (v: unknown): string | null =>
  v instanceof ObjectId ? v.toHexString() : typeof v === 'string' && /^[0-9a-f]{24}$/i.test(v) ? v.toLowerCase() : null;

describe('context builder over hostile directory data', () => {
  let issuer: TestIssuer;
  let client: MongoClient;
  beforeAll(async () => {
    issuer = await createTestIssuer();
    client = new MongoClient(inject('mongoUri'), { serverSelectionTimeoutMS: 5_000 });
  });
  afterAll(async () => {
    await client?.close();
    await issuer?.close();
  });

  it('a context or an AuthError; the team is of orgId; a membership is used only for its own org', async () => {
    let runs = 0;
    const seen = { contexts: 0, withUser: 0, withTeam: 0, withOrg: 0 };
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        runs++;
        const db: Db = client.db(uniqueDbName('hostile_prop'));
        try {
          const core = w.core;
          const coreOrgs = core ? ORGS.length : 0;
          const coreUsers = core ? MEMBERS.length : 0;
          const orgIds = [...Array(coreOrgs + w.orgs.length)].map(() => new ObjectId());
          const userIds = [...Array(coreUsers + w.users.length)].map(() => new ObjectId());
          const teamIds = [...Array(coreOrgs + w.teams.length)].map(() => new ObjectId());
          const form = (id: ObjectId) => (core?.idForms === 'hex' ? id.toHexString() : id);
          const coreOrgDocs: Document[] = core ? ORGS.map((o, i) => ({ _id: orgIds[i], stytch_org_id: o, entitlements: ['reports'] })) : [];
          const coreTeamDocs: Document[] = core ? ORGS.map((_, i) => ({ _id: teamIds[i], organization: form(orgIds[i]!), name: `core-${i}` })) : [];
          const coreUserDocs: Document[] = core
            ? MEMBERS.map((m, i) => {
                const cur = core.current[i]!;
                return { _id: userIds[i], stytch_member_id: m, current_team_id: typeof cur === 'number' ? form(teamIds[cur]!) : cur.junk };
              })
            : [];
          const coreOm: Document[] = [];
          const coreTm: Document[] = [];
          core?.memberships.forEach((orgs, m) =>
            orgs.forEach((state, o) => {
              if (state === 'none') return;
              coreOm.push({ _id: new ObjectId(), stytch_member_id: MEMBERS[m], organization_id: form(orgIds[o]!), user_id: form(userIds[m]!), status: state });
              coreTm.push({ _id: new ObjectId(), user_id: form(userIds[m]!), team_id: form(teamIds[o]!), status: 'active' });
            }),
          );
          const noiseOrgIds = orgIds.slice(coreOrgs);
          const noiseUserIds = userIds.slice(coreUsers);
          const noiseTeamIds = teamIds.slice(coreOrgs);
          const orgDocs: Document[] = [...coreOrgDocs, ...w.orgs.map((o, i) => ({
            _id: noiseOrgIds[i],
            stytch_org_id: ORGS[o.stytch],
            entitlements: o.entitlements,
            ...(o.tier === undefined ? {} : { subscription_tier: o.tier }),
            ...(o.limits === undefined ? {} : { subscription_limits: o.limits }),
          }))];
          const userDocs: Document[] = [...coreUserDocs, ...w.users.map((u, i) => {
            const doc: Document = { _id: noiseUserIds[i], stytch_member_id: u.member };
            const team = resolve(u.currentTeam, teamIds);
            if (team !== undefined) doc.current_team_id = team;
            return doc;
          })];
          const teamDocs: Document[] = [...coreTeamDocs, ...w.teams.map((t, i) => ({ _id: noiseTeamIds[i], organization: resolve(t.org, orgIds), ...(t.name === undefined ? {} : { name: t.name }) }))];
          const omDocs: Document[] = [...coreOm, ...w.orgMemberships.map((m) => ({
            _id: new ObjectId(),
            stytch_member_id: MEMBERS[m.member],
            organization_id: resolve(m.org, orgIds),
            user_id: resolve(m.user, userIds),
            ...(m.status === undefined ? {} : { status: m.status }),
          }))];
          const tmDocs: Document[] = [...coreTm, ...w.teamMemberships.map((m) => ({
            _id: new ObjectId(),
            user_id: resolve(m.user, userIds),
            team_id: resolve(m.team, teamIds),
            ...(m.status === undefined ? {} : { status: m.status }),
          }))];
          const insert = async (name: string, docs: Document[]) => {
            if (docs.length) await db.collection(name).insertMany(docs);
          };
          await insert('organizations', orgDocs);
          await insert('users', userDocs);
          await insert('teams', teamDocs);
          await insert('user_organization_memberships', omDocs);
          await insert('user_team_memberships', tmDocs);

          const logs = captureLogs();
          const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, mongo: { db }, logger: logs.logger, context: { directoryTtlSec: 0 } });
          try {
            for (const ask of w.asks) {
              const M = MEMBERS[ask.member]!;
              const O = ORGS[ask.org]!;
              const result = await outcome(() => auth.authenticate(issuer.sessionJwt({ memberId: M, organizationId: O })));
              if (result instanceof AuthError) throw new Error(`unexpected ${result.code} (MongoDB is up)`);
              checkContext(result, M, O, { orgDocs, userDocs, teamDocs, omDocs });
              seen.contexts++;
              if (result.mongoUserId !== null) seen.withUser++;
              if (result.orgId !== null) seen.withOrg++;
              if (result.currentTeamId !== null) seen.withTeam++;
            }
          } finally {
            await auth.close();
          }
        } finally {
          await db.dropDatabase().catch(() => undefined);
        }
      }),
      { numRuns: 100 },
    );
    expect(runs).toBeGreaterThanOrEqual(100);
    console.log(`[hostile] context property: ${JSON.stringify(seen)}`);
    // the generator reaches the interesting cases, not only empty directories
    expect(seen.withOrg).toBeGreaterThan(10);
    expect(seen.withUser).toBeGreaterThan(10);
    expect(seen.withTeam).toBeGreaterThan(3);
  }, 60_000);
});

function checkContext(
  ctx: AuthContext,
  M: string,
  O: string,
  data: { orgDocs: Document[]; userDocs: Document[]; teamDocs: Document[]; omDocs: Document[] },
): void {
  expect(ctx.memberId).toBe(M);
  expect(ctx.stytchOrgId).toBe(O);
  // orgId: the (oldest) organization of O, or null
  const org = data.orgDocs.filter((d) => d.stytch_org_id === O).sort((a, b) => String(a._id).localeCompare(String(b._id)))[0];
  expect(ctx.orgId).toBe(org ? (org._id as ObjectId).toHexString() : null);
  if (ctx.entitlements !== null) expect(ctx.entitlements.every((e) => typeof e === 'string')).toBe(true);
  if (ctx.subscriptionLimits !== null) expect(Object.values(ctx.subscriptionLimits).every((n) => typeof n === 'number' && Number.isFinite(n))).toBe(true);

  // the user: through an active membership of M in *this* org, or the direct fallback on M
  if (ctx.mongoUserId !== null) {
    const viaMembership = data.omDocs.some(
      (m) => m.stytch_member_id === M && m.status === 'active' && ctx.orgId !== null && hexOf(m.organization_id) === ctx.orgId && hexOf(m.user_id) === ctx.mongoUserId,
    );
    const fallback = data.userDocs.some((u) => u.stytch_member_id === M && (u._id as ObjectId).toHexString() === ctx.mongoUserId);
    expect(viaMembership || fallback, `user ${ctx.mongoUserId} of ${M} in ${O} came from nowhere (another org's membership?)`).toBe(true);
    // a membership of another org never decides the user for this one
    const onlyOtherOrg =
      !fallback &&
      data.omDocs.some((m) => m.stytch_member_id === M && hexOf(m.user_id) === ctx.mongoUserId && hexOf(m.organization_id) !== ctx.orgId);
    if (onlyOtherOrg) expect(viaMembership).toBe(true);
  }
  // the team: null, or a team whose organization is orgId
  if (ctx.currentTeamId !== null) {
    expect(ctx.orgId).not.toBeNull();
    const team = data.teamDocs.find((t) => (t._id as ObjectId).toHexString() === ctx.currentTeamId);
    expect(team, 'currentTeamId names no team').toBeDefined();
    expect(hexOf(team!.organization)).toBe(ctx.orgId);
  } else {
    expect(ctx.currentTeamName).toBeNull();
  }
}
