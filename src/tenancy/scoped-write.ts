/**
 * Tenant scoping of a service's writes. `scopeFilter` keeps reads, updates and deletes
 * inside the caller's tenant, but an upsert inserts a document MongoDB builds from the
 * filter's equality conditions, and the scope's `{ $in: [ObjectId, hex] }` is not one: the
 * inserted document would carry no tenant field. These helpers set the field on every
 * document they can create, and refuse updates that would change it.
 */
import { ObjectId, type Document } from 'mongodb';
import type { AuthContext } from '../auth-context.js';
import { checkFilterShape, resolveScope, scopedFilterOf, type ResolvedScope, type ScopeFilterOptions, type ScopedFilter } from './scope-filter.js';
import { updateMention } from './scope-field-mentions.js';

/** What `scopedUpdate` returns: pass both to `updateOne` / `updateMany` / `findOneAndUpdate`. */
export interface ScopedUpdate<F extends Document = Document, U extends Document = Document> {
  filter: ScopedFilter<F>;
  update: U & { $setOnInsert: Document };
}

/**
 * The id a new document gets: the ObjectId unless the collection holds hex strings
 * (`idForm: 'string'`). `both` matches either form on reads, but an insert must choose one,
 * and the shared data model stores ids as ObjectId.
 */
function insertedId(scope: ResolvedScope): ObjectId | string {
  return scope.idForm === 'string' ? scope.hex : ObjectId.createFromHexString(scope.hex);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * `{ filter: scopeFilter(ctx, filter, options), update: { ...update, $setOnInsert: { [field]: id } } }`,
 * so an upsert inserts the document into the caller's tenant and a plain update stays in it.
 * Throws `TypeError` (a programming error) when the filter names the scope field, when the
 * update changes it (`$set`, `$unset`, `$rename` to or from it, `$setOnInsert`, any operator),
 * and for pipeline updates and replacement documents, which can rewrite or drop the field
 * without naming it (replace with `replaceOne(scopeFilter(…), scopedInsert(ctx, doc, …))`).
 * `AuthError` as `scopeFilter` when the caller has no tenant to scope to.
 */
export function scopedUpdate<F extends Document = Document, U extends Document = Document>(
  ctx: AuthContext,
  filter: F,
  update: U,
  options: ScopeFilterOptions,
): ScopedUpdate<F, U> {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ayz-auth: scopedUpdate needs the AuthContext of the request');
  checkFilterShape(filter, 'scopedUpdate');
  if (Array.isArray(update)) {
    throw new TypeError('ayz-auth: scopedUpdate does not take pipeline updates: a stage such as $project or $replaceWith can drop the tenant field without naming it');
  }
  if (!isPlainObject(update) || Object.keys(update).length === 0) {
    throw new TypeError('ayz-auth: scopedUpdate expects an update document such as { $set: { … } }');
  }
  if (Object.keys(update).some((k) => !k.startsWith('$'))) {
    throw new TypeError(
      'ayz-auth: scopedUpdate does not take replacement documents; use replaceOne(scopeFilter(ctx, filter, options), scopedInsert(ctx, doc, options))',
    );
  }
  const scope = resolveScope(ctx, options, 'scopedUpdate');
  const scoped = scopedFilterOf(filter, scope, 'scopedUpdate');
  const mention = updateMention(update, scope.field);
  if (mention !== null) {
    throw new TypeError(`ayz-auth: scopedUpdate: the update changes the scope field \`${scope.field}\` (at ${mention}); the tenant of a document never changes`);
  }
  const setOnInsert: unknown = update['$setOnInsert'];
  if (setOnInsert !== undefined && !isPlainObject(setOnInsert)) {
    throw new TypeError('ayz-auth: scopedUpdate: $setOnInsert must be an object');
  }
  return {
    filter: scoped,
    update: { ...update, $setOnInsert: { ...setOnInsert, [scope.field]: insertedId(scope) } },
  };
}

/** Equal ids, whichever of the two stored forms each one is in. */
function sameId(value: unknown, hex: string): boolean {
  if (value instanceof ObjectId) return value.toHexString() === hex;
  return typeof value === 'string' && value.toLowerCase() === hex;
}

/**
 * A copy of `doc` with the scope field set to the caller's id (nested for a dotted field
 * such as `tenant.org`), for `insertOne` / `insertMany` and as the replacement document of
 * `replaceOne`. A document that already holds another id there is refused with a
 * `TypeError`: validate request bodies into your own shape, never insert them as they come.
 */
export function scopedInsert<D extends Document>(ctx: AuthContext, doc: D, options: ScopeFilterOptions): D {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ayz-auth: scopedInsert needs the AuthContext of the request');
  if (!isPlainObject(doc)) throw new TypeError('ayz-auth: scopedInsert expects a document (a plain object)');
  const scope = resolveScope(ctx, options, 'scopedInsert');
  const path = scope.field.split('.');
  const out: Record<string, unknown> = { ...doc };
  let node = out;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      if (node[key] !== undefined && !sameId(node[key], scope.hex)) {
        throw new TypeError(`ayz-auth: scopedInsert: the document holds another tenant in \`${scope.field}\``);
      }
      node[key] = insertedId(scope);
    } else {
      const child = node[key];
      if (child !== undefined && !isPlainObject(child)) {
        throw new TypeError(`ayz-auth: scopedInsert: \`${path.slice(0, i + 1).join('.')}\` must be an object to hold \`${scope.field}\``);
      }
      // Copied, so the caller's nested object is never modified.
      const copy: Record<string, unknown> = { ...child };
      node[key] = copy;
      node = copy;
    }
  }
  return out as D;
}
