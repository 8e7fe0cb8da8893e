/**
 * Provisioning through createAuth.
 *
 * LEAD: these tests need the patch of the report applied (AuthOptions.provisioning,
 * resolveOptions, ContextBuilder → Provisioner.afterLookup, auth.ts passing
 * resolved.provisioning). Without it `provisioning` is stripped by the options schema and
 * the "creates" tests fail (nothing is written).
 */
import { MongoServerError, ObjectId, type Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthConfigError, createAuth, createProvisioningIndexes, type Auth, type AuthOptions } from 'ayz-auth';
import { createTestIssuer, seedMember, seedOrganization, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';

const O = 'organization-test-auth-prov';
const M = 'member-test-auth-prov';

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

let t: TestDb;
let logs: CapturedLog;
const auths: Auth[] = [];
beforeEach(async () => {
  t = await connectTestDb('prov_auth');
  logs = captureLogs();
});
afterEach(async () => {
  await Promise.all(auths.splice(0).map((a) => a.close()));
  await t.close();
});

function newAuth(options: Partial<AuthOptions> = {}): Auth {
  const auth = createAuth({ stytch: issuer.authOptions, mongo: { db: t.db }, logger: logs.logger, ...options });
  auths.push(auth);
  return auth;
}

const count = (collection: string, filter: object = {}) => t.db.collection(collection).countDocuments(filter);
const token = (over: { memberId?: string; orgId?: string } = {}) => issuer.sessionJwt({ memberId: M, orgId: O, ...over });

/** The Db, with `listIndexes` (the provisioning index check) held until `release()`. */
function holdListIndexes(db: Db): { db: Db; held: Promise<void>; release(): void } {
  let release!: () => void;
  let onHeld!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const bound = <T extends object>(target: T, prop: PropertyKey): unknown => {
    const value: unknown = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  const gated = new Proxy(db, {
    get(target, prop) {
      if (prop !== 'collection') return bound(target, prop);
      return (name: string) =>
        new Proxy(target.collection(name), {
          get(collection, p) {
            if (p !== 'listIndexes') return bound(collection, p);
            return () => ({
              toArray: async () => {
                onHeld();
                await released;
                return collection.listIndexes().toArray();
              },
            });
          },
        });
    },
  });
  return { db: gated, held, release };
}

/** Waits (polling the clock, bounded) until `Date.now()` is past `stamp`. */
async function clockPast(stamp: Date): Promise<void> {
  const end = Date.now() + 1000;
  while (Date.now() <= stamp.getTime()) {
    if (Date.now() > end) throw new Error('the clock did not move');
    await new Promise((r) => setImmediate(r));
  }
}

describe('provisioning through createAuth', () => {
  it('is off by default: the library writes nothing for an unknown member', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    const ctx = await newAuth().authenticate(token());
    expect(ctx.mongoUserId).toBeNull();
    expect(await count('users')).toBe(0);
    expect(await count('user_organization_memberships')).toBe(0);
  });

  it('enabled: the first request creates user and membership and gets a context with them', async () => {
    const orgId = await seedOrganization(t.db, { stytchOrgId: O, entitlements: ['reports'] });
    const ctx = await newAuth({ provisioning: { enabled: true } }).authenticate(token());
    expect(ctx.orgId).toBe(orgId.toHexString());
    expect(ctx.mongoUserId).toMatch(/^[0-9a-f]{24}$/);
    expect(ctx.entitlements).toEqual(['reports']);
    expect(ctx.currentTeamId).toBeNull();
    const membership = await t.db.collection('user_organization_memberships').findOne({ stytch_member_id: M });
    expect(membership).toMatchObject({ organization_id: orgId, status: 'active', user_id: ObjectId.createFromHexString(ctx.mongoUserId!) });
    expect(logs.find('Provisioned user', 'info')).toHaveLength(1);
  });

  it('does not create the organization unless createOrganizations', async () => {
    const ctx = await newAuth({ provisioning: { enabled: true } }).authenticate(token());
    expect(ctx.orgId).toBeNull();
    expect(await count('organizations')).toBe(0);
    expect(await count('users')).toBe(0);

    const created = await newAuth({ provisioning: { enabled: true, createOrganizations: true } }).authenticate(token());
    expect(created.orgId).toMatch(/^[0-9a-f]{24}$/);
    expect(created.mongoUserId).toMatch(/^[0-9a-f]{24}$/);
    expect(created.entitlements).toEqual([]);
    expect(await count('organizations')).toBe(1);
  });

  it('50 concurrent first requests (50 Auth instances, as 50 processes): exactly one user, one membership', async () => {
    await createProvisioningIndexes(t.db);
    await seedOrganization(t.db, { stytchOrgId: O });
    const instances = Array.from({ length: 50 }, () => newAuth({ provisioning: { enabled: true } }));
    const jwt = token();
    const contexts = await Promise.all(instances.map((a) => a.authenticate(jwt)));
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
    expect(new Set(contexts.map((c) => c.mongoUserId)).size).toBe(1);
    expect(contexts[0]?.mongoUserId).not.toBeNull();
  });

  it('50 concurrent first requests on one Auth: one user, one membership', async () => {
    await createProvisioningIndexes(t.db);
    await seedOrganization(t.db, { stytchOrgId: O });
    const auth = newAuth({ provisioning: { enabled: true } });
    const contexts = await Promise.all(Array.from({ length: 50 }, () => auth.authenticate(token())));
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
    expect(new Set(contexts.map((c) => c.mongoUserId)).size).toBe(1);
  });

  it('updates last_login_at of an existing member on the first request of each TTL, in the background', async () => {
    const seeded = await seedMember(t.db, { stytchOrgId: O, stytchMemberId: M });
    const auth = newAuth({ provisioning: { enabled: true, lastLoginTtlSec: 0 }, context: { directoryTtlSec: 0 } });
    const lastLogin = async () => (await t.db.collection('users').findOne({ _id: seeded.userId }))?.last_login_at as Date | undefined;
    expect(await lastLogin()).toBeUndefined();
    const ctx = await auth.authenticate(token());
    expect(ctx.mongoUserId).toBe(seeded.userId.toHexString());
    expect(ctx.currentTeamId).toBe(seeded.teamId.toHexString());
    // The write is in the background: `idle()` resolves once it is done.
    await auth.idle();
    const first = await lastLogin();
    expect(first).toBeInstanceOf(Date);
    // The next login must fall on a later millisecond than the first one's stamp.
    await clockPast(first!);
    await auth.authenticate(token());
    await auth.idle();
    expect((await lastLogin())!.getTime()).toBeGreaterThan(first!.getTime());
    // Nothing was created for a member who already had everything.
    expect(await count('users')).toBe(1);
    expect(await count('user_organization_memberships')).toBe(1);
  });

  it('throttles last_login_at to lastLoginTtlSec', async () => {
    const seeded = await seedMember(t.db, { stytchOrgId: O, stytchMemberId: M });
    const auth = newAuth({ provisioning: { enabled: true, lastLoginTtlSec: 3600 }, context: { directoryTtlSec: 0 } });
    await auth.authenticate(token());
    const read = async () => (await t.db.collection('users').findOne({ _id: seeded.userId }))?.last_login_at as Date | undefined;
    await auth.idle();
    const first = (await read())!;
    expect(first).toBeInstanceOf(Date);
    // A later millisecond, so an unthrottled write would show.
    await clockPast(first);
    await auth.authenticate(token());
    await auth.authenticate(token());
    // Every background write these logins started is done: none touched last_login_at.
    await auth.idle();
    expect((await read())!.getTime()).toBe(first.getTime());
  });

  it('logs an ERROR once when the unique index provisioning needs is missing', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    const auth = newAuth({ provisioning: { enabled: true } });
    await auth.authenticate(token());
    await auth.authenticate(token({ memberId: 'member-test-second' }));
    await auth.idle(); // the index check is background work the Auth tracks
    expect(logs.find('ayz_member_org_unique', 'error')).toHaveLength(1);
  });

  it('idle() waits for the index check, which is background work of the Auth', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    const gate = holdListIndexes(t.db);
    const auth = newAuth({ mongo: { db: gate.db }, provisioning: { enabled: true } });
    await auth.authenticate(token());
    await gate.held; // the check is running, and held
    // One turn of the event loop: idle() with nothing tracked resolves within it.
    const first = await Promise.race([auth.idle().then(() => 'idle'), new Promise((r) => setImmediate(() => r('waiting')))]);
    expect(first).toBe('waiting');
    gate.release();
    await auth.idle();
    expect(logs.find('ayz_member_org_unique', 'error')).toHaveLength(1);
  });

  it('a provisioning failure is a directory failure: 503 context_unavailable by default, degrade on request', async () => {
    await seedOrganization(t.db, { stytchOrgId: O });
    // Reads work; the membership upsert fails (as for a read-only database user).
    const readOnly = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop !== 'collection') return Reflect.get(target, prop, receiver);
        return (name: string) => {
          const coll = target.collection(name);
          return new Proxy(coll, {
            get(c, p, r) {
              if (p === 'findOneAndUpdate' || p === 'updateOne' || p === 'insertOne') {
                return async () => {
                  throw new MongoServerError({ message: 'not authorized to execute command', code: 13 });
                };
              }
              return Reflect.get(c, p, r);
            },
          });
        };
      },
    }) as Db;
    const failing = newAuth({ mongo: { db: readOnly }, provisioning: { enabled: true, checkIndexes: false } });
    await expect(failing.authenticate(token())).rejects.toMatchObject({ code: 'context_unavailable', status: 503 });
    expect(logs.find('Failed to load context from MongoDB', 'error')).toHaveLength(1);

    const degraded = newAuth({ mongo: { db: readOnly }, provisioning: { enabled: true, checkIndexes: false }, context: { onUnavailable: 'degrade' } });
    const ctx = await degraded.authenticate(token());
    expect(ctx.mongoUserId).toBeNull();
    expect(await count('users')).toBe(0);
  });

  it('rejects provisioning without MongoDB and invalid provisioning options at start-up', () => {
    expect(() => createAuth({ stytch: issuer.authOptions, provisioning: { enabled: true } })).toThrow(AuthConfigError);
    expect(() =>
      createAuth({ stytch: issuer.authOptions, mongo: { db: t.db }, provisioning: { enabled: true, lastLoginTtlSec: -5 } }),
    ).toThrow(/provisioning\.lastLoginTtlSec/);
    expect(() => createAuth({ stytch: issuer.authOptions, provisioning: { enabled: false } })).not.toThrow();
  });
});
