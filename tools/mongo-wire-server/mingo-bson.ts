/**
 * A mingo operator context that knows BSON types.
 *
 * mingo already compares two ObjectIds by value (same class, same `toString()`) and never
 * equates an ObjectId with a string (different `typeof`), so query `$eq`/`$in` and `$group`
 * keys are honest as they are. What mingo gets wrong for BSON, and what this file replaces:
 * - `$toString`, `$toObjectId`, `$convert`, `$toDate`, `$type`, `$isNumber` (no ObjectId /
 *   BSON number support);
 * - expression comparisons `$eq $ne $gt $gte $lt $lte $cmp`, which on a server use the total
 *   BSON order with missing < null (mingo treats missing == null and brackets by type);
 * - query `$type` with MongoDB's aliases ("objectId", "number", numeric codes…);
 * - the `$sort` stage (BSON cross-type order, `[]` before null, min/max of arrays);
 * - the `$lookup` stage (mingo ran a pipeline over the whole foreign collection when
 *   localField/foreignField were combined with a pipeline, and matched local values with
 *   its own equality instead of the server's `$in` query semantics);
 * - `$out`/`$merge` are refused (the server would have to write; tests do not need it).
 */
import type { ObjectId } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import { Context, evalExpr, ProcessingMode } from 'mingo/core';
import type { Iterator } from 'mingo/lazy';
import { Lazy } from 'mingo/lazy';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query } from 'mingo/query';
import type { AnyObject, Options } from 'mingo/types';
import {
  bsonTag,
  bsonTypeName,
  cloneValue,
  compareValues,
  type Doc,
  hasBsonType,
  isObjectId,
  isPlainObject,
  orderLike,
  parseObjectIdHex,
  Rank,
  rankOf,
  sortDocuments,
  valuesAtPath,
} from './bson-values.js';
import { CommandError, ConversionFailure, err } from './errors.js';

type ExprOp = (obj: AnyObject, expr: unknown, options: Options) => unknown;
type QueryOp = (selector: string, value: unknown, options: Options) => (obj: AnyObject) => boolean;
type StageOp = (coll: Iterator, expr: unknown, options: Options) => Iterator;

const TYPE_BY_CODE: Record<number, string> = {
  1: 'double',
  2: 'string',
  7: 'objectId',
  8: 'bool',
  9: 'date',
  16: 'int',
  18: 'long',
  19: 'decimal',
};

/** Single-argument operators accept `expr` or `[expr]`. */
function oneArg(expr: unknown): unknown {
  return Array.isArray(expr) && expr.length === 1 ? expr[0] : expr;
}

// ---------------------------------------------------------------- conversions

function toStringValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  switch (bsonTag(v)) {
    case 'ObjectId':
      return (v as ObjectId).toHexString();
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
    case 'BSONSymbol':
      return String(v);
    default:
      throw new ConversionFailure(
        `Unsupported conversion from ${bsonTypeName(v)} to string in $convert with no onError value`,
      );
  }
}

function toObjectIdValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (isObjectId(v)) return v;
  if (typeof v === 'string') {
    const oid = parseObjectIdHex(v);
    if (oid) return oid;
    const why =
      v.length !== 24
        ? `Invalid string length for parsing to OID, expected 24 but found ${v.length}`
        : 'Invalid character found in hex string';
    throw new ConversionFailure(`Failed to parse objectId '${v}' in $convert with no onError value: ${why}`);
  }
  throw new ConversionFailure(
    `Unsupported conversion from ${bsonTypeName(v)} to objectId in $convert with no onError value`,
  );
}

function toDateValue(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (isObjectId(v)) return v.getTimestamp();
  if (bsonTag(v) === 'Timestamp') return new Date((v as { t: number }).t * 1000);
  if (typeof v === 'string') {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) {
      throw new ConversionFailure(`Error parsing date string '${v}'; in $convert with no onError value`);
    }
    return d;
  }
  if (rankOf(v) === Rank.Number && typeof v !== 'boolean') return new Date(Number(v));
  throw new ConversionFailure(
    `Unsupported conversion from ${bsonTypeName(v)} to date in $convert with no onError value`,
  );
}

/** Conversions mingo already does right for plain JS values (bool/int/long/double/decimal). */
function viaMingo(op: ExprOp, target: string, v: unknown, options: Options): unknown {
  if (isObjectId(v) && target !== 'bool') {
    throw new ConversionFailure(`Unsupported conversion from objectId to ${target} in $convert with no onError value`);
  }
  try {
    return op({}, { $literal: v }, options);
  } catch (e) {
    throw new ConversionFailure(
      `Failed to convert ${bsonTypeName(v)} to ${target} in $convert with no onError value: ${(e as Error).message}`,
    );
  }
}

function convertTo(target: string, v: unknown, options: Options): unknown {
  const ops = expressionOperators as unknown as Record<string, ExprOp>;
  switch (target) {
    case 'string':
      return toStringValue(v);
    case 'objectId':
      return toObjectIdValue(v);
    case 'date':
      return toDateValue(v);
    case 'bool':
      return viaMingo(ops['$toBool'] as ExprOp, target, v, options);
    case 'int':
      return viaMingo(ops['$toInt'] as ExprOp, target, v, options);
    case 'long':
      return viaMingo(ops['$toLong'] as ExprOp, target, v, options);
    case 'double':
      return viaMingo(ops['$toDouble'] as ExprOp, target, v, options);
    case 'decimal':
      return viaMingo(ops['$toDecimal'] as ExprOp, target, v, options);
    default:
      throw new CommandError(2, 'BadValue', `Unknown type name: ${target}`);
  }
}

const $convert: ExprOp = (obj, expr, options) => {
  if (!isPlainObject(expr)) throw err.failedToParse('$convert expects an object of named arguments but found: ' + typeof expr);
  if (!('input' in expr)) throw err.failedToParse("Missing 'input' parameter to $convert");
  if (!('to' in expr)) throw err.failedToParse("Missing 'to' parameter to $convert");
  const input = evalExpr(obj, expr['input'], options);
  if (input === null || input === undefined) {
    return 'onNull' in expr ? (evalExpr(obj, expr['onNull'], options) ?? null) : null;
  }
  let to = evalExpr(obj, expr['to'], options);
  if (isPlainObject(to)) to = to['type']; // MongoDB 8.0 `to: {type, subtype}`
  const target = typeof to === 'number' ? TYPE_BY_CODE[to] : to;
  if (typeof target !== 'string') throw err.badValue(`$convert's 'to' argument must be a string or number, but is ${String(to)}`);
  try {
    return convertTo(target, input, options);
  } catch (e) {
    // Only a failed conversion is replaced by onError; a bad `to` is always an error.
    if (e instanceof ConversionFailure && 'onError' in expr) return evalExpr(obj, expr['onError'], options);
    throw e;
  }
};

const converter =
  (target: string): ExprOp =>
  (obj, expr, options) =>
    convertTo(target, evalExpr(obj, oneArg(expr), options), options);

// ---------------------------------------------------------------- comparisons

function comparison(name: string, test: (c: number) => boolean): ExprOp {
  return (obj, expr, options) => {
    if (!Array.isArray(expr) || expr.length !== 2) {
      throw new CommandError(16020, 'Location16020', `Expression ${name} takes exactly 2 arguments. ${Array.isArray(expr) ? expr.length : 1} were passed in.`);
    }
    const a = evalExpr(obj, expr[0], options);
    const b = evalExpr(obj, expr[1], options);
    return test(compareValues(a, b));
  };
}

const $cmp: ExprOp = (obj, expr, options) => {
  if (!Array.isArray(expr) || expr.length !== 2) throw err.badValue('Expression $cmp takes exactly 2 arguments.');
  const c = compareValues(evalExpr(obj, expr[0], options), evalExpr(obj, expr[1], options));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
};

const $in: ExprOp = (obj, expr, options) => {
  if (!Array.isArray(expr) || expr.length !== 2) throw err.badValue('Expression $in takes exactly 2 arguments.');
  const item = evalExpr(obj, expr[0], options);
  const arr = evalExpr(obj, expr[1], options);
  if (!Array.isArray(arr)) {
    throw new CommandError(40081, 'Location40081', `$in requires an array as a second argument, found: ${bsonTypeName(arr)}`);
  }
  return arr.some((v) => compareValues(v, item) === 0);
};

const $typeExpr: ExprOp = (obj, expr, options) => bsonTypeName(evalExpr(obj, oneArg(expr), options));

const $isNumber: ExprOp = (obj, expr, options) => {
  const v = evalExpr(obj, oneArg(expr), options);
  return typeof v !== 'boolean' && rankOf(v) === Rank.Number;
};

// ---------------------------------------------------------------- query operators

const $typeQuery: QueryOp = (selector, spec) => {
  const specs = Array.isArray(spec) ? spec : [spec];
  for (const s of specs) {
    try {
      hasBsonType(null, s);
    } catch {
      throw err.badValue(`Unknown type name alias: ${String(s)}`);
    }
  }
  return (obj) => {
    const { values } = valuesAtPath(obj, selector, { expandLeafArrays: false });
    return values.some((v) =>
      specs.some((s) => hasBsonType(v, s) || (Array.isArray(v) && v.some((el) => hasBsonType(el, s)))),
    );
  };
};

// ---------------------------------------------------------------- pipeline stages

const $sort: StageOp = (coll, spec) => {
  if (!isPlainObject(spec) || Object.keys(spec).length === 0) {
    throw new CommandError(15976, 'Location15976', '$sort stage must have at least one sort key');
  }
  for (const v of Object.values(spec)) {
    if (v !== 1 && v !== -1) {
      throw new CommandError(15975, 'Location15975', '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    }
  }
  return coll.transform((docs: unknown[]) => Lazy(sortDocuments(docs, spec)));
};

interface LookupSpec {
  from?: unknown;
  localField?: unknown;
  foreignField?: unknown;
  let?: unknown;
  pipeline?: unknown;
  as?: unknown;
}

/** Set a (possibly dotted) field on a fresh copy of `doc`, as `$lookup`'s `as` does. */
function withField(doc: Doc, path: string, value: unknown): Doc {
  const [head, ...rest] = path.split('.');
  const key = head as string;
  if (rest.length === 0) return { ...doc, [key]: value };
  const child = doc[key];
  return { ...doc, [key]: withField(isPlainObject(child) ? child : {}, rest.join('.'), value) };
}

/**
 * `$lookup` as the server runs it: for localField/foreignField, the foreign documents
 * are those matching `{foreignField: {$in: <all values at localField>}}` (missing or `[]`
 * means `[null]`, which matches null or missing, as the server does — SERVER-63368);
 * with a pipeline, it runs on those documents (or all, without localField) with the `let`
 * variables bound.
 */
const $lookup: StageOp = (coll, expr, options) => {
  if (!isPlainObject(expr)) throw err.failedToParse('the $lookup specification must be an Object');
  const spec = expr as LookupSpec;
  if (typeof spec.as !== 'string') throw err.failedToParse("must specify 'as' field for a $lookup");
  const as = spec.as;
  const hasLocal = spec.localField !== undefined;
  const hasForeign = spec.foreignField !== undefined;
  if (hasLocal !== hasForeign) {
    throw err.failedToParse("$lookup requires both or neither of 'localField' and 'foreignField' to be specified");
  }
  if (hasLocal && (typeof spec.localField !== 'string' || typeof spec.foreignField !== 'string')) {
    throw err.failedToParse("$lookup argument 'localField'/'foreignField' must be a string");
  }
  const pipeline = spec.pipeline ?? [];
  if (!Array.isArray(pipeline)) throw err.failedToParse("$lookup argument 'pipeline' must be an array");
  if (!hasLocal && spec.pipeline === undefined) throw err.failedToParse("$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified");
  if (spec.let !== undefined && !isPlainObject(spec.let)) throw err.failedToParse("$lookup argument 'let' must be an object");

  const startsWithDocuments = isPlainObject(pipeline[0]) && '$documents' in pipeline[0];
  let foreign: Doc[];
  if (spec.from === undefined) {
    if (!startsWithDocuments) throw err.failedToParse("must specify 'from' field for a $lookup");
    foreign = [];
  } else {
    if (typeof spec.from !== 'string') throw err.failedToParse("$lookup 'from' field must be a string");
    const resolver = options.collectionResolver;
    if (!resolver) throw err.badValue('$lookup needs a collection resolver');
    foreign = resolver(spec.from) as Doc[];
  }
  const localField = spec.localField as string;
  const foreignField = spec.foreignField as string;
  const subPipeline = pipeline as AnyObject[];
  // Stage operators receive mingo's internal ComputeOptions; its public `options` field
  // holds the plain options. `let` variables are passed down as plain `variables`, so a
  // nested $lookup still sees the outer ones (as on a server).
  const base = (options as unknown as { options?: Options }).options ?? options;

  return coll.map((input: Doc) => {
    let candidates = foreign;
    if (hasLocal) {
      const { values } = valuesAtPath(input, localField);
      const locals = values.length > 0 ? values : [null];
      const match = new Query({ [foreignField]: { $in: locals } }, base);
      candidates = foreign.filter((d) => match.test(d));
    }
    let joined: unknown[];
    if (subPipeline.length > 0) {
      const bound = spec.let === undefined ? {} : (evalExpr(input, spec.let, { ...base }) as AnyObject);
      const agg = new Aggregator(subPipeline, { ...base, variables: { ...base.variables, ...bound } });
      joined = agg.run(candidates.map(cloneValue));
    } else {
      joined = candidates.map(cloneValue);
    }
    return withField(input, as, joined);
  });
};

const mingoProject = (pipelineOperators as unknown as Record<string, StageOp>)['$project'] as StageOp;

/** mingo's `$project`, with the output fields in the order a server produces them. */
const $project: StageOp = (coll, expr, options) =>
  coll.transform((docs: Doc[]) => {
    const out = mingoProject(Lazy(docs), expr, options).collect<Doc>();
    return Lazy(out.map((d, i) => orderLike(d, docs[i])));
  });

const refused =
  (what: string): StageOp =>
  () => {
    throw err.notSupportedHere(what);
  };

// ---------------------------------------------------------------- the context

const expression = {
  ...(expressionOperators as unknown as Record<string, ExprOp>),
  $toString: converter('string'),
  $toObjectId: converter('objectId'),
  $toDate: converter('date'),
  $convert,
  $type: $typeExpr,
  $isNumber,
  $eq: comparison('$eq', (c) => c === 0),
  $ne: comparison('$ne', (c) => c !== 0),
  $gt: comparison('$gt', (c) => c > 0),
  $gte: comparison('$gte', (c) => c >= 0),
  $lt: comparison('$lt', (c) => c < 0),
  $lte: comparison('$lte', (c) => c <= 0),
  $cmp,
  $in,
};

const pipeline = {
  ...(pipelineOperators as unknown as Record<string, StageOp>),
  $sort,
  $lookup,
  $project,
  $out: refused('$out'),
  $merge: refused('$merge'),
};

const query = {
  ...(queryOperators as unknown as Record<string, QueryOp>),
  $type: $typeQuery,
};

type ContextOps = NonNullable<Parameters<typeof Context.init>[0]>;

export const BSON_CONTEXT: Context = Context.init({
  accumulator: accumulatorOperators,
  expression,
  pipeline,
  projection: projectionOperators,
  query,
  window: windowOperators,
} as unknown as ContextOps);

/** Whether a pipeline stage name is known to the loopback server. */
export function isKnownStage(name: string): boolean {
  return name in pipeline;
}

/** mingo options for one command: BSON-aware operators, no server-side JavaScript. */
export function mingoOptions(resolveCollection: (name: string) => Doc[], variables?: Doc): Partial<Options> {
  return {
    context: BSON_CONTEXT,
    collectionResolver: resolveCollection as (name: string) => AnyObject[],
    scriptEnabled: false,
    useStrictMode: true,
    failOnError: true,
    processingMode: ProcessingMode.CLONE_OFF,
    idKey: '_id',
    ...(variables ? { variables } : {}),
  };
}

