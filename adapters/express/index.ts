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

declare module 'express-serve-static-core' {
  interface Request {
    /**
     * The caller's context, set by `verifyAuth` / `verifyAuthOptional` (null for an anonymous
     * request on an optional route). The guards never read it: they read what `verifyAuth`
     * itself verified, so a value put here by other code is never trusted.
     */
    auth: AuthContext | null;
    /** A child logger bound to the caller's ids (never the token); set once authenticated. */
    authLog?: Logger;
  }
}

/** Response header carrying a renewed session JWT (an expired JWT of a live session). */
export const REFRESHED_SESSION_JWT_HEADER = 'Stytch-Session-Jwt' as const;

export interface VerifyAuthOptions {
  /**
   * Send a renewed session JWT back in `Stytch-Session-Jwt` (and list it in
   * `Access-Control-Expose-Headers`) when the core hands one back. Default true.
   */
  exposeRefreshedSessionJwt?: boolean;
}

/**
 * What our own middleware verified, per request. `null`: an optional route with no token.
 * Absent: no ayz-auth middleware ran. Nothing outside this module can write here.
 */
const verified = new WeakMap<object, AuthContext | null>();

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

/** Copies an `AuthError` onto the response: status, its headers, JSON `{ error, message, … }`. */
function sendAuthError(res: Response, error: AuthError): void {
  const json = JSON.stringify(error.body);
  res.statusCode = error.status;
  const headers = error.headers;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.setHeader('Cache-Control', 'no-store');
  res.end(json);
}

function refuse(error: unknown, res: Response, next: NextFunction): void {
  if (error instanceof AuthError && !res.headersSent) sendAuthError(res, error);
  else next(error);
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

function accept(req: Request, res: Response, result: AuthResult, auth: Auth, exposeJwt: boolean): void {
  const ctx = result.context;
  verified.set(req, ctx);
  req.auth = ctx;
  logBases.set(req, auth.logger);
  Object.defineProperty(req, 'authLog', AUTH_LOG_PROPERTY);
  if (exposeJwt && result.refreshedSessionJwt !== null) {
    res.setHeader(REFRESHED_SESSION_JWT_HEADER, result.refreshedSessionJwt);
    exposeHeader(res, REFRESHED_SESSION_JWT_HEADER);
  }
}

function assertAuth(auth: Auth, fn: string): void {
  if (typeof auth !== 'object' || auth === null || typeof auth.authenticateRequestWithResult !== 'function') {
    throw new TypeError(`ayz-auth: ${fn}(auth) needs the Auth returned by createAuth()`);
  }
}

function verifier(auth: Auth, optional: boolean, options: VerifyAuthOptions): RequestHandler {
  const exposeJwt = options.exposeRefreshedSessionJwt !== false;
  // Async so that Express 5 would see a rejection, but nothing here rejects: every failure is
  // answered or handed to next(), which Express 4 needs.
  return async function ayzVerifyAuth(req: Request, res: Response, next: NextFunction): Promise<void> {
    // Whatever was there before is not ours: never trusted, never reused.
    req.auth = null;
    verified.delete(req);
    if (Object.prototype.hasOwnProperty.call(req, 'authLog')) req.authLog = undefined;
    let result: AuthResult;
    try {
      result = await auth.authenticateRequestWithResult(requestHeaders(req));
    } catch (error) {
      if (optional && error instanceof AuthError && error.code === 'token_missing') {
        verified.set(req, null);
        next();
      } else {
        refuse(error, res, next);
      }
      return;
    }
    try {
      accept(req, res, result, auth, exposeJwt);
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
 * ayz-auth itself verified (never `req.auth`) and its refusal is answered like every other.
 * An anonymous request of `verifyAuthOptional` is refused with 401 `token_missing`; a route
 * where no ayz-auth middleware ran is a wiring bug (`next(err)`), not the client's fault.
 * The built-in `require*` guards are made with it; so can a service's own.
 */
export function createGuard(name: string, check: GuardCheck): RequestHandler {
  return function ayzAuthGuard(req: Request, res: Response, next: NextFunction): void {
    const ctx = verified.get(req);
    if (ctx === undefined) {
      next(new Error(`ayz-auth: ${name} must run after verifyAuth(auth) or verifyAuthOptional(auth)`));
      return;
    }
    const error = ctx === null ? new AuthError('token_missing') : check(ctx);
    if (error === null) next();
    else sendAuthError(res, error);
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
