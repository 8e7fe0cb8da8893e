/**
 * Properties of the loopback server's BSON comparison core (bson-values.ts), over random
 * values of every type the library stores: it is a total order, canonical keys agree
 * with it, strings compare like UTF-8 bytes, and an ObjectId never equals its hex string.
 */
import { ObjectId } from 'bson';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalKey, compareValues, sortDocuments } from '../../tools/mongo-wire-server/bson-values.js';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 4 }),
  fc.string({ unit: 'binary', maxLength: 3 }),
  fc.uint8Array({ minLength: 12, maxLength: 12 }).map((b) => new ObjectId(b)),
  fc.integer({ min: 0, max: 3 }).map((n) => new ObjectId(n.toString(16).padStart(24, '0')).toHexString()),
  fc.integer({ min: 0, max: 3 }).map((n) => new ObjectId(n.toString(16).padStart(24, '0'))),
  fc.date({ noInvalidDate: true }),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', '_id'), tie('v'), { maxKeys: 3 }),
  ),
})).v;

describe('compareValues', () => {
  it('is reflexive and antisymmetric', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(compareValues(a, a)).toBe(0);
        expect(sign(compareValues(a, b)) + sign(compareValues(b, a))).toBe(0);
      }),
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareValues);
        expect(compareValues(x, z)).toBeLessThanOrEqual(0);
        if (compareValues(x, y) === 0 && compareValues(y, z) === 0) expect(compareValues(x, z)).toBe(0);
      }),
    );
  });

  it('agrees with canonicalKey on equality', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(canonicalKey(a) === canonicalKey(b)).toBe(compareValues(a, b) === 0);
      }),
    );
  });

  it('orders strings like their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(sign(compareValues(a, b))).toBe(sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
    );
  });

  it('never equates an ObjectId with its hex string, and puts every string before every ObjectId', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.string(), (bytes, s) => {
        const oid = new ObjectId(bytes);
        expect(compareValues(oid, oid.toHexString())).toBeGreaterThan(0);
        expect(compareValues(s, oid)).toBeLessThan(0);
        expect(compareValues(oid, new ObjectId(oid.toHexString()))).toBe(0);
      }),
    );
  });
});

describe('sortDocuments', () => {
  it('is a permutation, ordered by the sort key, stable for ties', () => {
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 12 }), fc.constantFrom<1 | -1>(1, -1), (vs, dir) => {
        const docs = vs.map((v, i) => ({ i, v }));
        const sorted = sortDocuments(docs, { v: dir });
        expect(sorted.map((d) => d.i).sort((x, y) => x - y)).toEqual(docs.map((d) => d.i));
        for (let k = 1; k < sorted.length; k++) {
          const prev = sorted[k - 1] as { i: number; v: unknown };
          const cur = sorted[k] as { i: number; v: unknown };
          const c = compareValues(prev.v ?? null, cur.v ?? null) * dir;
          expect(c).toBeLessThanOrEqual(0);
          if (c === 0) expect(prev.i).toBeLessThan(cur.i);
        }
      }),
    );
  });
});
