/**
 * `ayz-auth/fastify`: a Fastify 4 and 5 plugin over the core's `Auth`.
 *
 * It decorates the instance with `verifyAuth` / `verifyAuthOptional` (hooks usable as
 * `onRequest` or `preHandler`; see `AuthHook`) and the built-in guards. Every decision is the core's; a refusal
 * copies the `AuthError` onto the reply and returns it (or, with `errors: 'throw'`, throws it to
 * the app's error handler), so later hooks and the handler never run. Anything that is not an
 * `AuthError` is a bug and is thrown to Fastify's error handler.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { AuthError, type AcceptedTokenKind, type AnyAuthContext, type AnyCallerCheck, type AsyncCheck, type Auth, type AuthContext, type AuthResult, type Check } from 'ayz-auth';
import { REFRESHED_SESSION_JWT_HEADER, VerifiedRequests, acceptOption, authenticationHeaders, bindGuards, isAuth, refreshedSessionJwtHeaders, refusalOf, settledAuthentication } from 'ayz-auth/internal';
import { runInAuthSlot, runInNewAuthSlot } from 'ayz-auth/internal';
import type { AuthSlot, BuiltInGuards, ErrorResponseBuilderFor } from 'ayz-auth/internal';

/**
 * A hook for `onRequest` or `preHandler`. Fastify calls it with `done`: a request it lets
 * through at once (a warm token, a check answered synchronously) goes on through `done` with no
 * promise, Fastify's cheapest hook form; any other answer is a promise that resolves (to the
 * reply when it answered). Called by hand without `done`, it always answers a promise.
 */
export interface AuthHook {
  (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
  (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): Promise<FastifyReply | undefined> | undefined;
}

/** The hook's own signature: both call forms of `AuthHook` in one. */
type AuthHookImplementation = (request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction) => Promise<FastifyReply | undefined> | undefined;

const SETTLED_NOTHING: Promise<undefined> = Promise.resolve(undefined);

/** Per-route options of `fastify.verifyAuthWith`. */
export interface VerifyAuthWithOptions {
  /**
   * Token kinds this route accepts: `['session']`, `['m2m']` or both. Default the `Auth`'s
   * `accept` (itself `['session']`). An M2M caller is read with `getCaller(request)`;
   * `request.auth` and `getAuth(request)` hold members only.
   */
  accept?: AcceptedTokenKind[];
  /** As `verifyAuthOptional`: no token → `request.auth = null`. Default false. */
  optional?: boolean;
}

/** The built-in guards as hooks, on the instance and as exports (`requireEntitlement`, …, `requireAnyRole`). */
export type AuthGuards = BuiltInGuards<AuthHook>;

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The caller's context, set by `verifyAuth` / `verifyAuthOptional` (null until then, and
     * for an anonymous request on an optional route). The guards never read it: they read what
     * `verifyAuth` itself verified, so a value put here by other code is never trusted.
     */
    auth: AuthContext | null;
    /**
     * `request.log` bound to the caller's ids (never the token), so its lines carry Fastify's
     * `reqId` too. Undefined until ayz-auth authenticated the request.
     */
    authLog: FastifyBaseLogger | undefined;
  }
  interface FastifyInstance extends AuthGuards {
    /** Authenticates the request: sets `request.auth`, or answers 401 / 403 / 503 JSON. */
    verifyAuth: AuthHook;
    /** As `verifyAuth`, but no `Authorization` header → `request.auth = null`; a bad token is still a 401. */
    verifyAuthOptional: AuthHook;
    /** `verifyAuth` with per-route options: `{ preHandler: app.verifyAuthWith({ accept: ['session', 'm2m'] }) }`. */
    verifyAuthWith(options: VerifyAuthWithOptions): AuthHook;
  }
}

/**
 * Builds the error responses of `verifyAuth` and of every guard after it (e.g. problem+json
 * with a request id). Status, `WWW-Authenticate`, `Retry-After` and `Cache-Control: no-store`
 * stay the library's.
 */
export type ErrorResponseBuilder = ErrorResponseBuilderFor<FastifyRequest>;

export interface AyzAuthPluginOptions {
  auth: Auth;
  /**
   * Send a renewed session JWT back in `Stytch-Session-Jwt` (and list it in
   * `Access-Control-Expose-Headers`) when the core hands one back. Default true.
   */
  exposeRefreshedSessionJwt?: boolean;
  /**
   * `reply` (default): a refusal is answered by the hook. `throw`: the `AuthError` is thrown to
   * the app's `setErrorHandler`, carrying `statusCode`, `code` and `headers`
   * (`WWW-Authenticate` / `Retry-After`); those headers and `Cache-Control: no-store` are
   * already on the reply.
   */
  errors?: 'reply' | 'throw';
  /**
   * Shapes the body of every refusal on the request (the hook's and the guards' after it).
   * Default: JSON `{ error, message, ...details }`. Not with `errors: 'throw'`.
   */
  errorResponse?: ErrorResponseBuilder;
  /**
   * Make the context readable with `currentAuth()` (from `ayz-auth`) in hooks and handlers
   * after `verifyAuth`, without `request`. Adds an `onRequest` and a `preValidation` hook to
   * every route (the second re-enters the request's store after body parsing). Default false.
   */
  currentAuth?: boolean;
}

/** How refusals are answered, per plugin registration, and what its hooks need. */
interface VerifySettings {
  readonly auth: Auth;
  readonly exposeJwt: boolean;
  readonly throwErrors: boolean;
  readonly errorResponse: ErrorResponseBuilder | undefined;
}

/**
 * What this module's hooks verified, per request, and the settings of the registration whose
 * hook verified it (for the guards after it). Private to this module.
 */
const verified = new VerifiedRequests<VerifySettings>(
  { request: 'request', verifyAuth: 'fastify.verifyAuth', verifyAuthOptional: 'fastify.verifyAuthOptional' },
  // A field of Fastify's request class (declared by the plugin): no WeakMap entry per request.
  'declared-slot',
);

/**
 * Copies an `AuthError` onto the reply, sent serialized so no route schema reshapes it. With
 * `errors: 'throw'`, sets its headers and throws it to the app's error handler.
 */
function sendAuthError(request: FastifyRequest, reply: FastifyReply, error: AuthError): FastifyReply {
  const settings = verified.settings(request);
  if (settings?.throwErrors === true) {
    reply.headers(error.headers).header('cache-control', 'no-store');
    throw error;
  }
  const refusal = refusalOf(error, request, settings?.errorResponse);
  return reply.code(refusal.status).headers(refusal.headers).send(refusal.payload);
}

// `request.authLog` is made on first read (see `VerifiedRequests.authLog`) and kept in a slot
// of the request (declared by the plugin), as is the `currentAuth()` slot: no WeakMap entry
// per request. `null` in AUTH_LOG records "set to nothing"; undefined, "not made yet".
const AUTH_LOG = Symbol('ayz-auth authLog');
/** The `currentAuth()` slot of each request, when the plugin was registered with `currentAuth: true`. */
const AUTH_SLOT = Symbol('ayz-auth currentAuth slot');

interface RequestSlots {
  [AUTH_LOG]?: FastifyBaseLogger | null | undefined;
  [AUTH_SLOT]?: AuthSlot | null;
}

function slotsOf(request: FastifyRequest): RequestSlots {
  return request as unknown as RequestSlots;
}

const AUTH_LOG_ACCESSOR = {
  getter(this: FastifyRequest): FastifyBaseLogger | undefined {
    const cached = slotsOf(this)[AUTH_LOG];
    if (cached !== undefined) return cached ?? undefined;
    const child = verified.authLog(this, this.log);
    if (child !== undefined) slotsOf(this)[AUTH_LOG] = child;
    return child;
  },
  setter(this: FastifyRequest, value: FastifyBaseLogger | undefined): void {
    slotsOf(this)[AUTH_LOG] = value ?? null;
  },
};

async function verify(
  settings: VerifySettings,
  optional: boolean,
  request: FastifyRequest,
  reply: FastifyReply,
  accept?: readonly AcceptedTokenKind[],
): Promise<FastifyReply | undefined> {
  // Whatever was there before is not ours: never trusted, never reused.
  request.auth = null;
  verified.begin(request, settings);
  const slots = slotsOf(request);
  slots[AUTH_LOG] = undefined;
  const slot = slots[AUTH_SLOT];
  if (slot != null) slot.ctx = undefined;
  let result: AuthResult;
  try {
    // Fastify's request id, so the library's log lines for this request carry its `reqId`.
    result = await settings.auth.authenticateRequestWithResult(authenticationHeaders(request.headers, request.raw.rawHeaders), {
      requestId: request.id,
      method: request.method,
      ...(accept === undefined ? {} : { accept }),
    });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    if (!verified.anonymous(request, error, optional)) return sendAuthError(request, reply, error);
    if (slot != null) slot.ctx = null;
    return undefined;
  }
  const ctx = result.context;
  verified.set(request, ctx);
  // `request.auth` and currentAuth() are member-typed: a machine is there as null (read it with getCaller).
  const member = ctx.kind === 'member' ? ctx : null;
  if (slot != null) slot.ctx = member;
  request.auth = member;
  if (settings.exposeJwt && result.refreshedSessionJwt !== null) {
    reply.headers(refreshedSessionJwtHeaders(result.refreshedSessionJwt, reply.getHeader('access-control-expose-headers')));
  }
  return undefined;
}

/**
 * The `verifyAuth` hook of a registration. A warm request (the core answers synchronously) is
 * accepted here, with the same bookkeeping as `verify`, and goes on through `done`; any other
 * goes the way of `verify`, which starts over and answers with a promise.
 */
function verifyHook(settings: VerifySettings, optional: boolean, accept?: readonly AcceptedTokenKind[]): AuthHook {
  const settled = settledAuthentication(settings.auth);
  const hook: AuthHookImplementation = function ayzVerifyAuth(request, reply, done) {
    const warm = settled(authenticationHeaders(request.headers, request.raw.rawHeaders), accept);
    if (warm === undefined) return verify(settings, optional, request, reply, accept);
    // Whatever was there before is not ours: never trusted, never reused.
    const ctx = warm.context;
    verified.record(request, settings, ctx);
    const slots = slotsOf(request);
    slots[AUTH_LOG] = undefined;
    const member = ctx.kind === 'member' ? ctx : null;
    const slot = slots[AUTH_SLOT];
    if (slot != null) slot.ctx = member;
    request.auth = member;
    if (settings.exposeJwt && warm.refreshedSessionJwt !== null) {
      reply.headers(refreshedSessionJwtHeaders(warm.refreshedSessionJwt, reply.getHeader('access-control-expose-headers')));
    }
    if (done === undefined) return SETTLED_NOTHING;
    done();
    return undefined;
  };
  return hook as AuthHook;
}

/** A guard's verdict, once settled, as the hook's answer: nothing, or the refusal sent (or thrown). */
async function answerVerdict(request: FastifyRequest, reply: FastifyReply, pending: AuthError | null | Promise<AuthError | null>): Promise<FastifyReply | undefined> {
  let verdict: AuthError | null;
  try {
    verdict = pending instanceof Promise ? await pending : pending;
  } catch (thrown) {
    // An AuthError rejected by a check is a refusal; anything else is a wiring bug, for the error handler.
    if (!(thrown instanceof AuthError)) throw thrown;
    verdict = thrown;
  }
  return verdict === null ? undefined : sendAuthError(request, reply, verdict);
}

/**
 * The one bridge from a core `Check` to Fastify: a hook for routes after `verifyAuth` /
 * `verifyAuthOptional`. The check sees only the context ayz-auth itself verified (never
 * `request.auth`) and its refusal is answered like every other (as the plugin's `errors` /
 * `errorResponse` say). An anonymous request of `verifyAuthOptional` is refused with 401
 * `token_missing`. A route where no ayz-auth hook ran, or a check that throws (e.g. an
 * entitlement guard on an `Auth` without MongoDB), is a wiring bug of the service (thrown to
 * the error handler: 500), not the client's fault. Every built-in `require*` hook is made with
 * it; so can a service's own. `name` names the guard in the wiring error.
 *
 * @example
 * const acmeOnly: Check = (ctx) => (ctx.orgSlug === 'acme' ? null : new AuthError('claim_missing'));
 * app.get('/acme', { preHandler: [app.verifyAuth, toHook(acmeOnly, 'acmeOnly')] }, handler);
 */
export function toHook(check: Check | AsyncCheck, name?: string): AuthHook;
/** A check made by `forAnyCaller`: it sees M2M callers too. */
export function toHook(check: AnyCallerCheck, name?: string): AuthHook;
export function toHook(check: Check | AsyncCheck | AnyCallerCheck, name?: string): AuthHook;
export function toHook(check: Check | AsyncCheck | AnyCallerCheck, name: string = check.name || 'the guard'): AuthHook {
  const hook: AuthHookImplementation = function ayzAuthGuard(request, reply, done) {
    let verdict: AuthError | null | Promise<AuthError | null>;
    try {
      verdict = verified.decide(request, check, name);
    } catch (thrown) {
      // An AuthError thrown by a check (e.g. `permissionError` before the first policy load) is
      // a refusal; anything else is a wiring bug, for the error handler.
      if (!(thrown instanceof AuthError)) return Promise.reject(thrown);
      verdict = thrown;
    }
    // A request let through at once goes on through `done`, with no promise; refusals and
    // checks that had to wait (see AsyncCheck) answer with one.
    if (verdict === null && done !== undefined) {
      done();
      return undefined;
    }
    return answerVerdict(request, reply, verdict);
  };
  return hook as AuthHook;
}

const guards: AuthGuards = bindGuards(toHook);

/**
 * The built-in guards, each a core check through `toHook`, after `verifyAuth` (also decorated
 * on the instance: `app.requireEntitlement('reports')`): `requireEntitlement(name)`,
 * `requireAnyEntitlement(names)`, `requireAllEntitlements(names)` (403 `entitlement_missing`;
 * need MongoDB), `requireFactors(types)` (403 `factor_missing`), `requireClaims(names)` (403
 * `claim_missing`), `requireTeam()` (400 `team_required`; needs MongoDB), `requireRole(role,
 * options?)` and `requireAnyRole(roles, options?)` (403 `role_missing`).
 *
 * @example
 * app.get('/reports', { preHandler: [app.verifyAuth, app.requireEntitlement('reports')] }, handler);
 */
export const { requireEntitlement, requireAnyEntitlement, requireAllEntitlements, requireFactors, requireClaims } = guards;
export const { requireTeam, requireRole, requireAnyRole, requirePermission, requireScopes } = guards;

/**
 * The context `verifyAuth` verified for this request. Throws a plain `Error` (a bug of the
 * service, not of the client) when no ayz-auth hook authenticated it.
 */
export function getAuth(request: FastifyRequest): AuthContext {
  return verified.require(request);
}

/**
 * What ayz-auth verified for this request, without throwing: the context, `null` for an
 * anonymous request of `verifyAuthOptional`, `undefined` when no ayz-auth hook ran.
 * Never reads `request.auth`.
 */
export function peekAuth(request: FastifyRequest): AuthContext | null | undefined {
  return verified.peek(request);
}

/**
 * The caller the hook verified, member or machine (`ctx.kind` narrows): for routes of
 * `verifyAuthWith({ accept: ['m2m'] })` or `['session', 'm2m']`. Throws like `getAuth` when none.
 */
export function getCaller(request: FastifyRequest): AnyAuthContext {
  return verified.caller(request);
}

const plugin: FastifyPluginAsync<AyzAuthPluginOptions> = async function ayzAuthPlugin(fastify, options) {
  const auth = options?.auth;
  if (!isAuth(auth)) throw new TypeError('ayz-auth: register the plugin with { auth: createAuth(...) }');
  const errors = options.errors ?? 'reply';
  if (errors !== 'reply' && errors !== 'throw') throw new TypeError("ayz-auth: the errors option must be 'reply' or 'throw'");
  const errorResponse = options.errorResponse;
  if (errorResponse !== undefined && typeof errorResponse !== 'function') {
    throw new TypeError('ayz-auth: the errorResponse option must be a function (error, request) => { body, contentType? }');
  }
  if (errorResponse !== undefined && errors === 'throw') {
    throw new TypeError("ayz-auth: errorResponse is not used with errors: 'throw' (shape the body in setErrorHandler)");
  }
  const settings: VerifySettings = Object.freeze({
    auth,
    exposeJwt: options.exposeRefreshedSessionJwt !== false,
    throwErrors: errors === 'throw',
    errorResponse,
  });

  // One pair of hooks per registration (they close over the settings), none per request.
  const verifyAuth = verifyHook(settings, false);
  const verifyAuthOptional = verifyHook(settings, true);

  if (options.currentAuth === true) {
    // A hook's promise cannot carry an AsyncLocalStorage store to the hooks after it, so the
    // store (an empty slot, filled by verifyAuth) is entered before any of them, in callback
    // hooks whose `done` runs inside it; again after body parsing, which resumes outside it.
    fastify.addHook('onRequest', (request, _reply, done) => {
      runInNewAuthSlot((slot) => {
        slotsOf(request)[AUTH_SLOT] = slot;
        done();
      });
    });
    fastify.addHook('preValidation', (request, _reply, done) => {
      const slot = slotsOf(request)[AUTH_SLOT];
      if (slot == null) done();
      else runInAuthSlot(slot, done);
    });
  }
  // The request's private slots, declared so that they are in its shape from the start (a
  // second registration in the same scope finds them there).
  for (const slot of [verified.slot, AUTH_LOG, AUTH_SLOT]) {
    if (!fastify.hasRequestDecorator(slot)) fastify.decorateRequest(slot as unknown as string, null);
  }
  fastify.decorateRequest('auth', null);
  fastify.decorateRequest('authLog', AUTH_LOG_ACCESSOR);
  fastify.decorate('verifyAuth', verifyAuth);
  fastify.decorate('verifyAuthOptional', verifyAuthOptional);
  fastify.decorate('verifyAuthWith', (routeOptions: VerifyAuthWithOptions): AuthHook => {
    const accept = acceptOption(routeOptions?.accept, 'fastify.verifyAuthWith(options)');
    return verifyHook(settings, routeOptions?.optional === true, accept);
  });
  // Each guard by its name, typed by the `FastifyInstance extends AuthGuards` block above.
  for (const [name, guard] of Object.entries(guards)) fastify.decorate(name, guard as never);
};

/** The plugin: `fastify.register(ayzAuth, { auth })`. Not encapsulated (fastify-plugin). */
export const ayzAuth: FastifyPluginAsync<AyzAuthPluginOptions> = fp(plugin, { name: 'ayz-auth', fastify: '4.x || 5.x' });
/** The same plugin as `ayzAuth` (the default export), by another name. */
export const ayzAuthPlugin = ayzAuth;
export default ayzAuth;

export { REFRESHED_SESSION_JWT_HEADER };
export type { AuthErrorResponse } from 'ayz-auth/internal';
export type { Auth, AuthContext, Check, RoleGuardOptions } from 'ayz-auth';
export type { AcceptedTokenKind, AnyAuthContext, AnyCallerCheck, AsyncCheck, FactorGuardOptions } from 'ayz-auth';
