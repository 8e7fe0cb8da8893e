/**
 * Per-request team selection (`context.team`) through each adapter, over real HTTP on Express
 * 4/5 and Fastify 4/5, with the real core reading the run's test MongoDB: the team named by
 * `X-Team-Id` must be a team of the caller's organization with an active membership of the
 * caller (else 403 `team_forbidden`), hostile header values are fixed 400s, nothing is written
 * back, the verdict is cached with the directory (and dropped by `invalidate`), and an `Auth`
 * left in the default mode ignores the header.
 */
import express5 from 'express';
import express4 from 'express4';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import type { ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { AuthConfigError, createAuth, type Auth, type AuthOptions, type TeamSelectionOptions, type TeamSource } from 'ayz-auth';
import { createTestIssuer, seedMember, seedTeam, seedTeamMembership, type SeededMember, type TestIssuer } from 'ayz-auth/testing';
import { captureLogs } from '../support/log-capture.js';
import { connectTestDb, type TestDb } from '../../tools/mongo-wire-server/connect.js';
import { expressApp, type ExpressFactory } from './express/express-app.js';
import { fastifyApp, type FastifyFactory } from './fastify/fastify-app.js';
import { bearer, httpRequest, type HttpResponse } from './http-client.js';
import type { StartApp } from './scenarios.js';

type Mode = 'header' | 'header-or-stored' | 'stored';

function describeTeamSelection(start: StartApp): void {
  let issuer: TestIssuer;
  let testDb: TestDb;
  const auths = {} as Record<Mode, Auth>;
  const apps = {} as Record<Mode, { url: string; close(): Promise<void> }>;
  let m: SeededMember;
  let other: SeededMember;
  const teams = {} as Record<'second' | 'noMembership' | 'inactive' | 'otherOrg', ObjectId>;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    testDb = await connectTestDb('adapters_team_sel');
    const db = testDb.db;
    m = await seedMember(db, { teamName: 'Stored' });
    other = await seedMember(db, { teamName: 'Elsewhere' });
    teams.second = await seedTeam(db, { organizationId: m.organizationId, name: 'Second' });
    await seedTeamMembership(db, { userId: m.userId, teamId: teams.second });
    teams.noMembership = await seedTeam(db, { organizationId: m.organizationId, name: 'Not mine' });
    teams.inactive = await seedTeam(db, { organizationId: m.organizationId, name: 'Left' });
    await seedTeamMembership(db, { userId: m.userId, teamId: teams.inactive, status: 'removed' });
    // An active membership of a team of another organization: still not a team of this one.
    teams.otherOrg = other.teamId;
    await seedTeamMembership(db, { userId: m.userId, teamId: teams.otherOrg });
    const base: AuthOptions = { stytch: issuer.authOptions, mongo: { db }, logger: captureLogs().logger };
    auths.header = createAuth({ ...base, context: { team: { from: 'header' } } });
    auths['header-or-stored'] = createAuth({ ...base, context: { team: { from: 'header-or-stored' } } });
    auths.stored = createAuth(base);
    for (const mode of Object.keys(auths) as Mode[]) apps[mode] = await start({ auth: auths[mode], handled: new Map() });
  });

  afterAll(async () => {
    for (const app of Object.values(apps)) await app.close();
    for (const auth of Object.values(auths)) await auth.close();
    await testDb?.close();
    await issuer?.close();
  });

  const me = (mode: Mode, team?: string | string[], who: SeededMember = m): Promise<HttpResponse> =>
    httpRequest(`${apps[mode].url}/me`, {
      headers: {
        ...bearer(issuer.sessionJwt({ memberId: who.stytchMemberId, organizationId: who.stytchOrgId })),
        ...(team === undefined ? {} : { 'X-Team-Id': team }),
      },
    });

  async function storedTeam(): Promise<unknown> {
    const user = await testDb.db.collection('users').findOne({ _id: m.userId });
    return user?.current_team_id;
  }

  function expectRefusal(res: HttpResponse, status: number, code: string): void {
    expect({ status: res.status, body: res.json }).toEqual({ status, body: { error: code, message: expect.any(String) } });
    expect(res.headers['cache-control']).toBe('no-store');
  }

  describe("from: 'header'", () => {
    it('takes the team the header names, with its name, and writes nothing back', async () => {
      const res = await me('header', teams.second.toHexString());
      expect(res.status).toBe(200);
      expect(res.json.auth).toMatchObject({ currentTeamId: teams.second.toHexString(), currentTeamName: 'Second', orgId: m.organizationId.toHexString() });
      expect(res.json.log).toMatchObject({ teamId: teams.second.toHexString() });
      await auths.header.idle();
      expect(await storedTeam()).toEqual(m.teamId);
    });

    it('accepts the id in capitals and answers it in lower case', async () => {
      const res = await me('header', teams.second.toHexString().toUpperCase());
      expect(res.status).toBe(200);
      expect(res.json.auth.currentTeamId).toBe(teams.second.toHexString());
    });

    it('gives no team without the header (the stored team is not read)', async () => {
      const res = await me('header');
      expect(res.status).toBe(200);
      expect(res.json.auth).toMatchObject({ currentTeamId: null, currentTeamName: null, orgId: m.organizationId.toHexString() });
    });

    it.each([
      ['a team of the organization without a membership of the user', 'noMembership'],
      ['a team whose membership is not active', 'inactive'],
      ['a team of another organization, even with an active membership', 'otherOrg'],
    ] as const)('answers 403 team_forbidden for %s', async (_what, which) => {
      const res = await me('header', teams[which].toHexString());
      expectRefusal(res, 403, 'team_forbidden');
      expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    });

    it('answers 403 team_forbidden for an id no team has', async () => {
      expectRefusal(await me('header', 'a'.repeat(24)), 403, 'team_forbidden');
    });

    it.each([
      ['not an id', 'team-1'],
      ['an empty value', ''],
      ['23 hex digits', 'a'.repeat(23)],
      ['an oversized value', 'f'.repeat(8000)],
      ['two ids in one value', `${'a'.repeat(24)},${'b'.repeat(24)}`],
      ['non-ASCII bytes', `${'a'.repeat(22)}\u00e9\u00e9`],
    ])('answers 400 team_header_invalid for %s, never a 500', async (_what, value) => {
      const res = await me('header', value);
      expectRefusal(res, 400, 'team_header_invalid');
      expect(res.text).not.toContain(value.slice(0, 20) || '\u0000');
    });

    it('answers 400 team_header_invalid for the header sent twice (even twice the same team)', async () => {
      const id = teams.second.toHexString();
      expectRefusal(await me('header', [id, id]), 400, 'team_header_invalid');
    });

    it('checks the token first: a bad header without a token is a 401', async () => {
      const res = await httpRequest(`${apps.header.url}/me`, { headers: { 'X-Team-Id': 'nonsense' } });
      expect({ status: res.status, error: res.json.error }).toEqual({ status: 401, error: 'token_missing' });
    });

    it('caches the verdict with the directory (one aggregation per request at most), until invalidate', async () => {
      const { db } = testDb;
      const fresh = await seedTeam(db, { organizationId: m.organizationId, name: 'Fresh' });
      const membership = await seedTeamMembership(db, { userId: m.userId, teamId: fresh });
      testDb.resetCommands();
      expect((await me('header', fresh.toHexString())).status).toBe(200);
      // The directory is cached from the earlier tests: only round trip 2's variant ran.
      expect(testDb.commandNames()).toEqual(['aggregate']);
      expect(testDb.commands[0]?.command.aggregate).toBe('teams');
      await db.collection('user_team_memberships').deleteOne({ _id: membership });
      testDb.resetCommands();
      expect((await me('header', fresh.toHexString())).status).toBe(200);
      expect(testDb.commandNames()).toEqual([]);
      auths.header.invalidate({ memberId: m.stytchMemberId });
      expectRefusal(await me('header', fresh.toHexString()), 403, 'team_forbidden');
      // The refusal is cached too: a caller retrying a forbidden team costs no round trip.
      testDb.resetCommands();
      expectRefusal(await me('header', fresh.toHexString()), 403, 'team_forbidden');
      expect(testDb.commandNames()).toEqual([]);
    });

    it('answers 403 team_forbidden for a caller without a user in the directory', async () => {
      const stranger = { ...m, stytchMemberId: 'member-test-unknown-in-mongo' };
      expectRefusal(await me('header', teams.second.toHexString(), stranger), 403, 'team_forbidden');
    });
  });

  describe("from: 'header-or-stored'", () => {
    it('takes the header when present', async () => {
      const res = await me('header-or-stored', teams.second.toHexString());
      expect(res.status).toBe(200);
      expect(res.json.auth.currentTeamId).toBe(teams.second.toHexString());
    });

    it('takes the stored team without the header', async () => {
      const res = await me('header-or-stored');
      expect(res.status).toBe(200);
      expect(res.json.auth).toMatchObject({ currentTeamId: m.teamId.toHexString(), currentTeamName: 'Stored' });
    });

    it('refuses a forbidden or malformed header rather than falling back to the stored team', async () => {
      expectRefusal(await me('header-or-stored', teams.noMembership.toHexString()), 403, 'team_forbidden');
      expectRefusal(await me('header-or-stored', 'x'), 400, 'team_header_invalid');
    });
  });

  describe('the default (stored)', () => {
    it('ignores the header, even a malformed one', async () => {
      for (const value of [teams.second.toHexString(), 'x', teams.otherOrg.toHexString()]) {
        const res = await me('stored', value);
        expect(res.status).toBe(200);
        expect(res.json.auth.currentTeamId).toBe(m.teamId.toHexString());
      }
    });
  });
}

describe.each([
  ['Express 4', expressApp(express4 as unknown as ExpressFactory)],
  ['Express 5', expressApp(express5)],
  ['Fastify 4', fastifyApp(fastify4 as unknown as FastifyFactory)],
  ['Fastify 5', fastifyApp(fastify5)],
])('%s: per-request team selection', (_name, start) => {
  describeTeamSelection(start);
});

describe('context.team options', () => {
  it('needs MongoDB for a team from the request, and a header name that is one', () => {
    const stytch = { projectId: 'project-test-00000000-0000-0000-0000-000000000000' };
    expect(() => createAuth({ stytch, context: { team: { from: 'header' } } })).toThrow(/context\.team\.from: a team from the request needs the mongo option/);
    const mongo = { uri: 'mongodb://127.0.0.1:1/x' };
    for (const header of ['X Team', 'Authorization', '']) {
      expect(() => createAuth({ stytch, mongo, context: { team: { from: 'header', header } } })).toThrow(AuthConfigError);
    }
    expect(() => createAuth({ stytch, mongo, context: { team: { from: 'cookie' as TeamSource } } })).toThrow(AuthConfigError);
  });

  it('has public types', () => {
    expectTypeOf<TeamSelectionOptions>().toEqualTypeOf<{ from?: TeamSource; header?: string }>();
    expectTypeOf<TeamSource>().toEqualTypeOf<'stored' | 'header' | 'header-or-stored'>();
    expectTypeOf<NonNullable<AuthOptions['context']>['team']>().toEqualTypeOf<TeamSelectionOptions | undefined>();
  });
});
