import type { AuthResult, Auth, RequestHeaders } from '../auth-types.js';
import type { AcceptedTokenKind } from '../token/m2m-token.js';

/**
 * The warm path of `authenticateRequestWithResult`, answered synchronously: the result when the
 * token is a verified, cached one and its whole context is in memory, else `undefined` (go the
 * usual, asynchronous way, which also answers every error). Same checks, same order, same
 * result as the promise would carry; it only spares the adapters a promise and an async frame
 * on the request that costs nothing else.
 */
export type SettledAuthentication = (headers: RequestHeaders, accept: readonly AcceptedTokenKind[] | undefined) => AuthResult | undefined;

const settled = new WeakMap<Auth, SettledAuthentication>();

/** Called by `createAuth` for the `Auth` it returns. */
export function registerSettledAuthentication(auth: Auth, fn: SettledAuthentication): void {
  settled.set(auth, fn);
}

/** The synchronous warm path of an `Auth` made by `createAuth` (an adapter looks it up once, when it is set up). */
export function settledAuthentication(auth: Auth): SettledAuthentication {
  return settled.get(auth) ?? (() => undefined);
}
