/**
 * BSON value semantics for the loopback server: type names, MongoDB's cross-type
 * comparison order, equality and canonical keys.
 *
 * Why this file exists: mingo compares JavaScript values. A real server compares BSON
 * values, and the difference is exactly where tests could pass here and fail in
 * production (an ObjectId is never equal to its 24-hex string; an ObjectId sorts after
 * strings and objects and before booleans; `[]` sorts before `null`). Everything that
 * orders or deduplicates values in the server goes through these functions.
 *
 * Values are recognised by their `_bsontype` tag rather than by `instanceof`, so an
 * ObjectId made by another copy of `bson` (the driver's CommonJS build, say) is still an
 * ObjectId here.
 */
import { ObjectId } from 'bson';

export type Doc = Record<string, unknown>;

/** The `_bsontype` tag of a bson class instance (ObjectId, Long, Binary…), if any. */
export function bsonTag(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const tag = (v as { _bsontype?: unknown })._bsontype;
  return typeof tag === 'string' ? tag : undefined;
}

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function isObjectId(v: unknown): v is ObjectId {
  return bsonTag(v) === 'ObjectId';
}

/** Canonical rank of each BSON type in MongoDB's comparison/sort order. */
export enum Rank {
  EmptyArraySortKey = 0, // only as a sort key: "[] sorts before null"
  MinKey = 1,
  Missing = 2, // only in aggregation expressions, where missing < null
  Null = 3,
  Number = 4,
  String = 5,
  Object = 6,
  Array = 7,
  BinData = 8,
  ObjectId = 9,
  Boolean = 10,
  Date = 11,
  Timestamp = 12,
  RegExp = 13,
  Code = 14,
  MaxKey = 15,
}

/** A sort key standing for an empty array, which MongoDB sorts before null and missing. */
export const EMPTY_ARRAY_SORT_KEY: unique symbol = Symbol('empty array sort key');

export function rankOf(v: unknown): Rank {
  if (v === EMPTY_ARRAY_SORT_KEY) return Rank.EmptyArraySortKey;
  if (v === undefined) return Rank.Missing;
  if (v === null) return Rank.Null;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return Rank.Number;
    case 'string':
      return Rank.String;
    case 'boolean':
      return Rank.Boolean;
    default:
      break;
  }
  if (Array.isArray(v)) return Rank.Array;
  if (v instanceof Date) return Rank.Date;
  if (v instanceof RegExp) return Rank.RegExp;
  if (v instanceof Uint8Array) return Rank.BinData;
  switch (bsonTag(v)) {
    case 'ObjectId':
      return Rank.ObjectId;
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return Rank.Number;
    case 'BSONSymbol':
      return Rank.String;
    case 'Binary':
      return Rank.BinData;
    case 'Timestamp':
      return Rank.Timestamp;
    case 'BSONRegExp':
      return Rank.RegExp;
    case 'Code':
      return Rank.Code;
    case 'MinKey':
      return Rank.MinKey;
    case 'MaxKey':
      return Rank.MaxKey;
    default:
      return Rank.Object; // plain documents, DBRef
  }
}

/** Numeric value of any BSON number (int32, int64, double, decimal128). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const tag = bsonTag(v);
  if (tag === 'Long') return (v as { toNumber(): number }).toNumber();
  if (tag === 'Int32' || tag === 'Double') return Number((v as { value: unknown }).value);
  if (tag === 'Decimal128') return Number.parseFloat(String(v));
  return Number.NaN;
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNumbers(a: unknown, b: unknown): number {
  const x = toNumber(a);
  const y = toNumber(b);
  // MongoDB: NaN equals NaN and sorts before every other number.
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return cmp(x, y);
}

/**
 * Strings compare by UTF-8 bytes on the server, i.e. by code point. JavaScript's `<`
 * compares UTF-16 code units, which disagrees for characters above U+FFFF versus
 * U+E000–U+FFFF; remap the code units so the order matches code points.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return cmp(x, y);
  }
  return cmp(a.length, b.length);
}

function bytesOf(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  const bin = v as { buffer: Uint8Array; length(): number };
  return bin.buffer.subarray(0, bin.length());
}

function subtypeOf(v: unknown): number {
  return v instanceof Uint8Array ? 0 : ((v as { sub_type?: number }).sub_type ?? 0);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return cmp(a.length, b.length);
}

/** Own keys of a document whose value is not `undefined` (undefined is never stored). */
export function definedKeys(o: object): string[] {
  return Object.keys(o).filter((k) => (o as Doc)[k] !== undefined);
}

/**
 * MongoDB's total order on BSON values (the one `$sort`, `$lt`… in expressions, `$max`,
 * index keys use): first by type rank, then within the type.
 */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return cmp(ra, rb);
  switch (ra) {
    case Rank.Number:
      return compareNumbers(a, b);
    case Rank.String:
      return compareStrings(String(a), String(b));
    case Rank.Object: {
      // Field by field in stored order: type of the value, then field name, then value.
      const ka = definedKeys(a as object);
      const kb = definedKeys(b as object);
      const n = Math.min(ka.length, kb.length);
      for (let i = 0; i < n; i++) {
        const fa = ka[i] as string;
        const fb = kb[i] as string;
        const va = (a as Doc)[fa];
        const vb = (b as Doc)[fb];
        const r = cmp(rankOf(va), rankOf(vb));
        if (r !== 0) return r;
        const f = compareStrings(fa, fb);
        if (f !== 0) return f;
        const v = compareValues(va, vb);
        if (v !== 0) return v;
      }
      return cmp(ka.length, kb.length);
    }
    case Rank.Array: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const v = compareValues(xa[i], xb[i]);
        if (v !== 0) return v;
      }
      return cmp(xa.length, xb.length);
    }
    case Rank.BinData: {
      // Documented order: length, then subtype, then bytes.
      const ba = bytesOf(a);
      const bb = bytesOf(b);
      if (ba.length !== bb.length) return cmp(ba.length, bb.length);
      const s = cmp(subtypeOf(a), subtypeOf(b));
      return s !== 0 ? s : compareBytes(ba, bb);
    }
    case Rank.ObjectId:
      // Lower-case hex preserves byte order.
      return compareStrings((a as ObjectId).toHexString(), (b as ObjectId).toHexString());
    case Rank.Boolean:
      return cmp(Number(a), Number(b));
    case Rank.Date:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case Rank.Timestamp: {
      const ta = a as { t: number; i: number };
      const tb = b as { t: number; i: number };
      return ta.t !== tb.t ? cmp(ta.t, tb.t) : cmp(ta.i, tb.i);
    }
    case Rank.RegExp: {
      const sa = regexParts(a);
      const sb = regexParts(b);
      return compareStrings(sa[0], sb[0]) || compareStrings(sa[1], sb[1]);
    }
    case Rank.Code:
      return compareStrings(String((a as { code: unknown }).code), String((b as { code: unknown }).code));
    default:
      return 0; // MinKey, MaxKey, null, missing, empty-array sort key: one value each
  }
}

function regexParts(v: unknown): [string, string] {
  if (v instanceof RegExp) return [v.source, v.flags];
  const r = v as { pattern: string; options: string };
  return [r.pattern, r.options];
}

export function valuesEqual(a: unknown, b: unknown): boolean {
  return compareValues(a, b) === 0;
}

/**
 * A string that is equal for two values exactly when the server considers them equal
 * (numbers by value across int/long/double, documents order-sensitively, ObjectId by
 * bytes and never equal to a string). Used for unique-index keys and `distinct`.
 */
export function canonicalKey(v: unknown): string {
  switch (rankOf(v)) {
    case Rank.Missing:
    case Rank.Null:
      return 'null';
    case Rank.Number: {
      const n = toNumber(v);
      if (Number.isNaN(n)) return 'n:NaN';
      return `n:${Object.is(n, -0) ? 0 : n}`;
    }
    case Rank.String:
      return `s:${JSON.stringify(String(v))}`;
    case Rank.Object:
      return `{${definedKeys(v as object)
        .map((k) => `${JSON.stringify(k)}:${canonicalKey((v as Doc)[k])}`)
        .join(',')}}`;
    case Rank.Array:
      return `[${(v as unknown[]).map(canonicalKey).join(',')}]`;
    case Rank.BinData:
      return `x:${subtypeOf(v)}:${Buffer.from(bytesOf(v)).toString('hex')}`;
    case Rank.ObjectId:
      return `o:${(v as ObjectId).toHexString()}`;
    case Rank.Boolean:
      return v ? 'b:1' : 'b:0';
    case Rank.Date:
      return `d:${(v as Date).getTime()}`;
    case Rank.Timestamp: {
      const t = v as { t: number; i: number };
      return `t:${t.t}:${t.i}`;
    }
    case Rank.RegExp: {
      const [s, f] = regexParts(v);
      return `r:${JSON.stringify(s)}/${f}`;
    }
    case Rank.Code:
      return `c:${JSON.stringify(String((v as { code: unknown }).code))}`;
    case Rank.MinKey:
      return 'minKey';
    case Rank.MaxKey:
      return 'maxKey';
    default:
      return '[]';
  }
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The `$type` alias of a value. JavaScript numbers lose the int/double distinction on the
 * wire (the driver sends integral numbers as int32 when they fit), so an integral number
 * in int32 range is "int" and any other number is "double".
 */
export function bsonTypeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? 'int' : 'double';
  if (typeof v === 'bigint') return 'long';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  if (v instanceof Uint8Array) return 'binData';
  switch (bsonTag(v)) {
    case 'ObjectId':
      return 'objectId';
    case 'Long':
      return 'long';
    case 'Int32':
      return 'int';
    case 'Double':
      return 'double';
    case 'Decimal128':
      return 'decimal';
    case 'BSONSymbol':
      return 'symbol';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'Code':
      return (v as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    default:
      return 'object';
  }
}

/** `$type` numeric codes → aliases. */
const TYPE_CODES: Record<number, string> = {
  1: 'double',
  2: 'string',
  3: 'object',
  4: 'array',
  5: 'binData',
  6: 'undefined',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  10: 'null',
  11: 'regex',
  12: 'dbPointer',
  13: 'javascript',
  14: 'symbol',
  15: 'javascriptWithScope',
  16: 'int',
  17: 'timestamp',
  18: 'long',
  19: 'decimal',
  [-1]: 'minKey',
  127: 'maxKey',
};

const NUMBER_ALIASES = new Set(['double', 'int', 'long', 'decimal']);

/** Whether `value` (not an array: callers handle array traversal) has `$type` `spec`. */
export function hasBsonType(value: unknown, spec: unknown): boolean {
  const alias = typeof spec === 'number' ? TYPE_CODES[spec] : typeof spec === 'string' ? spec : undefined;
  if (alias === undefined) throw new TypeError(`unknown type name alias: ${String(spec)}`);
  if (value === undefined) return false; // $type never matches a missing field
  const actual = bsonTypeName(value);
  if (alias === 'number') return NUMBER_ALIASES.has(actual);
  return alias === actual;
}

/**
 * All values found at a dotted path, MongoDB style: arrays met along the path are
 * traversed element by element (and a numeric component may also index into them), and
 * an array at the end of the path contributes its elements (unless `expandLeafArrays` is
 * false, for `$type: "array"`). `sawEmptyArray` tells a
 * sort that the only thing found was `[]`.
 */
export function valuesAtPath(
  doc: unknown,
  path: string,
  opts: { expandLeafArrays?: boolean } = {},
): { values: unknown[]; sawEmptyArray: boolean } {
  const expandLeafArrays = opts.expandLeafArrays ?? true;
  const parts = path.split('.');
  const values: unknown[] = [];
  let sawEmptyArray = false;
  const visit = (v: unknown, i: number): void => {
    if (i === parts.length) {
      if (Array.isArray(v) && expandLeafArrays) {
        if (v.length === 0) sawEmptyArray = true;
        for (const el of v) values.push(el);
      } else if (v !== undefined) {
        values.push(v);
      }
      return;
    }
    const part = parts[i] as string;
    if (Array.isArray(v)) {
      if (/^\d+$/.test(part)) visit(v[Number(part)], i + 1);
      for (const el of v) if (isPlainObject(el)) visit(el, i);
      return;
    }
    if (isPlainObject(v) || bsonTag(v) === 'DBRef') visit((v as Doc)[part], i + 1);
  };
  visit(doc, 0);
  return { values, sawEmptyArray };
}

/**
 * The value a document sorts by for one key: the smallest (ascending) or largest
 * (descending) of the values at the path; missing counts as null; a lone `[]` sorts
 * before null.
 */
export function sortKey(doc: unknown, path: string, direction: 1 | -1): unknown {
  const { values, sawEmptyArray } = valuesAtPath(doc, path);
  if (values.length === 0) return sawEmptyArray ? EMPTY_ARRAY_SORT_KEY : null;
  let best = values[0];
  for (const v of values) {
    const c = compareValues(v, best);
    if (direction === 1 ? c < 0 : c > 0) best = v;
  }
  return best;
}

/** Sort documents by a `{field: 1|-1}` spec, stably (ties keep their input order). */
export function sortDocuments<T>(docs: readonly T[], spec: Doc): T[] {
  const keys = Object.entries(spec).map(([path, dir]) => {
    if (dir !== 1 && dir !== -1) {
      throw new TypeError(`$sort key ordering must be 1 (for ascending) or -1 (for descending)`);
    }
    return { path, dir: dir as 1 | -1 };
  });
  const decorated = docs.map((doc, index) => ({ doc, index, keys: keys.map((k) => sortKey(doc, k.path, k.dir)) }));
  decorated.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(x.keys[i], y.keys[i]);
      if (c !== 0) return c * (keys[i] as { dir: number }).dir;
    }
    return x.index - y.index;
  });
  return decorated.map((d) => d.doc);
}

/**
 * Deep copy of a document: plain objects, arrays and Dates are copied; bson class
 * instances (ObjectId, Long, Binary…) are immutable in practice and shared.
 */
export function cloneValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneValue) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x !== undefined) out[k] = cloneValue(x);
    }
    return out as T;
  }
  return v;
}

/** A 24-hex string as an ObjectId, or undefined when it is not one. */
export function parseObjectIdHex(s: string): ObjectId | undefined {
  return /^[0-9a-fA-F]{24}$/.test(s) ? ObjectId.createFromHexString(s.toLowerCase()) : undefined;
}

/**
 * Field order of a projection's output as a server gives it: fields the input document
 * had come in the input's order (recursively in sub-documents), new (computed) fields
 * after them. mingo emits inclusion projections in sorted order with `_id` last.
 */
export function orderLike(out: unknown, input: unknown): unknown {
  if (Array.isArray(out) && Array.isArray(input) && out.length === input.length) {
    return out.map((v, i) => orderLike(v, input[i]));
  }
  if (!isPlainObject(out) || !isPlainObject(input)) return out;
  const ordered: Doc = {};
  for (const k of Object.keys(input)) if (k in out) ordered[k] = orderLike(out[k], input[k]);
  for (const k of Object.keys(out)) if (!(k in ordered)) ordered[k] = out[k];
  return ordered;
}
