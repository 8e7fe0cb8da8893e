/**
 * provisionMember called directly (the function the context builder calls when provisioning
 * is enabled), against the harness MongoDB.
 */
import { MongoServerError, ObjectId, type Db } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProvisioningIndexes,
  createRecommendedIndexes,
  PROVISIONED_BY,
  PROVISIONING_INDEXES,
  provisionMember,
  type ProvisionIdentity,
} from 'ayz-auth';
import { seedOrganization, seedOrgMembership, seedUser } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

const O = 'organization-test-prov';
const M = 'member-test-prov';

function identity(over: Partial<ProvisionIdentity> = {}): ProvisionIdentity {
  return { memberId: M, stytchOrgId: O, memberEmail: 'ada@example.test', memberName: 'Ada', orgSlug: 'prov', ...over };
}

let t: TestDb;
let logs: CapturedLog;
beforeEach(async () => {
  t = await connectTestDb('prov');
  logs = captureLogs();
});
afterEach(() => t.close());

const count = (collection: string, filter: object = {}) => t.db.collection(collection).countDocuments(filter);

describe('provisionMember', () => {
  it('creates the user (from the token claims) and the active membership, logged at INFO with ids', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: O });
    const before = Date.now();
    const result = await provisionMember(t.db, identity(), {}, logs.logger);

    expect(result).toMatchObject({
      status: 'provisioned',
      reason: null,
      organizationId: orgId.toHexString(),
      created: { organization: false, user: true, membership: true },
    });
    const user = await t.db.collection('users').findOne({ _id: ObjectId.createFromHexString(result.userId!) });
    expect(user).toMatchObject({ stytch_member_id: M, email: 'ada@example.test', name: 'Ada', provisioned_by: PROVISIONED_BY });
    expect((user?.last_login_at as Date).getTime()).toBeGreaterThanOrEqual(before - 1000);
    const membership = await t.db.collection('user_organization_memberships').findOne({ stytch_member_id: M });
    expect(membership).toMatchObject({ organization_id: orgId, user_id: user?._id, status: 'active' });
    expect(membership?._id.toHexString()).toBe(result.membershipId);

    const userLog = logs.find(`Provisioned user ${result.userId}`, 'info');
    expect(userLog).toHaveLength(1);
    expect(userLog[0]).toMatchObject({ stytchMemberId: M, stytchOrgId: O, userId: result.userId, orgId: orgId.toHexString() });
    const membershipLog = logs.find('Provisioned org membership', 'info');
    expect(membershipLog[0]).toMatchObject({ membershipId: result.membershipId, userId: result.userId });
  });

  it('is idempotent: a second call finds everything and creates nothing', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    const first = await provisionMember(t.db, identity(), {}, logs.logger);
    logs.clear();
    const second = await provisionMember(t.db, identity(), {}, logs.logger);
    expect(second).toMatchObject({
      status: 'existing',
      userId: first.userId,
      membershipId: first.membershipId,
      created: { organization: false, user: false, membership: false },
    });
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
    expect(logs.find('Provisioned', 'info')).toEqual([]);
  });

  it('leaves absent claims out of the user document', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    const result = await provisionMember(t.db, identity({ memberEmail: null, memberName: null }));
    const user = await t.db.collection('users').findOne({ _id: ObjectId.createFromHexString(result.userId!) });
    expect(user).not.toHaveProperty('email');
    expect(user).not.toHaveProperty('name');
  });

  it('does not create an organization unless allowed', async () => {
    const result = await provisionMember(t.db, identity(), {}, logs.logger);
    expect(result).toMatchObject({ status: 'skipped', reason: 'organization_missing', userId: null });
    expect(await count('organizations')).toBe(0);
    expect(await count('users')).toBe(0);
    expect(await count('user_organization_memberships')).toBe(0);
  });

  it('creates the organization with its defaults when createOrganizations is on', async () => {
    const result = await provisionMember(
      t.db,
      identity(),
      { createOrganizations: true, organizationDefaults: { entitlements: ['basic'], subscriptionTier: 'trial', subscriptionLimits: { seats: 3 } } },
      logs.logger,
    );
    expect(result).toMatchObject({ status: 'provisioned', created: { organization: true, user: true, membership: true } });
    const org = await t.db.collection('organizations').findOne({ stytch_org_id: O });
    expect(org).toMatchObject({
      _id: ObjectId.createFromHexString(result.organizationId!),
      entitlements: ['basic'],
      subscription_tier: 'trial',
      subscription_limits: { seats: 3 },
      slug: 'prov',
      provisioned_by: PROVISIONED_BY,
    });
    expect(logs.find(`Provisioned organization ${result.organizationId}`, 'info')[0]).toMatchObject({ stytchOrgId: O, orgId: result.organizationId });
  });

  it('never resurrects an inactive membership', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: O });
    const userId = await seedUser(t.db, { stytchMemberId: 'member-test-someone-else-legacy' });
    await seedOrgMembership(t.db, { userId, organizationId: orgId, stytchMemberId: M, status: 'inactive' });
    const result = await provisionMember(t.db, identity(), {}, logs.logger);
    expect(result).toMatchObject({ status: 'skipped', reason: 'membership_inactive' });
    expect(await count('user_organization_memberships', { status: 'active' })).toBe(0);
    expect(await count('users')).toBe(1);
    expect(logs.find('is not active', 'warn')).toHaveLength(1);
  });

  it('gives a legacy user of the same Stytch member id the membership instead of a second user', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: O });
    const legacy = await seedUser(t.db, { stytchMemberId: M, email: 'legacy@example.test' });
    const result = await provisionMember(t.db, identity(), {}, logs.logger);
    expect(result).toMatchObject({ status: 'provisioned', userId: legacy.toHexString(), created: { user: false, membership: true } });
    expect(await count('users')).toBe(1);
    expect(await t.db.collection('user_organization_memberships').findOne({ stytch_member_id: M })).toMatchObject({
      user_id: legacy,
      organization_id: orgId,
    });
    // The legacy user's own fields are left alone; only last_login_at is written.
    expect(await t.db.collection('users').findOne({ _id: legacy })).toMatchObject({ email: 'legacy@example.test' });
  });

  it('never links by e-mail: a user of another member id with the same address stays apart', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    const other = await seedUser(t.db, { stytchMemberId: 'member-test-other-org', email: 'ada@example.test' });
    const result = await provisionMember(t.db, identity());
    expect(result.userId).not.toBe(other.toHexString());
    expect(await count('users')).toBe(2);
  });

  it('does not recreate the missing user of a membership it did not create', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: O });
    await seedOrgMembership(t.db, { userId: new ObjectId(), organizationId: orgId, stytchMemberId: M });
    const result = await provisionMember(t.db, identity(), {}, logs.logger);
    expect(result).toMatchObject({ status: 'skipped', reason: 'membership_without_user' });
    expect(await count('users')).toBe(0);
  });

  it('finds a membership stored with a hex-string organization_id', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: O });
    const userId = await seedUser(t.db, { stytchMemberId: 'member-test-x' });
    await seedOrgMembership(t.db, { userId, organizationId: orgId.toHexString(), stytchMemberId: M });
    const result = await provisionMember(t.db, identity());
    expect(result).toMatchObject({ status: 'existing', userId: userId.toHexString() });
    expect(await count('user_organization_memberships')).toBe(1);
  });

  it('rejects invalid options', async () => {
    await expect(provisionMember(t.db, identity(), { lastLoginTtlSec: -1 })).rejects.toThrow(TypeError);
  });

  it('50 concurrent first requests: exactly one user and one membership', async () => {
    await createProvisioningIndexes(t.db);
    await seedOrganization(t.db, { stytchOrgId: O });
    const results = await Promise.all(Array.from({ length: 50 }, () => provisionMember(t.db, identity(), {}, logs.logger)));
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
    expect(new Set(results.map((r) => r.userId)).size).toBe(1);
    expect(new Set(results.map((r) => r.membershipId)).size).toBe(1);
    expect(results.filter((r) => r.created.user)).toHaveLength(1);
    expect(results.filter((r) => r.created.membership)).toHaveLength(1);
    expect(logs.find('Provisioned user', 'info')).toHaveLength(1);
  });

  it('50 concurrent first requests with organization creation: one organization too', async () => {
    await createProvisioningIndexes(t.db);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => provisionMember(t.db, identity(), { createOrganizations: true }, logs.logger)),
    );
    expect(await count('organizations')).toBe(1);
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
    expect(results.filter((r) => r.created.organization)).toHaveLength(1);
    expect(new Set(results.map((r) => r.organizationId)).size).toBe(1);
  });

  it('50 concurrent first requests over 50 connections (separate processes)', async () => {
    await createProvisioningIndexes(t.db);
    await seedOrganization(t.db, { stytchOrgId: O });
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectTestDb('unused')));
    try {
      const dbs = clients.map((c) => c.client.db(t.dbName));
      await Promise.all(Array.from({ length: 50 }, (_, i) => provisionMember(dbs[i % dbs.length]!, identity())));
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
  });
});

describe('provisionMember: a lost upsert race', () => {
  /**
   * The harness's tier-3 server runs each findAndModify atomically, so 50 concurrent calls
   * never make two upserts both insert there (a real server can: then the unique index
   * answers E11000 to the loser). This replays the loser's side: a competing request inserts
   * its membership, and our upsert gets E11000; the retry must converge on the winner's.
   */
  it('retries after E11000 and converges on the winner’s membership and user', async () => {
    await createProvisioningIndexes(t.db);
    const orgId = await seedOrganization(t.db, { stytchOrgId: O });
    const winnerUser = new ObjectId();
    const memberships = t.db.collection('user_organization_memberships');
    let injected = false;
    const racing = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop !== 'collection') return Reflect.get(target, prop, receiver);
        return (name: string) => {
          const coll = target.collection(name);
          if (name !== 'user_organization_memberships') return coll;
          return new Proxy(coll, {
            get(c, p, r) {
              if (p !== 'findOneAndUpdate' || injected) return Reflect.get(c, p, r);
              return async () => {
                injected = true;
                await memberships.insertOne({
                  stytch_member_id: M,
                  organization_id: orgId,
                  user_id: winnerUser,
                  status: 'active',
                  provisioned_by: PROVISIONED_BY,
                });
                throw new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 });
              };
            },
          });
        };
      },
    }) as Db;

    const result = await provisionMember(racing, identity(), {}, logs.logger);
    expect(injected).toBe(true);
    // The winner's membership, and its user created under the id the membership names.
    expect(result).toMatchObject({ userId: winnerUser.toHexString(), created: { membership: false, user: true } });
    expect(await count('user_organization_memberships')).toBe(1);
    expect(await count('users')).toBe(1);
    expect(await t.db.collection('users').findOne({ _id: winnerUser })).toMatchObject({ stytch_member_id: M });
  });
});

describe('createProvisioningIndexes', () => {
  it('creates the unique indexes, idempotently', async () => {
    const names = await createProvisioningIndexes(t.db);
    expect(names).toEqual(PROVISIONING_INDEXES.map((i) => i.name));
    expect(await createProvisioningIndexes(t.db)).toEqual(names);
    const indexes = await t.db.collection('user_organization_memberships').listIndexes().toArray();
    expect(indexes.find((i) => i.name === 'ayz_member_org_unique')).toMatchObject({ key: { stytch_member_id: 1, organization_id: 1 }, unique: true });
  });

  it('skips the organization index when organizations are not created', async () => {
    expect(await createProvisioningIndexes(t.db, { createOrganizations: false })).toEqual(['ayz_member_org_unique']);
  });

  it('explains a clash with the recommended non-unique index of the same key', async () => {
    await createRecommendedIndexes(t.db);
    await expect(createProvisioningIndexes(t.db)).rejects.toThrow(/ayz_stytch_org_id.*drop it first/);
  });

  it('explains duplicates in existing data', async () => {
    const orgId = new ObjectId();
    for (let i = 0; i < 2; i++) {
      await t.db.collection('user_organization_memberships').insertOne({ stytch_member_id: M, organization_id: orgId, user_id: new ObjectId() });
    }
    await expect(createProvisioningIndexes(t.db)).rejects.toThrow(/ayz_member_org_unique.*duplicates/);
  });
});
