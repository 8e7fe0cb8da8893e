/**
 * The warm path (measured in bench/): a verified-token cache hit must be exactly as
 * strict as a full verification. A token that differs from the verified one in any byte —
 * even one keeping its signature segment — never hits; the cache never holds the token or its
 * signature, nor anything that keeps them alive;
 * the header shortcut never accepts a header the full checks would refuse; and the synchronous
 * warm answer is the same context the full way builds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, seedMember, type TestIssuer } from 'ayz-auth/testing';
import { connectMonitored } from '../context/context-fixture.js';
import { rejection } from '../support/errors.js';
import { TokenVerifier } from '../../src/token/token-verifier.js';
import { VerifiedTokenCache } from '../../src/token/verified-token-cache.js';
import { bearerCandidate, extractBearerToken, isBearerTokenShaped } from '../../src/token/bearer.js';
import { resolveOptions } from '../../src/config/resolve-options.js';
import { pino } from 'pino';
import { createHash } from 'node:crypto';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const segments = (t: string) => t.split('.') as [string, string, string];
const b64json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Flips one base64url character at `index` of a segment, keeping it base64url. */
function flip(segment: string, index: number): string {
  const c = segment[index] === 'A' ? 'B' : 'A';
  return segment.slice(0, index) + c + segment.slice(index + 1);
}

describe('verified-token cache: hits need every byte', () => {
  let issuer: TestIssuer;
  let auth: Auth;
  let verifier: TokenVerifier;
  let token: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl }, logLevel: 'silent' });
    verifier = new TokenVerifier(resolveOptions({ stytch: { projectId: issuer.projectId, baseUrl: issuer.baseUrl } }), pino({ level: 'silent' }));
    token = issuer.sessionJwt({ memberId: 'member-test-fast', organizationId: 'organization-test-fast', expiresInSec: 600 });
    await auth.authenticate(token);
    await verifier.verify(token);
  });
  afterAll(async () => {
    await auth.close();
    await issuer.close();
  });

  const forgeries = (): [string, string][] => {
    const [h, p, s] = segments(token);
    const payload = b64json(p);
    const header = b64json(h);
    return [
      ['one byte of the payload', `${h}.${flip(p, 10)}.${s}`],
      ['the last byte of the payload', `${h}.${flip(p, p.length - 2)}.${s}`],
      ['one byte of the header', `${flip(h, 5)}.${p}.${s}`],
      ['another member in the payload', `${h}.${b64url({ ...payload, sub: 'member-test-other' })}.${s}`],
      ['a header with another kid', `${b64url({ ...header, kid: 'jwk-test-other' })}.${p}.${s}`],
      ['one byte of the signature', `${h}.${p}.${flip(s, 3)}`],
      ['a longer token', `${token}A`],
    ];
  };

  it('a token differing in one byte (signature segment kept) is verified afresh and refused', async () => {
    for (const [what, forged] of forgeries()) {
      expect(forged, what).not.toBe(token);
      expect((await rejection(auth.authenticate(forged))).code, what).toBe('token_invalid');
      expect((await rejection(auth.authenticateRequest({ authorization: `Bearer ${forged}` }))).code, what).toBe('token_invalid');
      expect((await rejection(verifier.verify(forged))).code, what).toBe('token_invalid');
    }
    // The genuine token still hits.
    expect((await auth.authenticate(token)).memberId).toBe('member-test-fast');
  });

  it('the key is the SHA-256 of the signature; an entry keeps the signed part, never the signature or the token', async () => {
    const lru = (verifier.cache as unknown as { lru: { keys(): IterableIterator<string>; values(): IterableIterator<unknown> } }).lru;
    const keys = [...lru.keys()];
    const [h, p, s] = segments(token);
    expect(keys).toEqual([createHash('sha256').update(s).digest('binary')]);
    expect(VerifiedTokenCache.keyOf(token)).toBe(keys[0]);
    const stored = JSON.stringify([...lru.values()]);
    expect(stored.includes(`${h}.${p}.`)).toBe(true);
    for (const secret of [token, s]) expect(stored.includes(secret)).toBe(false);
    // Forgeries that keep the signature share the key: only the signed part tells them apart.
    for (const [what, forged] of forgeries()) {
      expect(verifier.cachedIdentity(forged), what).toBeUndefined();
      expect(verifier.cachedIdentity(forged, true), what).toBeUndefined();
    }
    expect(verifier.cachedIdentity(token)?.memberId).toBe('member-test-fast');
  });

  it('a token and its forgery verified at the same time do not share the verification', async () => {
    const fresh = issuer.sessionJwt({ memberId: 'member-test-pair', organizationId: 'organization-test-fast', expiresInSec: 600 });
    const [h, p, s] = segments(fresh);
    const forged = `${h}.${b64url({ ...b64json(p), sub: 'member-test-other' })}.${s}`;
    const [genuine, forgery] = await Promise.allSettled([auth.authenticate(fresh), auth.authenticate(forged)]);
    expect(genuine.status === 'fulfilled' && genuine.value.memberId).toBe('member-test-pair');
    expect(forgery.status === 'rejected' && (forgery.reason as AuthError).code).toBe('token_invalid');
    // And in the other order: the forgery's failure is not remembered for the genuine token.
    const second = issuer.sessionJwt({ memberId: 'member-test-pair2', organizationId: 'organization-test-fast', expiresInSec: 600 });
    const [h2, p2, s2] = segments(second);
    const forged2 = `${h2}.${flip(p2, 4)}.${s2}`;
    const [forgery2, genuine2] = await Promise.allSettled([auth.authenticate(forged2), auth.authenticate(second)]);
    expect(forgery2.status).toBe('rejected');
    expect(genuine2.status === 'fulfilled' && genuine2.value.memberId).toBe('member-test-pair2');
  });

  it('a cached opaque token does not answer for a token that ends with it after a dot', async () => {
    const stytchAuth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    const session = issuer.registerSession({ memberId: 'member-test-opaque' });
    expect((await stytchAuth.authenticate(session.sessionToken)).memberId).toBe('member-test-opaque');
    issuer.resetCounters();
    expect((await stytchAuth.authenticate(session.sessionToken)).memberId).toBe('member-test-opaque');
    expect(issuer.requests.authenticate).toBe(0);
    // Same secret part, another signed part ('.' instead of nothing): a different token, asked of Stytch.
    expect((await rejection(stytchAuth.authenticate(`.${session.sessionToken}`))).code).toBe('session_invalid');
    expect(issuer.requests.authenticate).toBe(1);
    await stytchAuth.close();
  });

  it('a token with a dot where the last stored token was split is still split at its last dot', async () => {
    const stytchAuth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    // Lookups first try the split of the last token stored (for a JWT: its signature's length).
    // `dotted` has a dot 32 characters from its end and its last dot 11 from its end; `other`,
    // stored after it, is split 32 characters from its end.
    const dotted = `sess_${'a'.repeat(20)}.x.${'b'.repeat(20)}.${'c'.repeat(10)}`;
    const other = `sess_${'p'.repeat(20)}.${'q'.repeat(31)}`;
    expect(dotted.charAt(dotted.length - 32)).toBe('.');
    expect(other.length - other.lastIndexOf('.')).toBe(32);
    issuer.registerSession({ memberId: 'member-test-dotted', sessionToken: dotted });
    issuer.registerSession({ memberId: 'member-test-other', sessionToken: other });
    expect((await stytchAuth.authenticate(dotted)).memberId).toBe('member-test-dotted');
    expect((await stytchAuth.authenticate(other)).memberId).toBe('member-test-other');
    issuer.resetCounters();
    expect((await stytchAuth.authenticate(dotted)).memberId).toBe('member-test-dotted');
    expect((await stytchAuth.authenticateRequest({ authorization: `Bearer ${dotted}` })).memberId).toBe('member-test-dotted');
    expect((await stytchAuth.authenticate(other)).memberId).toBe('member-test-other');
    expect(issuer.requests.authenticate).toBe(0);
    // A JWT stored now moves the guess to its signature's length; it and the others still hit,
    // and the guess never makes another token hit.
    const jwt = issuer.sessionJwt({ memberId: 'member-test-split', organizationId: 'organization-test-fast', expiresInSec: 600 });
    expect((await stytchAuth.authenticate(jwt)).memberId).toBe('member-test-split');
    expect((await stytchAuth.authenticate(jwt)).memberId).toBe('member-test-split');
    expect((await stytchAuth.authenticate(dotted)).memberId).toBe('member-test-dotted');
    expect((await rejection(stytchAuth.authenticate(`${other}q`))).code).toBe('session_invalid');
    expect(issuer.requests.authenticate).toBe(1);
    await stytchAuth.close();
  });

  it('the cache keeps nothing that holds the token alive: after a GC, no string of the heap holds the token or its signature', async () => {
    const verifyFreshToken = async () => {
      // Made from bytes, as an HTTP parser makes it: the only copy is the one the cache saw.
      const made = Buffer.from(issuer.sessionJwt({ memberId: 'member-test-heap', organizationId: 'organization-test-fast', expiresInSec: 600 }), 'latin1');
      await verifier.verify(made.toString('latin1'));
      const dot = made.lastIndexOf(0x2e);
      // The signature kept as bytes only: the test itself holds no string with it. The head (the
      // first 1,000 characters of the signed part, unique to this token) finds its strings.
      return { signature: Buffer.from(made.subarray(dot + 1)), length: made.length, head: made.subarray(0, Math.min(dot, 1000)).toString('latin1') };
    };
    const token = await verifyFreshToken();
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    const strings = await heapStrings();
    // Snapshots cut string names at 1024 characters, so the whole token is found by its size.
    const holdingToken = strings.filter((n) => n.name.startsWith(token.head) && n.selfSize >= token.length);
    const holdingSignature = strings.filter((n) => n.name.includes(token.signature.toString('latin1')));
    const signedParts = strings.filter((n) => n.name.startsWith(token.head) && n.selfSize > token.head.length + 64 && n.selfSize < token.length);
    expect(holdingToken).toEqual([]);
    expect(holdingSignature).toEqual([]);
    // The signed part is there, as a string of its own.
    expect(signedParts.length).toBeGreaterThan(0);
  });
});

interface HeapString {
  type: string;
  name: string;
  selfSize: number;
}

/** The string nodes of a heap snapshot of this process. */
async function heapStrings(): Promise<HeapString[]> {
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    getHeapSnapshot()
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      .on('error', reject);
  });
  const snapshot = JSON.parse(text) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const found: HeapString[] = [];
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    if (!type.includes('string')) continue;
    found.push({ type, name: snapshot.strings[snapshot.nodes[i + nameAt]!]!, selfSize: snapshot.nodes[i + sizeAt]! });
  }
  return found;
}

describe('the header shortcut', () => {
  let issuer: TestIssuer;
  let auth: Auth;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  });
  afterAll(async () => {
    await auth.close();
    await issuer.close();
  });

  it('only plain `Bearer <token>` headers are candidates, and a candidate is the token the full parse returns', () => {
    const token = issuer.sessionJwt();
    for (const value of [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`]) {
      expect(bearerCandidate({ authorization: value })).toBe(token);
      expect(extractBearerToken({ authorization: value })).toBe(token);
    }
    // Not checked by the shortcut, but such a candidate can never equal a bearer-shaped token.
    expect(bearerCandidate({ authorization: `Bearer  ${token}` })).toBe(` ${token}`);
    expect(isBearerTokenShaped(` ${token}`)).toBe(false);
    expect(isBearerTokenShaped(`${token} `)).toBe(false);
    for (const headers of [
      { authorization: ` Bearer ${token}` },
      { authorization: `Bearer\t${token}` },
      { authorization: `Token ${token}` },
      { authorization: [`Bearer ${token}`] },
      { Authorization: `Bearer ${token}` },
      { authorization: 'Bearer short' },
      {},
    ]) {
      expect(bearerCandidate(headers)).toBeNull();
    }
  });

  it('tokens no header may carry are refused by authenticate(token) too, before any remote call', async () => {
    // Opaque tokens a fake Stytch would accept but no Authorization header can carry.
    const spaced = issuer.registerSession({ sessionToken: 'sess_tok_with a_space_0123456789' });
    const plus = issuer.registerSession({ sessionToken: 'sess_tok_with+plus_0123456789abc' });
    issuer.resetCounters();
    expect((await rejection(auth.authenticate(spaced.sessionToken))).code).toBe('token_malformed');
    expect((await rejection(auth.authenticate(plus.sessionToken))).code).toBe('token_malformed');
    expect((await rejection(auth.authenticateRequest({ authorization: `Bearer ${spaced.sessionToken}` }))).code).toBe('token_multiple');
    expect((await rejection(auth.authenticateRequest({ authorization: `Bearer ${plus.sessionToken}` }))).code).toBe('token_malformed');
    expect(issuer.requests.authenticate).toBe(0);
  });

  it('a cached token in an unusual but valid header still authenticates, through the full parse', async () => {
    const token = issuer.sessionJwt({ memberId: 'member-test-hdr' });
    await auth.authenticateRequest({ authorization: `Bearer ${token}` });
    for (const value of [`  bearer   ${token}  `, `Bearer\t${token}`]) {
      expect((await auth.authenticateRequest({ authorization: value })).memberId).toBe('member-test-hdr');
    }
    expect((await auth.authenticateRequest({ Authorization: `Bearer ${token}` })).memberId).toBe('member-test-hdr');
  });

  it('a closed Auth refuses a cached token, and a missing header, with a programming error that says it is closed', async () => {
    const closing = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    const token = issuer.sessionJwt();
    await closing.authenticateRequest({ authorization: `Bearer ${token}` });
    await closing.close();
    for (const headers of [{ authorization: `Bearer ${token}` }, {}]) {
      const closed: unknown = await closing.authenticateRequestWithResult(headers).then(
        () => null,
        (error: unknown) => error,
      );
      expect(closed).toBeInstanceOf(Error);
      expect(closed).not.toBeInstanceOf(AuthError);
      expect((closed as Error).message).toMatch(/closed/);
    }
  });

  it('never throws synchronously', () => {
    expect(() => auth.authenticateRequestWithResult({}).catch(() => undefined)).not.toThrow();
    expect(() => auth.authenticateRequestWithResult(null as never).catch(() => undefined)).not.toThrow();
  });
});

describe('the synchronous warm answer equals the full build', () => {
  let issuer: TestIssuer;
  let mongo: Awaited<ReturnType<typeof connectMonitored>>;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    mongo = await connectMonitored();
  });
  afterAll(async () => {
    await mongo.close();
    await issuer.close();
  });

  for (const cacheTeam of [false, true]) {
    it(`cacheTeam: ${cacheTeam} — same context, frozen; ${cacheTeam ? 'no' : 'only the team'} database read when warm`, async () => {
      const db = mongo.client.db(`fastpath_${cacheTeam}_${Date.now().toString(36)}`);
      const member = await seedMember(db, { entitlements: ['reports'], subscriptionTier: 'premium', teamName: 'Blue' });
      const auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: 'silent', context: { cacheTeam } });
      const headers = { authorization: `Bearer ${issuer.sessionJwt({ memberId: member.stytchMemberId, organizationId: member.stytchOrgId })}` };
      const cold = (await auth.authenticateRequestWithResult(headers)).context;
      const from = mongo.events.length;
      const warm = await auth.authenticateRequestWithResult(headers);
      const reads = mongo.events.slice(from).filter((e) => e.databaseName === db.databaseName);
      expect(reads.map((e) => `${e.commandName} ${String(e.command[e.commandName])}`)).toEqual(cacheTeam ? [] : ['aggregate users']);
      expect(warm.refreshedSessionJwt).toBeNull();
      const { authenticatedAt: a, ...coldRest } = cold;
      const { authenticatedAt: b, ...warmRest } = warm.context;
      expect(warmRest).toEqual(coldRest);
      expect(Object.keys(warm.context)).toEqual(Object.keys(cold));
      expect(b.getTime()).toBeGreaterThanOrEqual(a.getTime());
      expect(Object.isFrozen(warm.context)).toBe(true);
      expect(warm.context).not.toBe(cold);
      expect(warm.context).toMatchObject({ currentTeamId: member.teamId.toHexString(), currentTeamName: 'Blue', entitlements: ['reports'] });

      // A team switch shows at once in default mode, and after `invalidate` when the team is cached.
      const other = await seedMember(db, { stytchOrgId: member.stytchOrgId, userId: member.userId, stytchMemberId: member.stytchMemberId, teamName: 'Green', currentTeam: true });
      if (cacheTeam) {
        expect((await auth.authenticateRequest(headers)).currentTeamName).toBe('Blue');
        auth.invalidate({ memberId: member.stytchMemberId });
      }
      expect((await auth.authenticateRequest(headers)).currentTeamId).toBe(other.teamId.toHexString());
      await auth.close();
      await db.dropDatabase();
    });
  }
});

it('AuthError stays the error class of the warm path', async () => {
  const issuer = await createTestIssuer();
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
  await expect(auth.authenticateRequestWithResult({ authorization: 'Bearer !!' })).rejects.toBeInstanceOf(AuthError);
  await auth.close();
  await issuer.close();
});
