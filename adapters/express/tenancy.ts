/**
 * `ayz-auth/express` guards for tenancy and roles: `requireTeam`, `requireRole`,
 * `requireAnyRole`. Like the entitlement guards they run after `verifyAuth` /
 * `verifyAuthOptional`, read only the context ayz-auth itself verified (through `createGuard`, never
 * `req.auth`), and copy the core's `AuthError` onto the response.
 */
import type { RequestHandler } from 'express';
import { createRoleCheck, guardChecks, type RoleCheckOptions } from 'ayz-auth';
import { createGuard } from './index.js';

/** Options of `requireRole` / `requireAnyRole`. */
export interface RoleGuardOptions {
  /** Roles from highest to lowest, e.g. `['owner', 'admin', 'member', 'viewer']`: a higher role satisfies a lower one. */
  hierarchy?: RoleCheckOptions['hierarchy'];
}

/**
 * 400 `team_required` unless the caller has a current team in its organization. After
 * `verifyAuth`; needs an `Auth` with MongoDB (without it: the wiring error, `next(err)`).
 */
export function requireTeam(): RequestHandler {
  return createGuard('requireTeam', guardChecks.team('requireTeam'));
}

/** 403 `role_missing` unless the session holds `role` (or, with a hierarchy, a higher role). */
export function requireRole(role: string, options: RoleGuardOptions = {}): RequestHandler {
  if (typeof role !== 'string' || role === '') throw new TypeError('ayz-auth: requireRole expects a non-empty string');
  return createGuard('requireRole', createRoleCheck([role], { mode: 'one', ...definedHierarchy(options) }));
}

/** 403 `role_missing` unless the session holds one of `roles` (or, with a hierarchy, a higher role). */
export function requireAnyRole(roles: string[], options: RoleGuardOptions = {}): RequestHandler {
  return createGuard('requireAnyRole', createRoleCheck(roles, { mode: 'any', ...definedHierarchy(options) }));
}

function definedHierarchy(options: RoleGuardOptions): { hierarchy?: RoleCheckOptions['hierarchy'] } {
  return options?.hierarchy === undefined ? {} : { hierarchy: options.hierarchy };
}
