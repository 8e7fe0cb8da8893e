/**
 * Tenant scoping of a service's own MongoDB queries: the caller's filter AND the caller's
 * organization (or team, or user). The scope is always added next to the caller's filter
 * with `$and`, never spread into it, so no key of the caller's filter (a `$or`, a `$where`…)
 * can replace or widen the scope; and the caller's filter may not name the scope field at
 * all (see `scope-field-mentions.ts` for why: upserts).
 */
import { ObjectId, type Document } from 'mongodb';
import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';
import { filterMention } from './scope-field-mentions.js';

export type ScopeBy = 'org' | 'team' | 'user';

/**
 * How the scoped id is matched:
 * - `both` (default): `{ $in: [ObjectId, hex string] }`. The shared data model stores ids as
 *   ObjectId *or* as 24-hex strings and compares them by value, so a document written by
 *   either library is found. Documents the library inserts (`scopedUpdate`, `scopedInsert`)
 *   get the ObjectId, the form the data model mostly holds.
 * - `objectId`: equality with the ObjectId only, for collections known to hold ObjectIds.
 * - `string`: equality with the lowercase hex string only.
 */
export type ScopeIdForm = 'both' | 'objectId' | 'string';

export interface ScopeFilterOptions {
  by: ScopeBy;
  /** The field holding the tenant id. Defaults: org → `organization_id`, team → `team_id`, user → `user_id`. */
  field?: string;
  /** Default `both`. */
  idForm?: ScopeIdForm;
}

export const DEFAULT_SCOPE_FIELDS: Readonly<Record<ScopeBy, string>> = Object.freeze({
  org: 'organization_id',
  team: 'team_id',
  user: 'user_id',
});

/** The filter `scopeFilter` returns: the caller's filter and the scope, side by side. */
export interface ScopedFilter<F extends Document = Document> {
  $and: [F, Document];
}

const HEX24 = /^[0-9a-f]{24}$/i;

/** The context's hex id for `by`, or the AuthError that stops the query. */
function scopeId(ctx: AuthContext, by: ScopeBy): string {
  const id = by === 'org' ? ctx.orgId : by === 'team' ? ctx.currentTeamId : ctx.mongoUserId;
  if (id !== null && HEX24.test(id)) return id.toLowerCase();
  if (by === 'team') throw new AuthError('team_required');
  throw new AuthError('tenant_unknown', {
    message:
      by === 'org'
        ? 'The caller’s organization is not in the directory; tenant data cannot be scoped to it'
        : 'The caller has no user in the directory; user data cannot be scoped to it',
    details: { scope: by },
  });
}

function checkField(field: unknown): string {
  if (typeof field !== 'string' || field === '' || field.startsWith('$') || field.includes('\u0000')) {
    throw new TypeError('ayz-auth: scopeFilter option `field` must be a non-empty field path that does not start with $');
  }
  return field;
}

/** What a scope resolves to for one context: the field, the caller's lowercase hex id, the id form. */
export interface ResolvedScope {
  readonly field: string;
  readonly hex: string;
  readonly idForm: ScopeIdForm;
}

/** Checks the options and the context; throws as `scopeFilter`. */
export function resolveScope(ctx: AuthContext, options: ScopeFilterOptions, fn = 'scopeFilter'): ResolvedScope {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError(`ayz-auth: ${fn} needs the AuthContext of the request`);
  const by = options?.by;
  if (by !== 'org' && by !== 'team' && by !== 'user') {
    throw new TypeError(`ayz-auth: ${fn} option \`by\` must be 'org', 'team' or 'user'`);
  }
  const field = options.field === undefined ? DEFAULT_SCOPE_FIELDS[by] : checkField(options.field);
  const idForm = options.idForm ?? 'both';
  if (idForm !== 'both' && idForm !== 'objectId' && idForm !== 'string') {
    throw new TypeError(`ayz-auth: ${fn} option \`idForm\` must be 'both', 'objectId' or 'string'`);
  }
  return { field, hex: scopeId(ctx, by), idForm };
}

/** `{ [field]: <id> }` in the scope's id form(s). */
export function clauseOf(scope: ResolvedScope): Document {
  const { field, hex } = scope;
  switch (scope.idForm) {
    case 'both':
      return { [field]: { $in: [ObjectId.createFromHexString(hex), hex] } };
    case 'objectId':
      return { [field]: ObjectId.createFromHexString(hex) };
    case 'string':
      return { [field]: hex };
  }
}

/**
 * The caller's filter next to the scope, after refusing a filter that names the scope
 * field. The refusal is a TypeError, not an AuthError: the filter is the service's code, and
 * a filter choosing the tenant itself is a bug to fix, not a request to answer with a 4xx
 * (which would hide it among clients' mistakes). Build filters from request data field by
 * field; never pass a request body as a filter.
 */
export function scopedFilterOf<F extends Document>(filter: F, scope: ResolvedScope, fn = 'scopeFilter'): ScopedFilter<F> {
  checkFilterShape(filter, fn);
  const mention = filterMention(filter, scope.field);
  if (mention !== null) {
    throw new TypeError(
      `ayz-auth: ${fn}: the filter names the scope field \`${scope.field}\` (at ${mention}); the library sets the tenant, the filter must not`,
    );
  }
  return { $and: [filter, clauseOf(scope)] };
}

/** A filter must be a plain object; checked before the context so a bad call is always a TypeError. */
export function checkFilterShape(filter: unknown, fn: string): void {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw new TypeError(`ayz-auth: ${fn} expects a filter object (use {} for "everything of the tenant")`);
  }
}

/** The scope clause alone: `{ [field]: <id> }` in the chosen id form(s). Throws as `scopeFilter`. */
export function scopeClause(ctx: AuthContext, options: ScopeFilterOptions): Document {
  return clauseOf(resolveScope(ctx, options, 'scopeClause'));
}

/**
 * `{ $and: [filter, { [field]: <the caller's id> }] }`. Never returns an unscoped filter:
 * - scoping by team without a current team throws `AuthError` `team_required` (400);
 * - scoping by org or user when the directory does not know the caller's organization or
 *   user (MongoDB off, organization not found, no user) throws `AuthError` `tenant_unknown` (403);
 * - a filter that names the scope field anywhere (top level, inside `$and`/`$or`/`$nor`,
 *   `$elemMatch`, `$expr` field references, a sub-path such as `organization_id.x`) throws
 *   `TypeError`.
 * Not for upserts with the default id form `both`: MongoDB does not copy an `$in` into the
 * inserted document, so it would carry no tenant field. Use `scopedUpdate` for writes.
 * Scopes compose by nesting: `scopeFilter(ctx, scopeFilter(ctx, f, { by: 'org' }), { by: 'team' })`.
 */
export function scopeFilter<F extends Document = Document>(ctx: AuthContext, filter: F, options: ScopeFilterOptions): ScopedFilter<F> {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ayz-auth: scopeFilter needs the AuthContext of the request');
  checkFilterShape(filter, 'scopeFilter');
  return scopedFilterOf(filter, resolveScope(ctx, options));
}
