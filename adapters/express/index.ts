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
import { AuthError, guardChecks, type Auth, type AuthContext, type AuthResult, type GuardCheck, type RequestHeaders } from 'ayz-auth';

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
export type ErrorResponseBuilder = (error: AuthError, req: Request) => AuthErrorResponse;

/** Response header carrying a renewed session JWT (an expired JWT of a live session). */
export const REFRESHED_SESSION_JWT_HEADER = 'Stytch-Session-Jwt' as const;

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
}

/**
 * What our own middleware verified, per request. `null`: an optional route with no token.
 * Absent: no ayz-auth middleware ran. Nothing outside this module can write here.
 */
const verified = new WeakMap<object, AuthContext | null>();

/** The service's `errorResponse` of the `verifyAuth` that ran on the request, for the guards after it. */
const shapers = new WeakMap<object, ErrorResponseBuilder>();

const AUTHORIZATION = 'authorization';

/**
 * The request headers as the core should see them. Node keeps only the first of several
 * `Authorization` headers in `req.headers`; when the raw headers hold more than one, the core
 * gets them all (and answers `token_multiple`). Otherwise `req.headers` as is, so a middleware
 * that rewrote `req.headers.authorization` is respected. No allocation on the common path.
 */
function requestHeaders(req: Request): RequestHeaders {
  const raw: readonly string[] | undefined = req.rawHeaders;
  let count = 0;
  if (Array.isArray(raw)) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name !== undefined && name.length === 13 && name.toLowerCase() === AUTHORIZATION) count++;
    }
  }
  if (count < 2) return req.headers;
  const values: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === AUTHORIZATION) values.push(raw[i + 1] ?? '');
  }
  return { ...req.headers, authorization: values };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Copies an `AuthError` onto the response: status, its headers, `Cache-Control: no-store`, and
 * the body (JSON `{ error, message, … }`, or what the service's `errorResponse` builds).
 * Throws only when the service's builder throws.
 */
function sendAuthError(req: Request, res: Response, error: AuthError): void {
  const shape = shapers.get(req);
  let payload: string;
  let contentType = JSON_TYPE;
  if (shape === undefined) {
    payload = JSON.stringify(error.body);
  } else {
    const built = shape(error, req);
    payload = typeof built.body === 'string' ? built.body : JSON.stringify(built.body);
    if (built.contentType !== undefined) contentType = built.contentType;
  }
  res.statusCode = error.status;
  const headers = error.headers;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.setHeader('Cache-Control', 'no-store');
  res.end(payload);
}

function refuse(error: unknown, req: Request, res: Response, next: NextFunction): void {
  if (!(error instanceof AuthError) || res.headersSent) {
    next(error);
    return;
  }
  try {
    sendAuthError(req, res, error);
  } catch (bug) {
    // The service's errorResponse threw: its bug, for its error handler.
    next(bug);
  }
}

function exposeHeader(res: Response, header: string): void {
  const current = res.getHeader('Access-Control-Expose-Headers');
  if (current === undefined || current === '') {
    res.setHeader('Access-Control-Expose-Headers', header);
    return;
  }
  const list = Array.isArray(current) ? current.join(', ') : String(current);
  const wanted = header.toLowerCase();
  if (list.split(',').some((h) => h.trim().toLowerCase() === wanted)) return;
  res.setHeader('Access-Control-Expose-Headers', `${list}, ${header}`);
}

function isLogger(value: unknown): value is Logger {
  return typeof value === 'object' && value !== null && typeof (value as Logger).child === 'function';
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

// `req.authLog` is made on first read: a pino child per request costs more than the rest of a
// warm authentication, and most handlers never log. One shared descriptor, no closure per request.
const logBases = new WeakMap<object, Logger>();

function lazyAuthLog(this: Request): Logger | undefined {
  const ctx = verified.get(this);
  const base = logBases.get(this);
  if (!ctx || !base) return undefined;
  // pino-http puts a request logger on `req.log`; bind to it when it is there.
  const requestLog: unknown = (this as { log?: unknown }).log;
  const child = (isLogger(requestLog) ? requestLog : base).child(logBindings(ctx));
  Object.defineProperty(this, 'authLog', { value: child, writable: true, configurable: true, enumerable: true });
  return child;
}

function replaceAuthLog(this: Request, value: Logger | undefined): void {
  Object.defineProperty(this, 'authLog', { value, writable: true, configurable: true, enumerable: true });
}

const AUTH_LOG_PROPERTY: PropertyDescriptor = { get: lazyAuthLog, set: replaceAuthLog, configurable: true, enumerable: true };

/** `req.auth`, written whether or not the service switched its type off. */
function setRequestAuth(req: Request, ctx: AuthContext | null): void {
  (req as { auth?: AuthContext | null }).auth = ctx;
}

function accept(req: Request, res: Response, result: AuthResult, auth: Auth, exposeJwt: boolean, assignAuth: boolean): void {
  const ctx = result.context;
  verified.set(req, ctx);
  if (assignAuth) setRequestAuth(req, ctx);
  logBases.set(req, auth.logger);
  Object.defineProperty(req, 'authLog', AUTH_LOG_PROPERTY);
  if (exposeJwt && result.refreshedSessionJwt !== null) {
    res.setHeader(REFRESHED_SESSION_JWT_HEADER, result.refreshedSessionJwt);
    // A response carrying a session credential must not be stored by any cache on the way.
    res.setHeader('Cache-Control', 'no-store');
    exposeHeader(res, REFRESHED_SESSION_JWT_HEADER);
  }
}

/** The id a logger middleware (pino-http, express-request-id) gave the request, if any. */
function requestIdOf(req: Request): string | number | undefined {
  const id: unknown = (req as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

function assertAuth(auth: Auth, fn: string): void {
  if (typeof auth !== 'object' || auth === null || typeof auth.authenticateRequestWithResult !== 'function') {
    throw new TypeError(`ayz-auth: ${fn}(auth) needs the Auth returned by createAuth()`);
  }
}

function verifier(auth: Auth, optional: boolean, options: VerifyAuthOptions): RequestHandler {
  const exposeJwt = options.exposeRefreshedSessionJwt !== false;
  const errorResponse = options.errorResponse;
  const assignAuth = options.requestAuth !== false;
  if (errorResponse !== undefined && typeof errorResponse !== 'function') {
    throw new TypeError('ayz-auth: the errorResponse option must be a function (error, req) => { body, contentType? }');
  }
  // Async so that Express 5 would see a rejection, but nothing here rejects: every failure is
  // answered or handed to next(), which Express 4 needs.
  return async function ayzVerifyAuth(req: Request, res: Response, next: NextFunction): Promise<void> {
    // Whatever was there before is not ours: never trusted, never reused.
    if (assignAuth) setRequestAuth(req, null);
    verified.delete(req);
    if (errorResponse === undefined) shapers.delete(req);
    else shapers.set(req, errorResponse);
    if (Object.prototype.hasOwnProperty.call(req, 'authLog')) req.authLog = undefined;
    let result: AuthResult;
    try {
      const requestId = requestIdOf(req);
      result = await auth.authenticateRequestWithResult(requestHeaders(req), requestId === undefined ? undefined : { requestId });
    } catch (error) {
      if (optional && error instanceof AuthError && error.code === 'token_missing') {
        verified.set(req, null);
        next();
      } else {
        refuse(error, req, res, next);
      }
      return;
    }
    try {
      accept(req, res, result, auth, exposeJwt, assignAuth);
    } catch (error) {
      // e.g. headers already sent by an earlier middleware: a bug of the service, not a 401.
      next(error);
      return;
    }
    next();
  };
}

/** Authenticates the request: sets `req.auth`, or answers 401 / 403 / 503 JSON. */
export function verifyAuth(auth: Auth, options: VerifyAuthOptions = {}): RequestHandler {
  assertAuth(auth, 'verifyAuth');
  return verifier(auth, false, options);
}

/**
 * As `verifyAuth`, but a request without an `Authorization` header goes on with
 * `req.auth = null`. A bad token is still a 401 and an outage still a 503: never anonymous.
 */
export function verifyAuthOptional(auth: Auth, options: VerifyAuthOptions = {}): RequestHandler {
  assertAuth(auth, 'verifyAuthOptional');
  return verifier(auth, true, options);
}

/**
 * A guard for routes after `verifyAuth` / `verifyAuthOptional`: `check` sees only the context
 * ayz-auth itself verified (never `req.auth`) and its refusal is answered like every other
 * (with the `errorResponse` of that `verifyAuth`). An anonymous request of `verifyAuthOptional`
 * is refused with 401 `token_missing`. A route where no ayz-auth middleware ran, or a check that
 * throws (e.g. an entitlement guard on an `Auth` without MongoDB), is a wiring bug of the
 * service: `next(err)`, not the client's fault. The built-in `require*` guards are made with
 * it; so can a service's own.
 */
export function createGuard(name: string, check: GuardCheck): RequestHandler {
  return function ayzAuthGuard(req: Request, res: Response, next: NextFunction): void {
    const ctx = verified.get(req);
    if (ctx === undefined) {
      next(new Error(`ayz-auth: ${name} must run after verifyAuth(auth) or verifyAuthOptional(auth)`));
      return;
    }
    let error: AuthError | null;
    try {
      error = ctx === null ? new AuthError('token_missing') : check(ctx);
    } catch (wiring) {
      next(wiring);
      return;
    }
    if (error === null) next();
    else refuse(error, req, res, next);
  };
}

/** 403 `entitlement_missing` unless the caller's organization holds `name`. After `verifyAuth`. */
export function requireEntitlement(name: string): RequestHandler {
  return createGuard('requireEntitlement', guardChecks.entitlement('requireEntitlement', name));
}

/** 403 `entitlement_missing` unless the organization holds at least one of `names`. */
export function requireAnyEntitlement(names: string[]): RequestHandler {
  return createGuard('requireAnyEntitlement', guardChecks.anyEntitlement('requireAnyEntitlement', names));
}

/** 403 `entitlement_missing` unless the organization holds every one of `names`. */
export function requireAllEntitlements(names: string[]): RequestHandler {
  return createGuard('requireAllEntitlements', guardChecks.allEntitlements('requireAllEntitlements', names));
}

/** Step-up: 403 `factor_missing` unless every Stytch factor type (e.g. `totp`) was used in the session. */
export function requireFactors(types: string[]): RequestHandler {
  return createGuard('requireFactors', guardChecks.factors('requireFactors', types));
}

/** 403 `claim_missing` unless every name is a key of the session's custom claims. */
export function requireClaims(claims: string[]): RequestHandler {
  return createGuard('requireClaims', guardChecks.claims('requireClaims', claims));
}

/**
 * The context `verifyAuth` verified for this request. Throws a plain `Error` (a bug of the
 * service, not of the client) when no ayz-auth middleware authenticated it.
 */
export function getAuth(req: Request): AuthContext {
  const ctx = verified.get(req);
  if (ctx) return ctx;
  throw new Error(
    ctx === null
      ? 'ayz-auth: getAuth(req) on an anonymous request (verifyAuthOptional found no token); read req.auth instead'
      : 'ayz-auth: getAuth(req) called on a request that verifyAuth(auth) did not authenticate',
  );
}

/**
 * What ayz-auth verified for this request, without throwing: the context, `null` for an
 * anonymous request of `verifyAuthOptional`, `undefined` when no ayz-auth middleware ran.
 * Never reads `req.auth`.
 */
export function peekAuth(req: Request): AuthContext | null | undefined {
  return verified.get(req);
}

export { requireTeam, requireRole, requireAnyRole, type RoleGuardOptions } from './tenancy.js';

export type { Auth, AuthContext } from 'ayz-auth';
