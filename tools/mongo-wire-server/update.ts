/**
 * Applying one update statement to one document, with the server's rules.
 *
 * mingo's updater does the mutations for operator updates. Around it this module adds
 * what a server enforces and mingo does not: `$setOnInsert` (only when upserting),
 * conflicting paths (code 40), the immutable `_id` (code 66), numeric/array type checks
 * (codes 14 and 2), fields that cannot be created inside scalars (code 28), `$currentDate`
 * with a real BSON Timestamp, replacement documents and pipeline-style updates, and the
 * document an upsert starts from (the equality fields of the query).
 */
import { Timestamp } from 'bson';
import { Aggregator } from 'mingo/aggregator';
import type { AnyObject, Options } from 'mingo/types';
import { updateOne as mingoUpdateOne } from 'mingo/updater';
import { bsonTypeName, cloneValue, type Doc, isPlainObject, Rank, rankOf, valuesEqual } from './bson-values.js';
import { CommandError, err, toCommandError } from './errors.js';

const OPERATORS = new Set([
  '$set',
  '$unset',
  '$setOnInsert',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$rename',
  '$currentDate',
  '$push',
  '$addToSet',
  '$pop',
  '$pull',
  '$pullAll',
  '$bit',
]);
const NUMERIC_OPS = new Set(['$inc', '$mul']);
const ARRAY_OPS = new Set(['$push', '$addToSet', '$pop', '$pull', '$pullAll']);
const PIPELINE_UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export type UpdateKind = 'operators' | 'replacement' | 'pipeline';

export function updateKind(u: unknown): UpdateKind {
  if (Array.isArray(u)) return 'pipeline';
  if (!isPlainObject(u)) throw err.failedToParse('Update argument must be either an object or an array');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length === 0) return 'replacement';
  if (ops.length !== keys.length) {
    const plain = keys.find((k) => !k.startsWith('$')) ?? '';
    throw err.failedToParse(`Unknown modifier: ${plain}. Expected a valid update modifier or pipeline-style update specified as an array`);
  }
  return 'operators';
}

interface ApplyOptions {
  /** The statement's query (for the positional `$` operator). */
  query: Doc;
  arrayFilters?: Doc[];
  /** True when the document is being created by an upsert. */
  isInsert: boolean;
  mingo: Partial<Options>;
}

/** Returns the updated copy of `doc` (never mutates it). */
export function applyUpdate(doc: Doc, u: unknown, opts: ApplyOptions): Doc {
  const kind = updateKind(u);
  let next: Doc;
  try {
    if (kind === 'replacement') next = applyReplacement(doc, u as Doc);
    else if (kind === 'pipeline') next = applyPipeline(doc, u as Doc[], opts);
    else next = applyOperators(doc, u as Doc, opts);
  } catch (e) {
    throw toCommandError(e);
  }
  if (!opts.isInsert && doc['_id'] !== undefined && !valuesEqual(doc['_id'], next['_id'])) {
    throw err.immutableField("Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return next;
}

function applyReplacement(doc: Doc, replacement: Doc): Doc {
  const copy = cloneValue(replacement);
  const id = copy['_id'] !== undefined ? copy['_id'] : doc['_id'];
  delete copy['_id'];
  return id === undefined ? copy : { _id: id, ...copy };
}

function applyPipeline(doc: Doc, stages: Doc[], opts: ApplyOptions): Doc {
  for (const stage of stages) {
    const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (!name || !PIPELINE_UPDATE_STAGES.has(name)) {
      throw err.invalidOptions(`${String(name)} is not allowed to be used within an update`);
    }
  }
  const [out] = new Aggregator(stages as AnyObject[], opts.mingo).run([cloneValue(doc)]);
  if (!isPlainObject(out)) throw err.badValue('update pipeline produced no document');
  return out;
}

/** Paths of an operator update, checked for conflicts like the server does (code 40). */
function checkConflicts(ops: Record<string, Doc>): void {
  const seen: string[] = [];
  for (const [op, fields] of Object.entries(ops)) {
    const paths = op === '$rename' ? [...Object.keys(fields), ...Object.values(fields).map(String)] : Object.keys(fields);
    for (const p of paths) {
      for (const q of seen) {
        if (p === q || p.startsWith(`${q}.`) || q.startsWith(`${p}.`)) {
          throw err.conflictingUpdateOperators(`Updating the path '${p}' would create a conflict at '${q}'`);
        }
      }
      seen.push(p);
    }
  }
}

/** The value at a plain dotted path (no positional parts), or undefined. */
function getPath(doc: unknown, path: string): { value: unknown; blockedAt?: { prefix: string; value: unknown } } {
  let cur: unknown = doc;
  const parts = path.split('.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (cur === undefined || cur === null) return { value: undefined };
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return { value: undefined };
      cur = cur[Number(part)];
      continue;
    }
    if (!isPlainObject(cur)) {
      return { value: undefined, blockedAt: { prefix: parts.slice(0, i).join('.'), value: cur } };
    }
    cur = cur[part];
  }
  return { value: cur };
}

function docId(doc: Doc): string {
  const id = doc['_id'];
  return id === undefined ? '{}' : `{_id: ${JSON.stringify(String(id))}}`;
}

function validateOperators(doc: Doc, ops: Record<string, Doc>): void {
  for (const [op, fields] of Object.entries(ops)) {
    if (!OPERATORS.has(op)) {
      throw err.failedToParse(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(fields)) {
      throw err.failedToParse(`Modifiers operate on fields but we found type ${bsonTypeName(fields)} instead.`);
    }
    for (const [path, arg] of Object.entries(fields)) {
      if (path.includes('$')) continue; // positional paths: left to mingo
      const { value, blockedAt } = getPath(doc, path);
      if (blockedAt && op !== '$unset' && op !== '$pull' && op !== '$pullAll' && op !== '$pop') {
        throw new CommandError(
          28,
          'PathNotViable',
          `Cannot create field '${path.slice(blockedAt.prefix.length + 1).split('.')[0]}' in element {${blockedAt.prefix}: ${JSON.stringify(blockedAt.value)}}`,
        );
      }
      if (NUMERIC_OPS.has(op)) {
        if (rankOf(arg) !== Rank.Number || typeof arg === 'boolean') {
          throw err.typeMismatch(`Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${JSON.stringify(arg)}}`);
        }
        if (value !== undefined && (rankOf(value) !== Rank.Number || typeof value === 'boolean')) {
          throw err.typeMismatch(
            `Cannot apply ${op} to a value of non-numeric type. ${docId(doc)} has the field '${path}' of non-numeric type ${bsonTypeName(value)}`,
          );
        }
      }
      if (ARRAY_OPS.has(op) && value !== undefined && !Array.isArray(value)) {
        throw err.badValue(`The field '${path}' must be an array but is of type ${bsonTypeName(value)} in document ${docId(doc)}`);
      }
    }
  }
}

/** Sets a dotted path, creating sub-documents on the way. */
function setPath(target: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] as string;
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p] as Doc;
  }
  cur[parts[parts.length - 1] as string] = cloneValue(value);
}

let timestampCounter = 0;

function applyOperators(doc: Doc, update: Doc, opts: ApplyOptions): Doc {
  const ops: Record<string, Doc> = {};
  for (const [op, fields] of Object.entries(update)) ops[op] = fields as Doc;
  validateOperators(doc, ops);
  checkConflicts(ops);

  // $setOnInsert only acts when the upsert inserts; then it is a $set.
  const setOnInsert = ops['$setOnInsert'];
  delete ops['$setOnInsert'];
  if (setOnInsert && opts.isInsert) ops['$set'] = { ...(ops['$set'] ?? {}), ...setOnInsert };

  // $currentDate as a $set of the server's clock (a BSON Timestamp when asked for one).
  const currentDate = ops['$currentDate'];
  delete ops['$currentDate'];
  if (currentDate) {
    const now = new Date();
    const set: Doc = { ...(ops['$set'] ?? {}) };
    for (const [path, spec] of Object.entries(currentDate)) {
      const type = isPlainObject(spec) ? spec['$type'] : spec === true ? 'date' : undefined;
      if (type === 'date') set[path] = now;
      else if (type === 'timestamp') set[path] = new Timestamp({ t: Math.floor(now.getTime() / 1000), i: ++timestampCounter });
      else throw err.badValue(`${JSON.stringify(spec)} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'}).`);
    }
    ops['$set'] = set;
  }

  const copy = cloneValue(doc);

  // mingo refuses every update of `_id`; a server allows setting it on insert, and
  // setting it to the value it already has.
  const idSets: Array<[string, unknown]> = [];
  if (ops['$set']) {
    const rest: Doc = {};
    for (const [path, value] of Object.entries(ops['$set'])) {
      if (path === '_id' || path.startsWith('_id.')) idSets.push([path, value]);
      else rest[path] = value;
    }
    ops['$set'] = rest;
  }
  for (const [path, value] of idSets) {
    if (opts.isInsert) setPath(copy, path, value);
    else if (path !== '_id' || !valuesEqual(doc['_id'], value)) {
      throw err.immutableField(`Performing an update on the path '${path}' would modify the immutable field '_id'`);
    }
  }

  // $addToSet on plain paths: mingo drops duplicates already in the array and does not
  // deduplicate $each; a server keeps the array and adds each missing value once.
  const addToSet = ops['$addToSet'];
  if (addToSet) {
    const rest: Doc = {};
    const set: Doc = { ...(ops['$set'] ?? {}) };
    for (const [path, spec] of Object.entries(addToSet)) {
      if (path.includes('$')) {
        rest[path] = spec;
        continue;
      }
      const each = isPlainObject(spec) && '$each' in spec ? spec['$each'] : [spec];
      if (!Array.isArray(each)) throw err.typeMismatch(`The argument to $each in $addToSet must be an array but it was of type ${bsonTypeName(each)}`);
      const current = getPath(copy, path).value;
      const next = Array.isArray(current) ? [...current] : [];
      for (const v of each) if (!next.some((x) => valuesEqual(x, v))) next.push(cloneValue(v));
      set[path] = next;
    }
    ops['$addToSet'] = rest;
    ops['$set'] = set;
  }

  const operators = Object.fromEntries(Object.entries(ops).filter(([, f]) => Object.keys(f).length > 0));
  if (Object.keys(operators).length === 0) return copy;
  mingoUpdateOne(
    [copy],
    opts.isInsert ? {} : opts.query,
    operators,
    { arrayFilters: opts.arrayFilters ?? [], cloneMode: 'deep' },
    opts.mingo,
  );
  return copy;
}

/**
 * The document an upsert starts from: the query's equality conditions (`{k: v}`,
 * `{k: {$eq: v}}`, a one-element `$in`, inside `$and` or a one-clause `$or`), with dotted
 * paths expanded, `_id` first.
 */
export function seedFromQuery(query: Doc): Doc {
  const out: Doc = {};
  const set = (path: string, value: unknown): void => setPath(out, path, value);
  const visit = (q: Doc): void => {
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' && Array.isArray(v)) {
        for (const c of v) if (isPlainObject(c)) visit(c);
        continue;
      }
      if (k === '$or' && Array.isArray(v) && v.length === 1 && isPlainObject(v[0])) {
        visit(v[0]);
        continue;
      }
      if (k.startsWith('$')) continue;
      if (isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'))) {
        if ('$eq' in v) set(k, v['$eq']);
        else if (Array.isArray(v['$in']) && v['$in'].length === 1) set(k, v['$in'][0]);
        continue;
      }
      if (v instanceof RegExp) continue;
      set(k, v);
    }
  };
  visit(query);
  if (out['_id'] !== undefined) {
    const { _id, ...rest } = out;
    return { _id, ...rest };
  }
  return out;
}
