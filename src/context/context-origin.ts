import type { RbacPolicyStore } from '../rbac/policy-store.js';
import type { DirectoryWiring } from './directory-wiring.js';

/**
 * What the `Auth` that made a context knows and the checks on that context need: its RBAC
 * policy store (null without the Stytch secret) and, for an `Auth` without MongoDB, its wiring
 * record (null with MongoDB). One per `Auth`.
 */
export interface ContextOrigin {
  readonly policy: RbacPolicyStore | null;
  readonly wiring: DirectoryWiring | null;
}

/**
 * The property of a context that names its origin: a symbol no other module can name, defined
 * non-enumerable, so a copy (spread, `Object.assign`, `structuredClone`, JSON) is not a context
 * the `Auth` made, and equality checks and key listings do not see it.
 *
 * A property, not a `WeakMap` entry per context: with many callers every request builds a
 * context, and a `WeakMap` entry keyed by a short-lived object costs the GC far more than the
 * entry itself (about 1.2 µs of server CPU a request on Fastify 5 in `npm run bench`, 1,000
 * callers).
 */
const ORIGIN = Symbol('ayz-auth context origin');

/**
 * Origins by brand, one entry per `Auth`. A context holds its `Auth`'s brand (an empty frozen
 * object), never the origin itself: the policy store keeps the Stytch secret, and nothing a
 * context carries may lead to it.
 */
const origins = new WeakMap<object, ContextOrigin>();

/** The brand an `Auth` marks its contexts with; null when its origin has nothing to tell. */
export function originBrand(origin: ContextOrigin): object | null {
  if (origin.policy === null && origin.wiring === null) return null;
  const brand: object = Object.freeze(Object.create(null) as object);
  origins.set(brand, origin);
  return brand;
}

/** Marks a context, before it is frozen, as made by the `Auth` of `brand` (a null brand marks nothing). */
export function markOrigin<C extends object>(ctx: C, brand: object | null): C {
  if (brand !== null) Object.defineProperty(ctx, ORIGIN, { value: brand });
  return ctx;
}

/** The origin of a context an `Auth` made and marked; undefined for any other object. */
export function originOf(ctx: object): ContextOrigin | undefined {
  const brand: unknown = (ctx as Partial<Record<symbol, unknown>>)[ORIGIN];
  return typeof brand === 'object' && brand !== null ? origins.get(brand) : undefined;
}
