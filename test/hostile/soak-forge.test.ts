/**
 * The soak's "someone else's payload" forgery (bench/soak/forge.ts). The soak is not in CI, so its
 * forging function is tested here: every token it produces differs from both sources and is
 * refused by the library, and it refuses to splice a token with itself (or with a token of
 * the same payload), which would send a genuine token and make the soak report a false
 * "wrong answer".
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { pickDistinct, swapPayload } from '../../bench/soak/forge.js';

let issuer: TestIssuer;
let auth: Auth;
const members = Array.from({ length: 6 }, (_, i) => ({ memberId: `member-test-forge-${i}`, organizationId: `organization-test-forge-${i % 3}` }));
let genuine: string[];

beforeAll(async () => {
  issuer = await createTestIssuer();
  auth = createAuth({ stytch: issuer.authOptions, remote: { retries: 0, timeoutMs: 2_000 } });
  // Two tokens per member, as the soak keeps several per pair.
  genuine = members.flatMap((m) => [issuer.sessionJwt({ ...m, expiresInSec: 3600 }), issuer.sessionJwt({ ...m, expiresInSec: 7200 })]);
});
afterAll(async () => {
  await auth?.close();
  await issuer?.close();
});

const payloadOf = (t: string) => t.split('.')[1];

describe('soak forgery: swapPayload', () => {
  it('every splice of two tokens with different payloads differs from both sources and from every genuine token', () => {
    const all = new Set(genuine);
    let spliced = 0;
    for (const a of genuine) {
      for (const b of genuine) {
        if (payloadOf(a) === payloadOf(b)) continue;
        const forged = swapPayload(a, b);
        expect(forged).not.toBe(a);
        expect(forged).not.toBe(b);
        expect(all.has(forged)).toBe(false);
        spliced++;
      }
    }
    expect(spliced).toBe(genuine.length * (genuine.length - 1));
  });

  it('refuses to splice a token with itself or with a token of the same payload (the case that sent a genuine token)', () => {
    const [t] = genuine;
    expect(() => swapPayload(t!, t!)).toThrow(/same payload/);
    const [h, p] = t!.split('.');
    const samePayloadOtherSignature = `${h}.${p}.${'A'.repeat(342)}`;
    expect(() => swapPayload(t!, samePayloadOtherSignature)).toThrow(/same payload/);
    expect(() => swapPayload('not-a-jws', t!)).toThrow(/compact JWS/);
  });

  it('the library refuses every splice (401 token_invalid)', async () => {
    const refusals = new Set<string>();
    for (let i = 0; i < genuine.length; i++) {
      const forged = swapPayload(genuine[i]!, genuine[(i + 2) % genuine.length]!);
      const error = await auth.authenticate(forged).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AuthError);
      refusals.add(`${(error as AuthError).status} ${(error as AuthError).code}`);
    }
    expect([...refusals]).toEqual(['401 token_invalid']);
  });
});

describe('soak forgery: pickDistinct', () => {
  it('always returns two different elements, for any list of two or more and any random source', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 2, maxLength: 2 }), (n, [r1, r2]) => {
        const list = Array.from({ length: n }, (_, i) => i);
        const draws = [r1!, r2!];
        const pair = pickDistinct(list, () => draws.shift()!);
        expect(pair).not.toBeNull();
        expect(pair![0]).not.toBe(pair![1]);
        expect(list).toContain(pair![0]);
        expect(list).toContain(pair![1]);
      }),
    );
  });

  it('returns null below two elements', () => {
    expect(pickDistinct([])).toBeNull();
    expect(pickDistinct(['only'])).toBeNull();
  });
});
