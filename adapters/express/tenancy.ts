/**
 * `ayz-auth/express` guards for tenancy and roles: `requireTeam`, `requireRole`,
 * `requireAnyRole`. Like the entitlement guards they run after `verifyAuth` /
 * `verifyAuthOptional`, read only the context ayz-auth itself verified (`peekAuth`, never
 * `req.auth`), and copy the core's `AuthError` onto the response.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AuthError, createRoleCheck, teamError, type AuthContext, type RoleCheckOptions } from 'ayz-auth';
import { peekAuth } from './index.js';

/** Options of `requireRole` / `requireAnyRole`. */
export interface RoleGuardOptions {
  /** Roles from highest to lowest, e.g. `['owner', 'admin', 'member', 'viewer']`: a higher role satisfies a lower one. */
  hierarchy?: RoleCheckOptions['hierarchy'];
}

type Check = (ctx: AuthContext) => AuthError | null;

function send(res: Response, error: AuthError): void {
  const json = JSON.stringify(error.body);
  res.statusCode = error.status;
  const headers = error.headers;
  for (const name in headers) res.setHeader(name, headers[name] as string);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.setHeader('Cache-Control', 'no-store');
  res.end(json);
}

function guard(fn: string, check: Check): RequestHandler {
  return function ayzAuthTenancyGuard(req: Request, res: Response, next: NextFunction): void {
    const ctx = peekAuth(req);
    if (ctx === undefined) {
      // A route wired without verifyAuth is a bug of the service, not the client's fault.
      next(new Error(`ayz-auth: ${fn} must run after verifyAuth(auth) or verifyAuthOptional(auth)`));
      return;
    }
    const error = ctx === null ? new AuthError('token_missing') : check(ctx);
    if (error === null) next();
    else send(res, error);
  };
}

/** 400 `team_required` unless the caller has a current team in its organization. After `verifyAuth`. */
export function requireTeam(): RequestHandler {
  return guard('requireTeam', teamError);
}

/** 403 `role_missing` unless the session holds `role` (or, with a hierarchy, a higher role). */
export function requireRole(role: string, options: RoleGuardOptions = {}): RequestHandler {
  if (typeof role !== 'string' || role === '') throw new TypeError('ayz-auth: requireRole expects a non-empty string');
  return guard('requireRole', createRoleCheck([role], { mode: 'one', ...definedHierarchy(options) }));
}

/** 403 `role_missing` unless the session holds one of `roles` (or, with a hierarchy, a higher role). */
export function requireAnyRole(roles: string[], options: RoleGuardOptions = {}): RequestHandler {
  return guard('requireAnyRole', createRoleCheck(roles, { mode: 'any', ...definedHierarchy(options) }));
}

function definedHierarchy(options: RoleGuardOptions): { hierarchy?: RoleCheckOptions['hierarchy'] } {
  return options?.hierarchy === undefined ? {} : { hierarchy: options.hierarchy };
}
