import type { AuthContext } from '../auth-context.js';
import type { AnyAuthContext } from '../auth-context-union.js';
import type { Auth } from '../auth-types.js';
import type { AsyncCheck } from '../checks/check.js';
import { isAnyCallerCheck, type AnyCallerCheck } from '../checks/any-caller.js';
import { AuthError } from '../errors.js';
import { memberRequiredError } from '../scope-check.js';

/** How an adapter names things in its wiring errors (`req` / `request`, `verifyAuth(auth)` / `fastify.verifyAuth`). */
export interface AdapterWords {
  readonly request: string;
  readonly verifyAuth: string;
  readonly verifyAuthOptional: string;
}

/** The ids of a context, for log lines; never the token or anything from the session JWT. */
function logBindings(ctx: AnyAuthContext): Record<string, string | null> {
  if (ctx.kind === 'm2m') return { clientId: ctx.clientId };
  return {
    memberId: ctx.memberId,
    stytchOrgId: ctx.stytchOrgId,
    userId: ctx.mongoUserId,
    orgId: ctx.orgId,
    teamId: ctx.currentTeamId,
  };
}

/**
 * What one middleware recorded on one request: its settings, and the context it verified
 * (`null`: anonymous, on an optional route; `undefined`: still verifying). Immutable, so the
 * record of a warm request can be shared by every request of the same caller and middleware.
 */
interface VerifiedRecord<Settings> {
  readonly settings: Settings;
  readonly ctx: AnyAuthContext | null | undefined;
}

/**
 * Where a store keeps its records: a `WeakMap` by request, or a slot of the request under a
 * symbol only the store holds, for a framework that declares request properties up front (a
 * Fastify decorator: a field of its request class, so a write costs nothing more). On a plain
 * Node request (Express), adding a property costs more than a `WeakMap` entry: measured.
 */
export type RequestStorage = 'weak-map' | 'declared-slot';

/**
 * What an adapter's own middleware verified, per request, and the settings of the middleware
 * that ran on it (how its refusals are shaped), for the guards after it. A context is here
 * only when the adapter's middleware put it here: `req.auth` may be written by anyone, this
 * store only by the adapter that owns it (each adapter makes its own, privately, and no other
 * code can name its slot), so a guard never trusts a context it did not verify.
 *
 * One write per request: a record of (middleware, context), shared by consecutive requests of
 * the same caller (see `#recordOf`).
 */
export class VerifiedRequests<Settings extends object> {
  readonly #slot = Symbol('ayz-auth verified request');
  readonly #byRequest: WeakMap<object, VerifiedRecord<Settings>> | null;
  /** The record made last: the next request of the same caller and middleware shares it. */
  #lastRecord: VerifiedRecord<Settings> | null = null;
  readonly #words: AdapterWords;

  constructor(words: AdapterWords, storage: RequestStorage = 'weak-map') {
    this.#words = words;
    this.#byRequest = storage === 'weak-map' ? new WeakMap() : null;
  }

  /** The request slot, for `declared-slot` storage: declare it on the request class, `null` at first. */
  get slot(): symbol {
    return this.#slot;
  }

  #read(request: object): VerifiedRecord<Settings> | undefined {
    if (this.#byRequest !== null) return this.#byRequest.get(request);
    return (request as Record<symbol, VerifiedRecord<Settings> | null | undefined>)[this.#slot] ?? undefined;
  }

  #write(request: object, record: VerifiedRecord<Settings>): void {
    if (this.#byRequest !== null) this.#byRequest.set(request, record);
    else (request as Record<symbol, VerifiedRecord<Settings>>)[this.#slot] = record;
  }

  #contextOf(request: object): AnyAuthContext | null | undefined {
    return this.#read(request)?.ctx;
  }

  /**
   * The record of a verified (settings, context) pair, shared with the request before when it
   * was the same pair: a warm caller's context is shared within a millisecond (the core's
   * ContextMemo), and so is its record. One remembered record, not a `WeakMap` by context:
   * with many callers every request brings a new context, and a `WeakMap` entry per context
   * (added, then swept by the GC) costs more than the record itself.
   */
  #recordOf(settings: Settings, ctx: AnyAuthContext): VerifiedRecord<Settings> {
    const last = this.#lastRecord;
    if (last !== null && last.ctx === ctx && last.settings === settings) return last;
    return (this.#lastRecord = Object.freeze({ settings, ctx }));
  }

  /** A middleware starts on the request: whatever was recorded before is not trusted, never reused. */
  begin(request: object, settings: Settings): void {
    this.#write(request, { settings, ctx: undefined });
  }

  /**
   * `begin` and `set` at once, for a request verified before the middleware returns (the warm
   * path): what was recorded before is overwritten, never reused.
   */
  record(request: object, settings: Settings, ctx: AnyAuthContext): void {
    this.#write(request, this.#recordOf(settings, ctx));
  }

  /** Records what the middleware that began on the request verified (`null`: an anonymous request of an optional route). */
  set(request: object, ctx: AnyAuthContext | null): void {
    const settings = this.#read(request)?.settings;
    if (settings === undefined) throw new Error('ayz-auth: VerifiedRequests.set before begin');
    this.#write(request, ctx === null ? { settings, ctx } : this.#recordOf(settings, ctx));
  }

  /**
   * After a failed authentication: true when the request may go on anonymously (an optional
   * route and no token at all), which is then recorded. A bad token is never anonymous.
   */
  anonymous(request: object, error: unknown, optional: boolean): boolean {
    if (!optional || !(error instanceof AuthError) || error.code !== 'token_missing') return false;
    this.set(request, null);
    return true;
  }

  /**
   * The member context, `null` (anonymous, or an M2M caller: no member), or `undefined` (no
   * ayz-auth middleware ran): `peekAuth`. Member-typed, so it never shows a machine.
   */
  peek(request: object): AuthContext | null | undefined {
    const ctx = this.#contextOf(request);
    return ctx?.kind === 'm2m' ? null : ctx;
  }

  /** As `peek`, with M2M callers: `peekCaller`. */
  peekCaller(request: object): AnyAuthContext | null | undefined {
    return this.#contextOf(request);
  }

  /** `getCaller`: the verified context of either kind, or the plain `Error` of `require`. */
  caller(request: object): AnyAuthContext {
    const ctx = this.#contextOf(request);
    if (ctx) return ctx;
    throw new Error(this.#unauthenticated(ctx === null, 'getCaller'));
  }

  #unauthenticated(anonymous: boolean, fn: string): string {
    const { request: req, verifyAuth } = this.#words;
    return anonymous
      ? `ayz-auth: ${fn}(${req}) on an anonymous request (verifyAuthOptional found no token); read ${req}.auth instead`
      : `ayz-auth: ${fn}(${req}) called on a request that ${verifyAuth} did not authenticate`;
  }

  settings(request: object): Settings | undefined {
    return this.#read(request)?.settings;
  }

  /** `getAuth`: the verified context, or a plain `Error` (the service's bug, not the client's). */
  require(request: object): AuthContext {
    const ctx = this.#contextOf(request);
    if (ctx?.kind === 'member') return ctx;
    const req = this.#words.request;
    throw new Error(
      ctx?.kind === 'm2m'
        ? `ayz-auth: getAuth(${req}) on an M2M caller (this route accepts M2M tokens); read it with getCaller(${req})`
        : this.#unauthenticated(ctx === null, 'getAuth'),
    );
  }

  /**
   * A guard's decision on the request: the check's refusal or null; 401 `token_missing` for an
   * anonymous request. Throws a plain `Error` for a wiring bug of the service (no ayz-auth
   * middleware ran before the guard, or the check itself threw one). A promise only when the
   * check itself answered with one (see `AsyncCheck`).
   */
  decide(request: object, check: AsyncCheck | AnyCallerCheck, guard: string): AuthError | null | Promise<AuthError | null> {
    const ctx = this.#contextOf(request);
    if (ctx === undefined) {
      throw new Error(`ayz-auth: ${guard} must run after ${this.#words.verifyAuth} or ${this.#words.verifyAuthOptional}`);
    }
    if (ctx === null) return new AuthError('token_missing');
    // A member check never sees a machine: 403 member_required (see forAnyCaller).
    if (ctx.kind === 'm2m') return isAnyCallerCheck(check) ? check(ctx) : memberRequiredError(ctx);
    return check(ctx);
  }

  /**
   * A child of `base` bound to the caller's ids, or undefined before authentication. Adapters
   * call it on the first read of `authLog` only: a pino child per request costs more than the
   * rest of a warm authentication, and most handlers never log.
   */
  authLog<L>(request: object, base: { child(bindings: Record<string, string | null>): L }): L | undefined {
    const ctx = this.#contextOf(request);
    return ctx ? base.child(logBindings(ctx)) : undefined;
  }
}

/** True for what `createAuth()` returns; adapters refuse anything else when they are set up. */
export function isAuth(value: unknown): value is Auth {
  return typeof value === 'object' && value !== null && typeof (value as Auth).authenticateRequestWithResult === 'function';
}
