/**
 * `ayz-auth/fastify`: a Fastify 4 and 5 plugin over the core's `Auth`.
 *
 * It decorates the instance with `verifyAuth` / `verifyAuthOptional` (async hooks, usable as
 * `onRequest` or `preHandler`) and guard factories. Every decision is the core's; a refusal
 * copies the `AuthError` onto the reply and returns it (or, with `errors: 'throw'`, throws it to
 * the app's error handler), so later hooks and the handler never run. Anything that is not an
 * `AuthError` is a bug and is thrown to Fastify's error handler.
 */
import fp from 'fastify-plugin';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireAnyRole, requireRole, requireTeam, type RoleGuardOptions } from './tenancy.js';
import { AuthError, guardChecks, type Auth, type AuthContext, type AuthResult, type GuardCheck, type RequestHeaders } from 'ayz-auth';

/** An async hook for `onRequest` or `preHandler`. Resolves to the reply when it answered. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

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
  interface FastifyInstance {
    /** Authenticates the request: sets `request.auth`, or answers 401 / 403 / 503 JSON. */
    verifyAuth: AuthHook;
    /** As `verifyAuth`, but no `Authorization` header → `request.auth = null`; a bad token is still a 401. */
    verifyAuthOptional: AuthHook;
    requireEntitlement(name: string): AuthHook;
    requireAnyEntitlement(names: string[]): AuthHook;
    requireAllEntitlements(names: string[]): AuthHook;
    requireFactors(types: string[]): AuthHook;
    requireClaims(names: string[]): AuthHook;
    /** 400 `team_required` unless the caller has a current team. */
    requireTeam(): AuthHook;
    /** 403 `role_missing` unless the session holds `role` (or a higher one of `options.hierarchy`). */
    requireRole(role: string, options?: RoleGuardOptions): AuthHook;
    /** 403 `role_missing` unless the session holds one of `roles` (or a higher one of `options.hierarchy`). */
    requireAnyRole(roles: string[], options?: RoleGuardOptions): AuthHook;
  }
}

/** The body (and its type) of an error response, as the service wants it. */
export interface AuthErrorResponse {
  body: unknown;
  /** Default `application/json; charset=utf-8`. A string body is sent as is, anything else as JSON. */
  contentType?: string;
}

/**
 * Builds the error responses of `verifyAuth` and of every guard after it (e.g. problem+json
 * with a request id). Status, `WWW-Authenticate`, `Retry-After` and `Cache-Control: no-store`
 * stay the library's.
 */
export type ErrorResponseBuilder = (error: AuthError, request: FastifyRequest) => AuthErrorResponse;

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
}

/** Response header carrying a renewed session JWT (an expired JWT of a live session). */
export const REFRESHED_SESSION_JWT_HEADER = 'Stytch-Session-Jwt' as const;

/**
 * What our own hooks verified, per request. `null`: an optional route with no token.
 * Absent: no ayz-auth hook ran. Nothing outside this module can write here.
 */
const verified = new WeakMap<object, AuthContext | null>();

/** How refusals are answered, per plugin registration. */
interface Refusals {
  readonly throwErrors: boolean;
  readonly errorResponse: ErrorResponseBuilder | undefined;
}

const REPLY: Refusals = Object.freeze({ throwErrors: false, errorResponse: undefined });

/** The `Refusals` of the registration whose hook verified the request, for the guards after it. */
const refusalsOf = new WeakMap<object, Refusals>();

const AUTHORIZATION = 'authorization';

/**
 * Node keeps only the first of several `Authorization` headers in `headers`; when the raw
 * headers hold more than one, the core gets them all (and answers `token_multiple`).
 * Otherwise `request.headers` as is. No allocation on the common path.
 */
function requestHeaders(request: FastifyRequest): RequestHeaders {
  const raw: readonly string[] | undefined = request.raw.rawHeaders;
  let count = 0;
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name !== undefined && name.length === 13 && name.toLowerCase() === AUTHORIZATION) count++;
    }
  }
  if (count < 2) return request.headers;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === AUTHORIZATION) values.push(raw[i + 1] ?? '');
  }
  return { ...request.headers, authorization: values };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Copies an `AuthError` onto the reply: status, its headers, `Cache-Control: no-store`, and the
 * body (JSON, or the service's `errorResponse`), sent serialized so no route schema reshapes it.
 * With `errors: 'throw'`, sets the headers and throws the error to the app's error handler.
 */
function sendAuthError(request: FastifyRequest, reply: FastifyReply, error: AuthError): FastifyReply {
  const refusals = refusalsOf.get(request) ?? REPLY;
  reply.headers(error.headers).header('cache-control', 'no-store');
  if (refusals.throwErrors) throw error;
  let payload: string;
  let contentType = JSON_TYPE;
  if (refusals.errorResponse === undefined) {
    payload = JSON.stringify(error.body);
  } else {
    const built = refusals.errorResponse(error, request);
    payload = typeof built.body === 'string' ? built.body : JSON.stringify(built.body);
    if (built.contentType !== undefined) contentType = built.contentType;
  }
  return reply.code(error.status).type(contentType).send(payload);
}

function exposeHeader(reply: FastifyReply, header: string): void {
  const current = reply.getHeader('access-control-expose-headers');
  if (current === undefined || current === '') {
    reply.header('access-control-expose-headers', header);
    return;
  }
  const list = Array.isArray(current) ? current.join(', ') : String(current);
  const wanted = header.toLowerCase();
  if (list.split(',').some((h) => h.trim().toLowerCase() === wanted)) return;
  reply.header('access-control-expose-headers', `${list}, ${header}`);
}

/** The ids of the context, for log lines; never the token or anything from the session JWT. */
function logBindings(ctx: AuthContext): Record<string, string | null> {
  return {
    memberId: ctx.memberId,
    stytchOrgId: ctx.stytchOrgId,
    userId: ctx.mongoUserId,
    orgId: ctx.orgId,
    teamId: ctx.currentTeamId,
  };
}

// `request.authLog` is made on first read: a pino child per request costs more than the rest of
// a warm authentication, and most handlers never log. `null` records "set to nothing".
const authLogs = new WeakMap<object, FastifyBaseLogger | null>();

const AUTH_LOG_ACCESSOR = {
  getter(this: FastifyRequest): FastifyBaseLogger | undefined {
    const cached = authLogs.get(this);
    if (cached !== undefined) return cached ?? undefined;
    const ctx = verified.get(this);
    if (!ctx) return undefined;
    const child = this.log.child(logBindings(ctx));
    authLogs.set(this, child);
    return child;
  },
  setter(this: FastifyRequest, value: FastifyBaseLogger | undefined): void {
    authLogs.set(this, value ?? null);
  },
};

interface VerifySettings extends Refusals {
  readonly auth: Auth;
  readonly exposeJwt: boolean;
}

async function verify(
  settings: VerifySettings,
  optional: boolean,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  // Whatever was there before is not ours: never trusted, never reused.
  request.auth = null;
  verified.delete(request);
  authLogs.delete(request);
  refusalsOf.set(request, settings);
  let result: AuthResult;
  try {
    // Fastify's request id, so the library's log lines for this request carry its `reqId`.
    result = await settings.auth.authenticateRequestWithResult(requestHeaders(request), { requestId: request.id });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    if (optional && error.code === 'token_missing') {
      verified.set(request, null);
      return undefined;
    }
    return sendAuthError(request, reply, error);
  }
  const ctx = result.context;
  verified.set(request, ctx);
  request.auth = ctx;
  if (settings.exposeJwt && result.refreshedSessionJwt !== null) {
    reply.header(REFRESHED_SESSION_JWT_HEADER, result.refreshedSessionJwt);
    // A response carrying a session credential must not be stored by any cache on the way.
    reply.header('cache-control', 'no-store');
    exposeHeader(reply, REFRESHED_SESSION_JWT_HEADER);
  }
  return undefined;
}

/**
 * A hook for routes after `verifyAuth` / `verifyAuthOptional`: `check` sees only the context
 * ayz-auth itself verified (never `request.auth`) and its refusal is answered like every other
 * (as the plugin's `errors` / `errorResponse` say). An anonymous request of
 * `verifyAuthOptional` is refused with 401 `token_missing`. A route where no ayz-auth hook ran,
 * or a check that throws (e.g. an entitlement guard on an `Auth` without MongoDB), is a wiring
 * bug of the service (thrown to the error handler: 500), not the client's fault. The built-in
 * `require*` hooks are made with it; so can a service's own.
 */
export function createGuard(name: string, check: GuardCheck): AuthHook {
  return async function ayzAuthGuard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const ctx = verified.get(request);
    if (ctx === undefined) throw new Error(`ayz-auth: ${name} must run after fastify.verifyAuth or fastify.verifyAuthOptional`);
    const error = ctx === null ? new AuthError('token_missing') : check(ctx);
    return error === null ? undefined : sendAuthError(request, reply, error);
  };
}

/** 403 `entitlement_missing` unless the caller's organization holds `name`. After `verifyAuth`. */
export function requireEntitlement(name: string): AuthHook {
  return createGuard('requireEntitlement', guardChecks.entitlement('requireEntitlement', name));
}

/** 403 `entitlement_missing` unless the organization holds at least one of `names`. */
export function requireAnyEntitlement(names: string[]): AuthHook {
  return createGuard('requireAnyEntitlement', guardChecks.anyEntitlement('requireAnyEntitlement', names));
}

/** 403 `entitlement_missing` unless the organization holds every one of `names`. */
export function requireAllEntitlements(names: string[]): AuthHook {
  return createGuard('requireAllEntitlements', guardChecks.allEntitlements('requireAllEntitlements', names));
}

/** Step-up: 403 `factor_missing` unless every Stytch factor type (e.g. `totp`) was used in the session. */
export function requireFactors(types: string[]): AuthHook {
  return createGuard('requireFactors', guardChecks.factors('requireFactors', types));
}

/** 403 `claim_missing` unless every name is a key of the session's custom claims. */
export function requireClaims(names: string[]): AuthHook {
  return createGuard('requireClaims', guardChecks.claims('requireClaims', names));
}

/**
 * The context `verifyAuth` verified for this request. Throws a plain `Error` (a bug of the
 * service, not of the client) when no ayz-auth hook authenticated it.
 */
export function getAuth(request: FastifyRequest): AuthContext {
  const ctx = verified.get(request);
  if (ctx) return ctx;
  throw new Error(
    ctx === null
      ? 'ayz-auth: getAuth(request) on an anonymous request (verifyAuthOptional found no token); read request.auth instead'
      : 'ayz-auth: getAuth(request) called on a request that fastify.verifyAuth did not authenticate',
  );
}

/**
 * What ayz-auth verified for this request, without throwing: the context, `null` for an
 * anonymous request of `verifyAuthOptional`, `undefined` when no ayz-auth hook ran.
 * Never reads `request.auth`.
 */
export function peekAuth(request: FastifyRequest): AuthContext | null | undefined {
  return verified.get(request);
}

const plugin: FastifyPluginAsync<AyzAuthPluginOptions> = async function ayzAuthPlugin(fastify, options) {
  const auth = options?.auth;
  if (typeof auth !== 'object' || auth === null || typeof auth.authenticateRequestWithResult !== 'function') {
    throw new TypeError('ayz-auth: register the plugin with { auth: createAuth(...) }');
  }
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
  const verifyAuth: AuthHook = (request, reply) => verify(settings, false, request, reply);
  const verifyAuthOptional: AuthHook = (request, reply) => verify(settings, true, request, reply);

  fastify.decorateRequest('auth', null);
  fastify.decorateRequest('authLog', AUTH_LOG_ACCESSOR);
  fastify.decorate('verifyAuth', verifyAuth);
  fastify.decorate('verifyAuthOptional', verifyAuthOptional);
  fastify.decorate('requireEntitlement', requireEntitlement);
  fastify.decorate('requireAnyEntitlement', requireAnyEntitlement);
  fastify.decorate('requireAllEntitlements', requireAllEntitlements);
  fastify.decorate('requireFactors', requireFactors);
  fastify.decorate('requireClaims', requireClaims);
  fastify.decorate('requireTeam', requireTeam);
  fastify.decorate('requireRole', requireRole);
  fastify.decorate('requireAnyRole', requireAnyRole);
};

/** The plugin: `fastify.register(ayzAuth, { auth })`. Not encapsulated (fastify-plugin). */
export const ayzAuth: FastifyPluginAsync<AyzAuthPluginOptions> = fp(plugin, { name: 'ayz-auth', fastify: '4.x || 5.x' });
export const ayzAuthPlugin = ayzAuth;
export default ayzAuth;

export { requireTeam, requireRole, requireAnyRole, type RoleGuardOptions } from './tenancy.js';

export type { Auth, AuthContext } from 'ayz-auth';
