import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuthContext } from './auth-context.js';

/**
 * The request's slot: filled by the adapter once the request is authenticated (`null`: an
 * anonymous request of an optional route). A slot rather than the context itself, because on
 * Fastify the store must be entered before the authenticating hook runs (see the adapter).
 */
export interface AuthSlot {
  ctx: AuthContext | null | undefined;
}

const storage = new AsyncLocalStorage<AuthSlot>();

const OUTSIDE =
  'ayz-auth: currentAuth() called outside an authenticated request. Turn it on in the adapter ' +
  '(Express: verifyAuth(auth, { currentAuth: true }); Fastify: register the plugin with { auth, currentAuth: true }), ' +
  'call it from code the route handler runs, or wrap background work in runWithAuth(ctx, fn)';

/**
 * The verified context of the request this code runs for, without passing `req` down (e.g.
 * `scopeFilter(currentAuth(), …)` in a repository). Throws a plain `Error` (a wiring bug, not
 * the client's fault) outside a request the adapter authenticated, on an anonymous request,
 * and before `verifyAuth` ran.
 */
export function currentAuth(): AuthContext {
  const ctx = storage.getStore()?.ctx;
  if (ctx) return ctx;
  throw new Error(ctx === null ? 'ayz-auth: currentAuth() on an anonymous request (verifyAuthOptional found no token)' : OUTSIDE);
}

/** As `currentAuth`, without throwing: the context, `null` (anonymous request), or `undefined`. */
export function peekCurrentAuth(): AuthContext | null | undefined {
  return storage.getStore()?.ctx;
}

/**
 * Runs `fn` with `ctx` as `currentAuth()` for everything it calls, awaits included: for
 * background work done on a caller's behalf, and for tests of code that reads `currentAuth()`.
 */
export function runWithAuth<T>(ctx: AuthContext | null, fn: () => T): T {
  return storage.run({ ctx }, fn);
}

/** Adapters: runs `fn` inside a new, empty slot and hands the slot back with the result. */
export function runInNewAuthSlot<T>(fn: (slot: AuthSlot) => T): T {
  const slot: AuthSlot = { ctx: undefined };
  return storage.run(slot, () => fn(slot));
}

/** Adapters: re-enters a request's slot (after the framework lost the async context). */
export function runInAuthSlot<T>(slot: AuthSlot, fn: () => T): T {
  return storage.run(slot, fn);
}
