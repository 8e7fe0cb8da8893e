import type { AuthContext } from '../auth-context.js';
import type { AuthError } from '../errors.js';

/**
 * A route guard's decision on a verified context: the refusal, or null to let the request
 * through. Every built-in guard (entitlements, factors, claims, roles, team) is one `Check`, and
 * so is a service's own rule; the adapters run it through their one bridge (`toMiddleware`,
 * `toHook`). A check may throw a plain `Error` for a wiring mistake of the service (e.g. an
 * entitlement guard on an `Auth` without MongoDB): the adapters hand it to the framework's
 * error handler, never to the client.
 *
 * @example
 * const sameSlug = (slug: string): Check => (ctx) =>
 *   ctx.orgSlug === slug ? null : new AuthError('claim_missing', { message: 'Another organization' });
 */
export type Check = (ctx: AuthContext) => AuthError | null;

/** `one` / `any`: at least one of the required names is held; `all`: every one is. */
export type CheckMode = 'one' | 'any' | 'all';
