/**
 * The RBAC policy over real HTTP against the testing kit's issuer: loaded once and then decided
 * locally, one fetch for 100 concurrent first checks, a change picked up by the background
 * refresh, the last policy served while Stytch fails (within the bound, then 503), 503 when
 * there never was a policy, back-off instead of a fetch per request, organizations' custom
 * roles. Time is moved with an injected clock where the bound matters; no fixed sleeps.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthConfigError,
  AuthError,
  createAuth,
  createPermissionCheck,
  hasPermission,
  permissionError,
  type Auth,
  type AuthContext,
  type RbacOptions,
} from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { RbacPolicyStore } from '../../src/rbac/policy-store.js';
import { resolveRbacOptions } from '../../src/rbac/rbac-options.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { TABLE_ORG_ROLES, TABLE_POLICY } from './stytch-decision-table.js';

const ORG = 'organization-test-rbac-store';
let issuer: TestIssuer;
const open: { close(): unknown }[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ rbacPolicy: TABLE_POLICY, slowMs: 5_000 });
});
afterAll(async () => {
  await issuer?.close();
});
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
  issuer.setRbacPolicyMode('ok');
  issuer.setRbacPolicy(TABLE_POLICY);
  issuer.setOrgRoles(ORG, null);
});

function authWith(rbac?: RbacOptions, logs: CapturedLog = captureLogs()): Auth {
  const auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger, ...(rbac === undefined ? {} : { rbac }) });
  open.push(auth);
  return auth;
}

async function contextOf(auth: Auth, roles: string[], organizationId = ORG): Promise<AuthContext> {
  return auth.authenticate(issuer.sessionJwt({ roles, organizationId }));
}

/** A store with a clock the test moves, and no timer, so fetches happen only when a check asks. */
function manualStore(options: RbacOptions, logs: CapturedLog = captureLogs(), secret = issuer.secret) {
  let now = 1_000_000;
  const store = new RbacPolicyStore(
    { projectId: issuer.projectId, secret, apiBaseUrl: issuer.baseUrl },
    resolveRbacOptions(options),
    logs.logger,
    { now: () => now, backgroundRefresh: false },
  );
  open.push(store);
  return { store, logs, advance: (ms: number) => (now += ms) };
}

function rejection(promise: Promise<unknown>): Promise<AuthError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(AuthError);
      return error as AuthError;
    },
  );
}

describe('through an Auth', () => {
  it('loads the policy once, then decides locally: no call to Stytch per check', async () => {
    const auth = authWith();
    const before = issuer.requests.rbacPolicy;
    const reader = await contextOf(auth, ['stytch_member', 'reader']);
    const check = createPermissionCheck('documents', 'read');
    expect(await check(reader)).toBeNull();
    expect(issuer.requests.rbacPolicy - before).toBe(1);
    for (let i = 0; i < 50; i++) {
      expect(hasPermission(reader, 'documents', 'read')).toBe(true);
      expect(hasPermission(reader, 'documents', 'write')).toBe(false);
      // Synchronous once loaded: the guard answers without a promise.
      expect(check(reader)).toBeNull();
    }
    expect(issuer.requests.rbacPolicy - before).toBe(1);
  });

  it('a refusal is 403 permission_missing naming the permission and the roles that would grant it', async () => {
    const auth = authWith();
    const editor = await contextOf(auth, ['editor']);
    const error = await createPermissionCheck('documents', 'delete')(editor);
    expect(error).toBeInstanceOf(AuthError);
    expect(error!.status).toBe(403);
    expect(error!.body).toEqual({
      error: 'permission_missing',
      message: 'A required permission is missing',
      required_permission: { resource: 'documents', action: 'delete' },
      granting_roles: ['organization_admin'],
    });
    expect(error!.headers['WWW-Authenticate']).toContain('error="insufficient_scope"');
    expect(permissionError(editor, 'documents', 'write')).toBeNull();
  });

  it('100 concurrent first checks share one fetch', async () => {
    const auth = authWith();
    const before = issuer.requests.rbacPolicy;
    const contexts = await Promise.all(Array.from({ length: 100 }, (_, i) => contextOf(auth, i % 2 === 0 ? ['reader'] : ['stytch_member'])));
    const check = createPermissionCheck('documents', 'read');
    const verdicts = await Promise.all(contexts.map((ctx) => check(ctx)));
    expect(issuer.requests.rbacPolicy - before).toBe(1);
    verdicts.forEach((v, i) => expect(v === null).toBe(i % 2 === 0));
  });

  it('no policy and Stytch down: 503 rbac_unavailable, never an allow', async () => {
    issuer.setRbacPolicyMode('down');
    const logs = captureLogs();
    const auth = authWith({ timeoutMs: 1_000 }, logs);
    const admin = await contextOf(auth, ['organization_admin']);
    const error = await rejection(Promise.resolve(createPermissionCheck('documents', 'read')(admin)));
    expect(error.code).toBe('rbac_unavailable');
    expect(error.status).toBe(503);
    expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    // The synchronous forms throw the same 503 rather than answer.
    expect(() => hasPermission(admin, 'documents', 'read')).toThrow(expect.objectContaining({ code: 'rbac_unavailable' }));
    expect(logs.find('RBAC policy fetch failed and no usable policy is cached', 'error').length).toBeGreaterThan(0);
  });

  it('a context of an Auth without the secret is a wiring error, not a refusal', async () => {
    const auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logger: captureLogs().logger });
    open.push(auth);
    const ctx = await contextOf(auth, ['organization_admin']);
    expect(() => hasPermission(ctx, 'documents', 'read')).toThrow(/needs a context made by an Auth that has the Stytch secret/);
    expect(() => hasPermission(ctx, 'documents', 'read')).not.toThrow(AuthError);
  });

  it("a context's link to its Auth's policy is invisible, is not copied, and leads nowhere near the secret", async () => {
    const auth = authWith();
    const ctx = await contextOf(auth, ['organization_admin']);
    await createPermissionCheck('documents', 'read')(ctx);
    expect(hasPermission(ctx, 'documents', 'read')).toBe(true);
    // Not a key, not in JSON, not in equality: a copy equals the context...
    expect(Object.keys(ctx)).not.toContain('policy');
    expect(Object.keys(JSON.parse(JSON.stringify(ctx)) as object).sort()).toEqual(Object.keys(ctx).sort());
    expect({ ...ctx }).toEqual(ctx);
    // ...but is not a context the Auth made.
    for (const copy of [{ ...ctx }, Object.assign({}, ctx), structuredClone(ctx)]) {
      expect(() => hasPermission(copy, 'documents', 'read')).toThrow(/needs a context made by an Auth that has the Stytch secret/);
    }
    // Everything reachable from the context, hidden properties included, is free of the secret.
    const seen = new Set<unknown>();
    const reachable: unknown[] = [];
    const walk = (value: unknown): void => {
      if (seen.has(value)) return;
      seen.add(value);
      reachable.push(value);
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
        if (descriptor !== undefined && 'value' in descriptor) walk(descriptor.value);
      }
      walk(Object.getPrototypeOf(value));
    };
    walk(ctx);
    expect(reachable.length).toBeGreaterThan(20);
    expect(reachable.filter((v) => typeof v === 'string' && v.includes(issuer.secret))).toEqual([]);
    expect(reachable.some((v) => v instanceof RbacPolicyStore)).toBe(false);
  });

  it('rbac options without the secret are a configuration error; bad values are named', () => {
    expect(() => createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, rbac: {} })).toThrow(AuthConfigError);
    expect(() => createAuth({ stytch: issuer.authOptions, rbac: { refreshIntervalMs: 5 } })).toThrow(/rbac\.refreshIntervalMs/);
    expect(() => createAuth({ stytch: issuer.authOptions, rbac: { refreshEvery: 5 } as RbacOptions })).toThrow(AuthConfigError);
  });

  it('guard arguments are checked when the route is defined', () => {
    expect(() => createPermissionCheck('', 'read')).toThrow(TypeError);
    expect(() => createPermissionCheck('documents', undefined as unknown as string)).toThrow(TypeError);
  });

  it('never logs the secret or a token', async () => {
    const logs = captureLogs();
    const auth = authWith({ timeoutMs: 1_000 }, logs);
    const jwt = issuer.sessionJwt({ roles: ['reader'], organizationId: ORG });
    const ctx = await auth.authenticate(jwt);
    await createPermissionCheck('documents', 'read')(ctx);
    await createPermissionCheck('invoices', 'read')(ctx);
    expect(logs.find('does not declare', 'warn')).toHaveLength(1);
    logs.expectNoSecrets(issuer.secret, jwt);
  });
});

describe('the store, on its own clock', () => {
  const fast: RbacOptions = { refreshIntervalMs: 60_000, staleIfErrorMs: 600_000, maxBackoffMs: 8_000, timeoutMs: 1_000 };

  it('serves the last policy while Stytch fails, within the bound; then 503; recovers', async () => {
    const { store, logs, advance } = manualStore(fast);
    expect((await store.load(ORG)).isAuthorized(['reader'], 'documents', 'read')).toBe(true);
    issuer.setRbacPolicyMode('error500');

    advance(60_000); // due: the check is answered from the copy, a refresh starts behind it
    expect(store.current(ORG)?.isAuthorized(['reader'], 'documents', 'read')).toBe(true);
    await vi.waitFor(() => expect(logs.find('RBAC policy refresh failed; serving the last policy', 'warn')).toHaveLength(1));
    expect(store.fetchCount).toBe(2);

    advance(599_000); // still within refresh + stale bound
    expect(store.current(ORG)).not.toBeNull();
    advance(2_000); // past it
    expect(store.current(ORG)).toBeNull();
    const error = await rejection(store.load(ORG));
    expect(error.code).toBe('rbac_unavailable');
    expect(error.reason).toContain('HTTP 500');

    issuer.setRbacPolicyMode('ok');
    advance(10_000);
    expect(await store.load(ORG)).not.toBeNull();
    expect(logs.find('RBAC policy endpoint recovered', 'info')).toHaveLength(1);
  });

  it('backs off after failures: no fetch per request', async () => {
    issuer.setRbacPolicyMode('error500');
    const { store, advance } = manualStore(fast);
    expect((await rejection(store.load(ORG))).code).toBe('rbac_unavailable');
    expect(store.fetchCount).toBe(1);
    const errors = await Promise.all(Array.from({ length: 50 }, () => rejection(store.load(ORG))));
    expect(store.fetchCount).toBe(1);
    // Retry-After tells the client when the next attempt may start (1 s after the first failure).
    expect(errors.every((e) => e.headers['Retry-After'] === '1')).toBe(true);

    advance(1_000);
    await rejection(store.load(ORG));
    expect(store.fetchCount).toBe(2);
    advance(1_000); // the second failure doubled the wait to 2 s
    await rejection(store.load(ORG));
    expect(store.fetchCount).toBe(2);
    advance(1_000);
    await rejection(store.load(ORG));
    expect(store.fetchCount).toBe(3);
    advance(60_000); // never longer than maxBackoffMs
    issuer.setRbacPolicyMode('ok');
    expect(await store.load(ORG)).not.toBeNull();
    expect(store.fetchCount).toBe(4);
  });

  it("a 429's Retry-After is honoured", async () => {
    issuer.setRbacPolicyMode('ratelimited');
    const { store, advance } = manualStore({ ...fast, maxBackoffMs: 100 });
    await rejection(store.load(ORG));
    advance(500); // past the back-off, not past Stytch's Retry-After: 1
    await rejection(store.load(ORG));
    expect(store.fetchCount).toBe(1);
    advance(500);
    await rejection(store.load(ORG));
    expect(store.fetchCount).toBe(2);
  });

  it('a malformed policy is a failure, not an empty policy', async () => {
    issuer.setRbacPolicyMode('malformed');
    const { store } = manualStore(fast);
    const error = await rejection(store.load(ORG));
    expect(error.reason).toContain('unexpected response shape');
  });

  it('a wrong secret is refused by Stytch (Basic auth checked) and logged as a configuration error', async () => {
    const { store, logs } = manualStore(fast, captureLogs(), 'secret-test-wrong');
    expect((await rejection(store.load(ORG))).code).toBe('rbac_unavailable');
    expect(logs.find('Stytch refused the request (HTTP 401)', 'error')).toHaveLength(1);
    logs.expectNoSecrets(issuer.secret, 'secret-test-wrong');
  });

  it("organizations' custom roles are added to the project's for their members only", async () => {
    issuer.setOrgRoles(ORG, TABLE_ORG_ROLES);
    const before = issuer.requests.rbacOrgPolicy;
    const { store } = manualStore({ ...fast, organizationPolicies: true });
    const [mine, other] = await Promise.all([store.load(ORG), store.load('organization-test-other')]);
    expect(mine.isAuthorized(['auditor'], 'documents', 'read')).toBe(true);
    expect(other.isAuthorized(['auditor'], 'documents', 'read')).toBe(false);
    expect(mine.grantingRoles('documents', 'read')).toContain('auditor');
    await Promise.all([store.load(ORG), store.load(ORG), store.load('organization-test-other')]);
    expect(issuer.requests.rbacOrgPolicy - before).toBe(2);
    expect(store.fetchCount).toBe(1);
  });
});

describe('background refresh', () => {
  it('picks a changed policy up without a request asking for it', async () => {
    const logs = captureLogs();
    const store = new RbacPolicyStore(
      { projectId: issuer.projectId, secret: issuer.secret, apiBaseUrl: issuer.baseUrl },
      resolveRbacOptions({ refreshIntervalMs: 200 }),
      logs.logger,
    );
    open.push(store);
    expect((await store.load(ORG)).isAuthorized(['reader'], 'documents', 'write')).toBe(false);
    issuer.setRbacPolicy({
      ...TABLE_POLICY,
      roles: TABLE_POLICY.roles.map((r) => (r.role_id === 'reader' ? { ...r, permissions: [{ resource_id: 'documents', actions: ['read', 'write'] }] } : r)),
    });
    // The timer refetches; we only watch the outcome (polling with a deadline).
    await vi.waitFor(() => expect(store.fetchCount).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 });
    await vi.waitFor(() => expect(store.current(ORG)?.isAuthorized(['reader'], 'documents', 'write')).toBe(true), { timeout: 5_000, interval: 20 });
  });

  it('stops refreshing when closed', async () => {
    const store = new RbacPolicyStore(
      { projectId: issuer.projectId, secret: issuer.secret, apiBaseUrl: issuer.baseUrl },
      resolveRbacOptions({ refreshIntervalMs: 100 }),
      captureLogs().logger,
    );
    await store.load(ORG);
    await vi.waitFor(() => expect(store.fetchCount).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 });
    store.close();
    const count = store.fetchCount;
    // The timer is cleared: a new fetch cannot start. Wait on a fetch of our own that the
    // issuer answers, which gives the old timer several periods to misfire.
    for (let i = 0; i < 5; i++) await fetch(`${issuer.baseUrl}/v1/b2b/rbac/policy`);
    expect(await store.preload()).toBe(false);
    expect(store.fetchCount).toBe(count);
  });
});
