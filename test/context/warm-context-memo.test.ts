/**
 * The warm answer of a verified token is built at most once per millisecond (ContextMemo): a
 * second request of the same token in the same millisecond gets the very same frozen context,
 * the next millisecond a new one with its own `authenticatedAt`, and any change of the cached
 * directory (an invalidation) a new one at once, never the old. Real driver, test MongoDB;
 * `Date` is the only thing faked, so that "the same millisecond" is a fact, not a race. Within a
 * millisecond the directory and team lookups are skipped only while the context caches are
 * unchanged: a team named by a header, a capacity eviction or an invalidation is never
 * answered from the memo.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AuthResult } from 'ayz-auth';
import { settledAuthentication } from 'ayz-auth/internal';
import { COLLECTIONS, seedMember, seedTeam, seedTeamMembership } from 'ayz-auth/testing';
import { useContextFixture } from './context-fixture.js';

const fixture = useContextFixture();
const scenario = fixture.scenario;

afterEach(() => {
  vi.useRealTimers();
});

/** The context without its timestamp. */
const withoutTime = (r: AuthResult) => {
  const { authenticatedAt: _at, ...rest } = r.context;
  return rest;
};

describe('warm contexts', () => {
  it('are shared within one millisecond, new in the next, and rebuilt at once after an invalidation', async () => {
    const s = scenario({ context: { cacheTeam: true } });
    const member = await seedMember(s.db, { entitlements: ['reports'] });
    const token = fixture.issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, expiresInSec: 600 });
    const headers = { authorization: `Bearer ${token}` };
    await s.auth.authenticateRequestWithResult(headers); // cold: verified, directory and team cached
    const settled = settledAuthentication(s.auth);

    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.UTC(2026, 10, 29, 9, 0, 0, 0);
    vi.setSystemTime(t0);
    const first = await s.auth.authenticateRequestWithResult(headers);
    const second = await s.auth.authenticateRequestWithResult(headers);
    const viaAdapterPath = settled(headers, undefined);
    expect(second.context).toBe(first.context);
    expect(viaAdapterPath?.context).toBe(first.context);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.context)).toBe(true);
    expect(first.context.authenticatedAt.getTime()).toBe(t0);

    vi.setSystemTime(t0 + 1);
    const next = await s.auth.authenticateRequestWithResult(headers);
    expect(next.context).not.toBe(first.context);
    expect(next.context.authenticatedAt.getTime()).toBe(t0 + 1);
    expect(withoutTime(next)).toEqual(withoutTime(first));

    // Same millisecond, new directory: the organization's entitlements change and the service
    // invalidates the organization; the next request reads them, never the memo.
    await s.db.collection(COLLECTIONS.organizations).updateOne({ _id: member.organizationId }, { $set: { entitlements: ['reports', 'exports'] } });
    s.auth.invalidate({ stytchOrgId: member.stytchOrgId });
    const afterInvalidate = await s.auth.authenticateRequestWithResult(headers);
    expect(afterInvalidate.context).not.toBe(next.context);
    expect(afterInvalidate.context.entitlements).toEqual(['reports', 'exports']);
    expect(afterInvalidate.context.authenticatedAt.getTime()).toBe(t0 + 1);

    // A forgotten token is never answered from the memo.
    s.auth.invalidate({ token });
    expect(settled(headers, undefined)).toBeUndefined();
    await s.auth.close();
  });

  it('are per token: two tokens of one member in one millisecond get their own contexts', async () => {
    const s = scenario({ context: { cacheTeam: true } });
    const member = await seedMember(s.db, {});
    const tokenA = fixture.issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, sessionId: 'session-a' });
    const tokenB = fixture.issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, sessionId: 'session-b' });
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` });
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenB}` });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 29, 9, 0, 0, 0));
    const a = await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` });
    const b = await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenB}` });
    expect(a.context).not.toBe(b.context);
    expect(a.context.kind === 'member' && a.context.sessionId).toBe('session-a');
    expect(b.context.kind === 'member' && b.context.sessionId).toBe('session-b');
    await s.auth.close();
  });

  it('never answer a team named by a header from another request of the same millisecond', async () => {
    const s = scenario({ context: { cacheTeam: true, team: { from: 'header-or-stored' } } });
    const member = await seedMember(s.db, { teamName: 'Stored' });
    const second = await seedTeam(s.db, { organizationId: member.organizationId, name: 'Second' });
    await seedTeamMembership(s.db, { userId: member.userId, teamId: second });
    const token = fixture.issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId, expiresInSec: 600 });
    const bare = { authorization: `Bearer ${token}` };
    const named = { ...bare, 'x-team-id': second.toHexString() };
    await s.auth.authenticateRequestWithResult(bare);
    await s.auth.authenticateRequestWithResult(named);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 29, 9, 0, 0, 0));
    const teamOf = async (headers: Record<string, string>) => {
      const { context } = await s.auth.authenticateRequestWithResult(headers);
      return context.kind === 'member' ? context.currentTeamName : undefined;
    };
    expect(await teamOf(bare)).toBe('Stored');
    expect(await teamOf(named)).toBe('Second');
    expect(await teamOf(bare)).toBe('Stored');
    expect(settledAuthentication(s.auth)(named, undefined)?.context).toMatchObject({ currentTeamName: 'Second' });
    expect(settledAuthentication(s.auth)(bare, undefined)?.context).toMatchObject({ currentTeamName: 'Stored' });
    await s.auth.close();
  });

  it('read the directory again, in the same millisecond, once its entry was evicted for room', async () => {
    const s = scenario({ context: { cacheTeam: true, directoryMax: 1 } });
    const a = await seedMember(s.db, {});
    const b = await seedMember(s.db, {});
    const tokenA = fixture.issuer.sessionJwt({ memberId: a.stytchMemberId, organizationId: a.stytchOrgId, expiresInSec: 600 });
    const tokenB = fixture.issuer.sessionJwt({ memberId: b.stytchMemberId, organizationId: b.stytchOrgId, expiresInSec: 600 });
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` });
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenB}` }); // verified; B's directory evicts A's
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` }); // A's again, evicting B's
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 29, 9, 0, 0, 0));
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` }); // memo of A, same ms from here on
    s.resetCommands();
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` });
    expect(s.commands()).toEqual([]);
    await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenB}` }); // reads B, evicts A
    s.resetCommands();
    const again = await s.auth.authenticateRequestWithResult({ authorization: `Bearer ${tokenA}` });
    expect(s.commands().length).toBeGreaterThan(0);
    expect(again.context.kind === 'member' && again.context.mongoUserId).toBe(a.userId.toHexString());
    await s.auth.close();
  });
});
