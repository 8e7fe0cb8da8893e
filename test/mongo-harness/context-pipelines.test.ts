/**
 * The two aggregations the library sends to build a request context (behaviour.md,
 * "Building the context"), run through the real driver on seeded data. They must give
 * what a real server gives: ObjectId/hex ids compared by value where the pipeline asks
 * for it, malformed ids becoming null, each query exactly one round trip.
 */
import { type Document, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { directoryPipeline, teamPipeline } from '../../src/data-model/index.js';

// The library's own pipelines, so the server is proven on exactly what it will be sent.
const orgAndUserPipeline = (O: string, M: string): Document[] => directoryPipeline(M, O);
const teamsPipeline = (U: ObjectId): Document[] => teamPipeline({ id: U, hex: U.toHexString(), via: 'membership' });

const oid = (n: number) => new ObjectId(n.toString(16).padStart(24, '0'));

// Organizations
const ORG_A = oid(0xa1);
const ORG_B = oid(0xb1);
const ORG_HEX = oid(0xc1); // memberships reference this org by hex string
// Users
const ALICE = oid(0x1001); // member of A (ObjectId refs)
const BOB = oid(0x1002); // no membership, legacy stytch_member_id only
const CAROL = oid(0x1003); // member of ORG_HEX, refs stored as hex strings
const DAVE = oid(0x1004); // membership points at a deleted user id
// Teams
const TEAM_A1 = oid(0x2001);
const TEAM_A2 = oid(0x2002);
const TEAM_B1 = oid(0x2003);
// Memberships (ascending _id = oldest first)
const M_ALICE_A_OLD = oid(0x3001);
const M_ALICE_A_NEW = oid(0x3002);

// Typed as any: these tests store every BSON shape, which the driver typings cannot describe.
type Loose = any;

let t: TestDb;

beforeAll(async () => {
  t = await connectTestDb('context_pipelines');
  const { db } = t;
  await db.collection('organizations').insertMany([
    { _id: ORG_A, stytch_org_id: 'organization-a', entitlements: ['reports', 'export'], subscription_tier: 'pro', subscription_limits: { seats: 10 }, extra: 'x' },
    { _id: ORG_B, stytch_org_id: 'organization-b', entitlements: [], subscription_tier: 'free', subscription_limits: {} },
    { _id: ORG_HEX, stytch_org_id: 'organization-hex', entitlements: ['x'], subscription_tier: 'team', subscription_limits: { seats: 3 } },
  ]);
  await db.collection('users').insertMany([
    { _id: ALICE, stytch_member_id: 'member-alice', current_team_id: TEAM_A1, email: 'a@x' },
    { _id: BOB, stytch_member_id: 'member-bob', current_team_id: 'not-an-object-id' },
    { _id: CAROL, stytch_member_id: 'member-carol-legacy', current_team_id: TEAM_A2.toHexString() },
    { _id: oid(0x1005), stytch_member_id: 'member-bob' }, // a later duplicate legacy user: $sort/$limit picks BOB
  ]);
  await db.collection('user_organization_memberships').insertMany([
    // Inserted newest first so that natural order and _id order differ.
    { _id: M_ALICE_A_NEW, stytch_member_id: 'member-alice', organization_id: ORG_A, user_id: oid(0x1fff), status: 'active' },
    { _id: M_ALICE_A_OLD, stytch_member_id: 'member-alice', organization_id: ORG_A, user_id: ALICE, status: 'active' },
    { _id: oid(0x3003), stytch_member_id: 'member-alice', organization_id: ORG_B, user_id: ALICE, status: 'active' },
    { _id: oid(0x3004), stytch_member_id: 'member-alice', organization_id: ORG_A, user_id: ALICE, status: 'invited' },
    { _id: oid(0x3005), stytch_member_id: 'member-carol', organization_id: ORG_HEX.toHexString(), user_id: CAROL.toHexString(), status: 'active' },
    { _id: oid(0x3006), stytch_member_id: 'member-dave', organization_id: ORG_A, user_id: DAVE, status: 'active' },
    { _id: oid(0x3007), stytch_member_id: 'member-erin', organization_id: ORG_A, user_id: 'garbage', status: 'active' },
  ]);
  await db.collection('teams').insertMany([
    { _id: TEAM_A1, organization: ORG_A, name: 'Alpha', secret: 's' },
    { _id: TEAM_A2, organization: ORG_A, name: 'Beta' },
    { _id: TEAM_B1, organization: ORG_B, name: 'Gamma' },
  ]);
  await db.collection('user_team_memberships').insertMany([
    { _id: oid(0x4003), user_id: ALICE, team_id: TEAM_B1, status: 'active' },
    { _id: oid(0x4001), user_id: ALICE, team_id: TEAM_A2, status: 'active' },
    { _id: oid(0x4002), user_id: ALICE, team_id: TEAM_A1, status: 'removed' },
    { _id: oid(0x4004), user_id: CAROL.toHexString(), team_id: TEAM_A1.toHexString(), status: 'active' },
    { _id: oid(0x4005), user_id: CAROL, team_id: 'bad-team-id', status: 'active' },
  ]);
  t.resetCommands();
});

afterAll(async () => {
  await t?.close();
});

async function roundTrip1(O: string, M: string) {
  t.resetCommands();
  const out = await t.db.collection<Loose>('organizations').aggregate(orgAndUserPipeline(O, M)).toArray();
  expect(t.commandNames()).toEqual(['aggregate']);
  return out;
}

async function roundTrip2(U: ObjectId) {
  t.resetCommands();
  const out = await t.db.collection<Loose>('users').aggregate(teamsPipeline(U)).toArray();
  expect(t.commandNames()).toEqual(['aggregate']);
  return out;
}

describe('round trip 1: organization, membership user, legacy user', () => {
  it('finds the org and the active memberships of M in it, oldest first, with their users', async () => {
    const out = await roundTrip1('organization-a', 'member-alice');
    expect(out).toEqual([
      {
        _id: ORG_A,
        entitlements: ['reports', 'export'],
        subscription_tier: 'pro',
        subscription_limits: { seats: 10 },
        memberships: [
          { _id: M_ALICE_A_OLD, user_id: ALICE, user: [{ _id: ALICE }] },
          { _id: M_ALICE_A_NEW, user_id: oid(0x1fff), user: [] }, // user gone
        ],
        // The newest row of another status than active (here the only one).
        inactiveMemberships: [{ _id: oid(0x3004), status: 'invited' }],
        _kind: 'org',
      },
      { _id: ALICE, _kind: 'user' },
    ]);
  });

  it('without a membership in that org: empty memberships, and the union still brings the legacy user', async () => {
    const out = await roundTrip1('organization-b', 'member-bob');
    expect(out).toEqual([
      { _id: ORG_B, entitlements: [], subscription_tier: 'free', subscription_limits: {}, memberships: [], inactiveMemberships: [], _kind: 'org' },
      { _id: BOB, _kind: 'user' },
    ]);
  });

  it('without the org: only the legacy user', async () => {
    expect(await roundTrip1('organization-unknown', 'member-bob')).toEqual([{ _id: BOB, _kind: 'user' }]);
  });

  it('without org and user: nothing', async () => {
    expect(await roundTrip1('organization-unknown', 'member-nobody')).toEqual([]);
  });

  it('matches organization_id and user_id stored as hex strings', async () => {
    const out = await roundTrip1('organization-hex', 'member-carol');
    expect(out).toEqual([
      {
        _id: ORG_HEX,
        entitlements: ['x'],
        subscription_tier: 'team',
        subscription_limits: { seats: 3 },
        memberships: [{ _id: oid(0x3005), user_id: CAROL.toHexString(), user: [{ _id: CAROL }] }],
        inactiveMemberships: [],
        _kind: 'org',
      },
    ]);
  });

  it('a malformed user_id joins nothing instead of failing', async () => {
    const [org] = await roundTrip1('organization-a', 'member-erin');
    expect(org?.['memberships']).toEqual([{ _id: oid(0x3007), user_id: 'garbage', user: [] }]);
  });

  it('ignores memberships of the right member in another org', async () => {
    const [org] = await roundTrip1('organization-b', 'member-alice');
    expect(org?.['memberships']).toEqual([{ _id: oid(0x3003), user_id: ALICE, user: [{ _id: ALICE }] }]);
    expect(org?.['inactiveMemberships']).toEqual([]);
  });

  it('reports the newest non-active row of M in the org, a row without status included, in either id form', async () => {
    await t.db.collection<Loose>('user_organization_memberships').insertMany([
      { _id: oid(0x3101), stytch_member_id: 'member-frank', organization_id: ORG_B.toHexString(), user_id: ALICE, status: 'removed' },
      { _id: oid(0x3102), stytch_member_id: 'member-frank', organization_id: ORG_B, user_id: ALICE },
      { _id: oid(0x3103), stytch_member_id: 'member-frank', organization_id: ORG_A, user_id: ALICE, status: 'suspended' }, // other org
    ]);
    const [org] = await roundTrip1('organization-b', 'member-frank');
    expect(org?.['memberships']).toEqual([]);
    expect(org?.['inactiveMemberships']).toEqual([{ _id: oid(0x3102) }]);
    await t.db.collection<Loose>('user_organization_memberships').deleteOne({ _id: oid(0x3102) });
    const [again] = await roundTrip1('organization-b', 'member-frank');
    expect(again?.['inactiveMemberships']).toEqual([{ _id: oid(0x3101), status: 'removed' }]);
  });
});

describe('round trip 2: current team and team memberships', () => {
  it('resolves the current team and the active memberships, oldest first', async () => {
    const out = await roundTrip2(ALICE);
    expect(out).toHaveLength(1);
    const doc = out[0] as Document;
    expect(doc).toEqual({
      _id: ALICE,
      current_team_id: TEAM_A1,
      currentTeam: [{ _id: TEAM_A1, organization: ORG_A, name: 'Alpha' }],
      currentMembership: [], // ALICE's membership of TEAM_A1 is 'removed'
      memberships: [
        { _id: oid(0x4001), team_id: TEAM_A2 },
        { _id: oid(0x4003), team_id: TEAM_B1 },
      ],
      memberTeams: expect.arrayContaining([
        { _id: TEAM_A2, organization: ORG_A, name: 'Beta' },
        { _id: TEAM_B1, organization: ORG_B, name: 'Gamma' },
      ]),
    });
    expect(doc['memberTeams']).toHaveLength(2);
  });

  it('a malformed current_team_id gives no current team (ctOid null), never an error', async () => {
    const [doc] = await roundTrip2(BOB);
    expect(doc).toEqual({ _id: BOB, current_team_id: 'not-an-object-id', currentTeam: [], currentMembership: [], memberships: [], memberTeams: [] });
  });

  it('hex-string current_team_id, user_id and team_id are matched by value; malformed team ids are dropped', async () => {
    const [doc] = await roundTrip2(CAROL);
    expect(doc).toEqual({
      _id: CAROL,
      current_team_id: TEAM_A2.toHexString(),
      currentTeam: [{ _id: TEAM_A2, organization: ORG_A, name: 'Beta' }],
      currentMembership: [],
      memberships: [
        { _id: oid(0x4004), team_id: TEAM_A1.toHexString() },
        { _id: oid(0x4005), team_id: 'bad-team-id' },
      ],
      memberTeams: [{ _id: TEAM_A1, organization: ORG_A, name: 'Alpha' }],
    });
  });

  it('finds the active membership of the current team whatever the form of its ids, beyond the candidates cap', async () => {
    const GRACE = oid(0x1020);
    const HEIDI = oid(0x1021);
    await t.db.collection<Loose>('users').insertMany([
      { _id: GRACE, current_team_id: TEAM_B1.toHexString().toUpperCase() },
      { _id: HEIDI, current_team_id: TEAM_B1 },
    ]);
    // 500 older active memberships fill the candidates list before GRACE's membership of TEAM_B1.
    const filler = Array.from({ length: 500 }, (_, i) => ({ _id: oid(0x50000 + i), user_id: GRACE, team_id: oid(0x60000 + i), status: 'active' }));
    await t.db.collection<Loose>('user_team_memberships').insertMany([
      ...filler,
      { _id: oid(0x5ffff), user_id: GRACE.toHexString(), team_id: TEAM_B1.toHexString().toUpperCase(), status: 'active' },
      { _id: oid(0x4101), user_id: HEIDI, team_id: TEAM_B1, status: 'removed' },
      { _id: oid(0x4102), user_id: HEIDI, team_id: TEAM_B1 }, // no status: not active
    ]);
    const [grace] = await roundTrip2(GRACE);
    expect(grace?.['currentTeam']).toEqual([{ _id: TEAM_B1, organization: ORG_B, name: 'Gamma' }]);
    expect(grace?.['currentMembership']).toEqual([{ _id: oid(0x5ffff) }]);
    expect(grace?.['memberships']).toHaveLength(500);
    const [heidi] = await roundTrip2(HEIDI);
    expect(heidi?.['currentMembership']).toEqual([]);
  });

  it('an unknown user gives no document', async () => {
    expect(await roundTrip2(oid(0xdead))).toEqual([]);
  });

  it('a user whose stored _id is a hex string is found by the id as round trip 1 read it', async () => {
    const hexId = oid(0x1010);
    await t.db.collection<Loose>('users').insertOne({ _id: hexId.toHexString() as unknown as ObjectId, current_team_id: TEAM_B1 });
    const out = await t.db
      .collection<Loose>('users')
      .aggregate(teamPipeline({ id: hexId.toHexString(), hex: hexId.toHexString(), via: 'fallback' }))
      .toArray();
    const [doc] = out;
    expect(doc?.['_id']).toBe(hexId.toHexString());
    expect(doc?.['currentTeam']).toEqual([{ _id: TEAM_B1, organization: ORG_B, name: 'Gamma' }]);
  });
});
