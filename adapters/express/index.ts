/**
 * `ayz-auth/express`: Express 4 and 5 middleware over the core's `Auth`.
 *
 * Every decision (status, error code, `WWW-Authenticate`, the 403 body of a missing
 * entitlement) is the core's; this file only reads the request, copies an `AuthError` onto the
 * response, and attaches the verified context. Failures are answered here as JSON, never
 * passed to `next(err)`, so no Express error page and no 500 for a client's fault. Anything
 * that is not an `AuthError` is a bug and goes to `next(err)`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { AuthError, runWithAuth, type AcceptedTokenKind, type AnyAuthContext, type AnyCallerCheck, type AsyncCheck, type Auth, type AuthContext, type AuthResult, type Check } from 'ayz-auth';
import { REFRESHED_SESSION_JWT_HEADER, VerifiedRequests, acceptOption, authenticationHeaders, bindGuards, isAuth, refreshedSessionJwtHeaders, refusalOf, settledAuthentication } from 'ayz-auth/internal';
import type { ErrorResponseBuilderFor } from 'ayz-auth/internal';

/**
 * Type switches a service sets by augmenting this module, e.g. to give `req.auth` up to another
 * library (express-oauth2-jwt-bearer declares `req.auth` too):
 *
 * ```ts
 * declare module 'ayz-auth/express' {
 *   interface AyzAuthTypeOptions { requestAuth: false }
 * }
 * ```
 *
 * With `requestAuth: false`, `req.auth` is not declared by ayz-auth (it is still set at run
 * time); read the context with `getAuth(req)` / `peekAuth(req)`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface -- filled in by services
export interface AyzAuthTypeOptions {}

/** `req.auth`, unless the service switched it off through `AyzAuthTypeOptions`. */
export type RequestAuthProperty = AyzAuthTypeOptions extends { requestAuth: false }
  ? {}
  : {
      /**
       * The caller's context, set by `verifyAuth` / `verifyAuthOptional` (null for an anonymous
       * request on an optional route). The guards never read it: they read what `verifyAuth`
       * itself verified, so a value put here by other code is never trusted.
       */
      auth: AuthContext | null;
    };

declare module 'express-serve-static-core' {
  interface Request extends RequestAuthProperty {
    /**
     * A child logger bound to the caller's ids (never the token): pino-http's `req.log` when
     * there is one, else the library's logger. Undefined until ayz-auth authenticated the request.
     */
    authLog?: Logger;
  }
}

/**
 * Builds the error responses of `verifyAuth` and of every guard after it (e.g. problem+json
 * with a request id). Status, `WWW-Authenticate`, `Retry-After` and `Cache-Control: no-store`
 * stay the library's.
 */
export type ErrorResponseBuilder = ErrorResponseBuilderFor<Request>;

export interface VerifyAuthOptions {
  /**
   * Send a renewed session JWT back in `Stytch-Session-Jwt` (and list it in
   * `Access-Control-Expose-Headers`) when the core hands one back. Default true.
   */
  exposeRefreshedSessionJwt?: boolean;
  /**
   * Shapes the body of every refusal on the request (this middleware's and the guards' after
   * it). Default: JSON `{ error, message, ...details }`.
   */
  errorResponse?: ErrorResponseBuilder;
  /**
   * Write the context to `req.auth`. Default true. `false` leaves `req.auth` to another library
   * (with the `AyzAuthTypeOptions` opt-out); read the context with `getAuth(req)`.
   */
  requestAuth?: boolean;
  /**
   * Make the context readable with `currentAuth()` (from `ayz-auth`) by everything the rest of
   * the request runs, without `req`: the rest of the chain runs inside an AsyncLocalStorage.
   * Mount body parsers before `verifyAuth`: a parser after it resumes from the socket's events,
   * outside the request's async context. Default false.
   */
  currentAuth?: boolean;
  /**
   * Token kinds this route accepts: `['session']`, `['m2m']` or both. Default the `Auth`'s
   * `accept` (itself `['session']`). An M2M caller is read with `getCaller(req)`; `req.auth`
   * and `getAuth(req)` hold members only.
   */
  accept?: AcceptedTokenKind[];
}

/** What the guards and `req.authLog` need of the `verifyAuth` that ran on a request: one object per middleware. */
interface MiddlewareSettings {
  readonly errorResponse: ErrorResponseBuilder | undefined;
  /** The base of `req.authLog` when there is no pino-http `req.log`. */
  readonly logger: Logger;
}

/**
 * What this module's middleware verified, per request, and the settings of the `verifyAuth`
 * that ran on it (for the guards after it). Private to this module.
 */
const verified = new VerifiedRequests<MiddlewareSettings>({
  request: 'req',
  verifyAuth: 'verifyAuth(auth)',
  verifyAuthOptional: 'verifyAuthOptional(auth)',
});

/** Answers with an `AuthError`; anything else (or a response already started) goes to `next(err)`. */
function refuse(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (!(error instanceof AuthError) || res.headersSent) {
    next(error);
    return;
  }
  try {
    const refusal = refusalOf(error, req, verified.settings(req)?.errorResponse);
    res.statusCode = refusal.status;
    for (const name in refusal.headers) res.setHeader(name, refusal.headers[name] as string);
    res.setHeader('Content-Length', Buffer.byteLength(refusal.payload));
    res.end(refusal.payload);
  } catch (bug) {
    // The service's errorResponse threw: its bug, for its error handler.
    next(bug);
  }
}

function isLogger(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && typeof (value as Logger).child === 'function';
}

// `req.authLog` is made on first read (see `VerifiedRequests.authLog`), by an accessor defined
// once on the request prototype of the app (as Fastify's decorateRequest does): an accessor
// defined on each request would cost a property definition per request and turn the request
// into a slow, dictionary-mode object for everything that reads it after.
function lazyAuthLog(this: Request): Logger | undefined {
  const base = verified.settings(this)?.logger;
  if (!base) return undefined;
  // pino-http puts a request logger on `req.log`; bind to it when it is there.
  const requestLog: unknown = (this as { log?: unknown }).log;
  const child = verified.authLog<Logger>(this, isLogger(requestLog) ? requestLog : base);
  if (child === undefined) return undefined;
  Object.defineProperty(this, 'authLog', { value: child, writable: true, configurable: true, enumerable: true });
  return child;
}

function replaceAuthLog(this: Request, value: Logger | undefined): void {
  Object.defineProperty(this, 'authLog', { value, writable: true, configurable: true, enumerable: true });
}

const AUTH_LOG_PROPERTY: PropertyDescriptor = { get: lazyAuthLog, set: replaceAuthLog, configurable: true, enumerable: false };

/** Request prototypes that carry the `authLog` accessor (Express gives each app its own). */
const withAuthLog = new WeakSet<object>();
/** The last of them seen: most processes have one app, so one comparison per request. */
let lastAuthLogPrototype: object | null = null;

/**
 * Makes `req.authLog` read this request's verified caller: the accessor on its prototype (once
 * per prototype), and no own value left by an earlier middleware on the request. A prototype
 * that already has another `authLog` gets the accessor on the request itself.
 */
function exposeAuthLog(req: Request): void {
  if (Object.prototype.hasOwnProperty.call(req, 'authLog')) delete req.authLog;
  const proto: unknown = Object.getPrototypeOf(req);
  if (proto === lastAuthLogPrototype) return;
  if (typeof proto !== 'object' || proto === null) {
    Object.defineProperty(req, 'authLog', AUTH_LOG_PROPERTY);
    return;
  }
  if (withAuthLog.has(proto)) {
    lastAuthLogPrototype = proto;
    return;
  }
  const existing = Object.getOwnPropertyDescriptor(proto, 'authLog');
  if (existing === undefined && !('authLog' in proto)) {
    Object.defineProperty(proto, 'authLog', AUTH_LOG_PROPERTY);
    withAuthLog.add(proto);
  } else if (existing?.get === lazyAuthLog) {
    withAuthLog.add(proto);
  } else {
    Object.defineProperty(req, 'authLog', AUTH_LOG_PROPERTY);
  }
}

/** `req.auth`, written whether or not the service switched its type off. */
function setRequestAuth(req: Request, ctx: AuthContext | null): void {
  (req as { auth?: AuthContext | null }).auth = ctx;
}

/** After `verified` recorded the context: `req.auth` and the renewed session JWT. */
function accept(req: Request, res: Response, result: AuthResult, exposeJwt: boolean, assignAuth: boolean): void {
  const ctx = result.context;
  // `req.auth` is member-typed: a machine is there as null (read it with getCaller).
  if (assignAuth) setRequestAuth(req, ctx.kind === 'member' ? ctx : null);
  if (exposeJwt && result.refreshedSessionJwt !== null) {
    const headers = refreshedSessionJwtHeaders(result.refreshedSessionJwt, res.getHeader('Access-Control-Expose-Headers'));
    for (const name in headers) res.setHeader(name, headers[name] as string);
  }
}

/** The id a logger middleware (pino-http, express-request-id) gave the request, if any. */
function requestIdOf(req: Request): { requestId: string | number } | undefined {
  const id: unknown = (req as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? { requestId: id } : undefined;
}

function verifier(auth: Auth, optional: boolean, options: VerifyAuthOptions, fn: string): RequestHandler {
  if (!isAuth(auth)) throw new TypeError(`ayz-auth: ${fn}(auth) needs the Auth returned by createAuth()`);
  const exposeJwt = options.exposeRefreshedSessionJwt !== false;
  const errorResponse = options.errorResponse;
  const assignAuth = options.requestAuth !== false;
  // currentAuth(): the rest of the chain (next()) runs inside the request's store.
  const proceed = options.currentAuth === true ? (ctx: AuthContext | null, next: NextFunction) => runWithAuth(ctx, next) : null;
  const kinds = acceptOption(options.accept, `${fn}(auth, options)`);
  if (errorResponse !== undefined && typeof errorResponse !== 'function') {
    throw new TypeError('ayz-auth: the errorResponse option must be a function (error, req) => { body, contentType? }');
  }
  const settings: MiddlewareSettings = Object.freeze({ errorResponse, logger: auth.logger });
  const settled = settledAuthentication(auth);

  function accepted(req: Request, res: Response, next: NextFunction, result: AuthResult): void {
    try {
      accept(req, res, result, exposeJwt, assignAuth);
    } catch (error) {
      // e.g. headers already sent by an earlier middleware: a bug of the service, not a 401.
      next(error);
      return;
    }
    if (proceed) proceed(result.context.kind === 'member' ? result.context : null, next);
    else next();
  }

  function refused(req: Request, res: Response, next: NextFunction, error: unknown): void {
    if (!verified.anonymous(req, error, optional)) refuse(error, req, res, next);
    else if (proceed) proceed(null, next);
    else next();
  }

  // Not async: a warm request (token and context in memory) is answered before this returns,
  // with no promise; the others wait for the core's promise, which never escapes unhandled
  // (every failure is answered or handed to next(), which Express 4 needs).
  return function ayzVerifyAuth(req: Request, res: Response, next: NextFunction): void {
    // Whatever was there before is not ours: never trusted, never reused (the warm path
    // overwrites it at once, the other clears it before it waits).
    exposeAuthLog(req);
    const headers = authenticationHeaders(req.headers, req.rawHeaders);
    const warm = settled(headers, kinds);
    if (warm !== undefined && warm.refreshedSessionJwt === null) {
      const ctx = warm.context;
      verified.record(req, settings, ctx);
      if (assignAuth) {
        try {
          // A store site of its own: here `auth` is added to requests of one shape (the slow
          // way's stores, of other shapes, would make it a polymorphic store for everyone).
          (req as { auth?: AuthContext | null }).auth = ctx.kind === 'member' ? ctx : null;
        } catch (error) {
          // e.g. a getter-only `auth` defined by another middleware: a bug of the service.
          next(error);
          return;
        }
      }
      if (proceed) proceed(ctx.kind === 'member' ? ctx : null, next);
      else next();
      return;
    }
    if (warm !== undefined) {
      verified.record(req, settings, warm.context);
      accepted(req, res, next, warm);
      return;
    }
    // The slow way records in two steps: nothing trusted while it waits, then the context.
    verified.begin(req, settings);
    if (assignAuth) setRequestAuth(req, null);
    auth
      .authenticateRequestWithResult(headers, {
        ...requestIdOf(req),
        method: req.method,
        ...(kinds === undefined ? {} : { accept: kinds }),
      })
      .then(
        (result) => {
          verified.set(req, result.context);
          accepted(req, res, next, result);
        },
        (error: unknown) => refused(req, res, next, error),
      )
      // What Express 5 would do with a rejected middleware: a throw from the chain is next(err).
      .catch(next);
  };
}

/**
 * Authenticates the request: sets `req.auth`, or answers 401 / 403 / 503 JSON.
 *
 * @example
 * app.get('/me', verifyAuth(auth), (req, res) => res.json({ memberId: req.auth!.memberId }));
 */
export function verifyAuth(auth: Auth, options: VerifyAuthOptions = {}): RequestHandler {
  return verifier(auth, false, options, 'verifyAuth');
}

/**
 * As `verifyAuth`, but a request without an `Authorization` header goes on with
 * `req.auth = null`. A bad token is still a 401 and an outage still a 503: never anonymous.
 */
export function verifyAuthOptional(auth: Auth, options: VerifyAuthOptions = {}): RequestHandler {
  return verifier(auth, true, options, 'verifyAuthOptional');
}

/**
 * The one bridge from a core `Check` to Express: a middleware for routes after `verifyAuth` /
 * `verifyAuthOptional`. The check sees only the context ayz-auth itself verified (never
 * `req.auth`) and its refusal is answered like every other (with the `errorResponse` of that
 * `verifyAuth`). An anonymous request of `verifyAuthOptional` is refused with 401
 * `token_missing`. A route where no ayz-auth middleware ran, or a check that throws (e.g. an
 * entitlement guard on an `Auth` without MongoDB), is a wiring bug of the service:
 * `next(err)`, not the client's fault. Every built-in `require*` guard is made with it; so can
 * a service's own. `name` names the guard in the wiring error.
 *
 * @example
 * const acmeOnly: Check = (ctx) => (ctx.orgSlug === 'acme' ? null : new AuthError('claim_missing'));
 * app.get('/acme', verifyAuth(auth), toMiddleware(acmeOnly, 'acmeOnly'), handler);
 */
export function toMiddleware(check: Check | AsyncCheck, name?: string): RequestHandler;
/** A check made by `forAnyCaller`: it sees M2M callers too. */
export function toMiddleware(check: AnyCallerCheck, name?: string): RequestHandler;
export function toMiddleware(check: Check | AsyncCheck | AnyCallerCheck, name?: string): RequestHandler;
export function toMiddleware(check: Check | AsyncCheck | AnyCallerCheck, name: string = check.name || 'the guard'): RequestHandler {
  return function ayzAuthGuard(req: Request, res: Response, next: NextFunction): void {
    let verdict: AuthError | null | Promise<AuthError | null>;
    try {
      verdict = verified.decide(req, check, name);
    } catch (thrown) {
      // An AuthError thrown by a check (e.g. `permissionError` before the first policy load) is
      // a refusal; anything else is a wiring bug, for next(err).
      refuse(thrown, req, res, next);
      return;
    }
    if (verdict === null) next();
    else if (verdict instanceof AuthError) refuse(verdict, req, res, next);
    // Only a check that had to wait (see AsyncCheck) costs a promise; the synchronous path above has none.
    else verdict.then((error) => (error === null ? next() : refuse(error, req, res, next)), (failure: unknown) => refuse(failure, req, res, next));
  };
}

/**
 * The built-in guards, each a core check through `toMiddleware`, after `verifyAuth`:
 * `requireEntitlement(name)`, `requireAnyEntitlement(names)`, `requireAllEntitlements(names)`
 * (403 `entitlement_missing`; need MongoDB), `requireFactors(types)` (403 `factor_missing`),
 * `requireClaims(names)` (403 `claim_missing`), `requireTeam()` (400 `team_required`; needs
 * MongoDB), `requireRole(role, options?)` and `requireAnyRole(roles, options?)` (403
 * `role_missing`).
 *
 * @example
 * app.get('/reports', verifyAuth(auth), requireEntitlement('reports'), handler);
 */
export const {
  requireEntitlement, requireAnyEntitlement, requireAllEntitlements, requireFactors, requireClaims, requireTeam, requireRole, requireAnyRole,
  requirePermission,
  requireScopes,
} = bindGuards(toMiddleware);

/**
 * The context `verifyAuth` verified for this request. Throws a plain `Error` (a bug of the
 * service, not of the client) when no ayz-auth middleware authenticated it.
 *
 * @example
 * app.get('/me', verifyAuth(auth, { requestAuth: false }), (req, res) => res.json(getAuth(req)));
 */
export function getAuth(req: Request): AuthContext {
  return verified.require(req);
}

/**
 * What ayz-auth verified for this request, without throwing: the context, `null` for an
 * anonymous request of `verifyAuthOptional`, `undefined` when no ayz-auth middleware ran.
 * Never reads `req.auth`.
 */
export function peekAuth(req: Request): AuthContext | null | undefined {
  return verified.peek(req);
}

/**
 * The caller `verifyAuth` verified, member or machine (`ctx.kind` narrows): for routes with
 * `accept: ['m2m']` or `['session', 'm2m']`. Throws like `getAuth` when none was verified.
 *
 * @example
 * app.get('/reports', verifyAuth(auth, { accept: ['session', 'm2m'] }), (req, res) => {
 *   const ctx = getCaller(req);
 *   res.json(ctx.kind === 'm2m' ? { client: ctx.clientId } : { member: ctx.memberId });
 * });
 */
export function getCaller(req: Request): AnyAuthContext {
  return verified.caller(req);
}

export { REFRESHED_SESSION_JWT_HEADER };
export type { AuthErrorResponse } from 'ayz-auth/internal';
export type { Auth, AuthContext, Check, RoleGuardOptions } from 'ayz-auth';
export type { AcceptedTokenKind, AnyAuthContext, AnyCallerCheck, AsyncCheck, FactorGuardOptions } from 'ayz-auth';
