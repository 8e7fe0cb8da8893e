/**
 * `ayz-auth/fastify` hooks for tenancy and roles: `requireTeam`, `requireRole`,
 * `requireAnyRole`. Like the entitlement hooks they run after `fastify.verifyAuth` /
 * `verifyAuthOptional`, read only the context ayz-auth itself verified (`peekAuth`, never
 * `request.auth`), and copy the core's `AuthError` onto the reply.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, createRoleCheck, teamError, type AuthContext, type RoleCheckOptions } from 'ayz-auth';
import { peekAuth, type AuthHook } from './index.js';

/** Options of `requireRole` / `requireAnyRole`. */
export interface RoleGuardOptions {
  /** Roles from highest to lowest, e.g. `['owner', 'admin', 'member', 'viewer']`: a higher role satisfies a lower one. */
  hierarchy?: RoleCheckOptions['hierarchy'];
}

type Check = (ctx: AuthContext) => AuthError | null;

function send(reply: FastifyReply, error: AuthError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(error.body));
}

function guard(fn: string, check: Check): AuthHook {
  return async function ayzAuthTenancyGuard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const ctx = peekAuth(request);
    // A route wired without verifyAuth is a bug of the service, not the client's fault.
    if (ctx === undefined) throw new Error(`ayz-auth: ${fn} must run after fastify.verifyAuth or fastify.verifyAuthOptional`);
    const error = ctx === null ? new AuthError('token_missing') : check(ctx);
    return error === null ? undefined : send(reply, error);
  };
}

/** 400 `team_required` unless the caller has a current team in its organization. After `verifyAuth`. */
export function requireTeam(): AuthHook {
  return guard('requireTeam', teamError);
}

/** 403 `role_missing` unless the session holds `role` (or, with a hierarchy, a higher role). */
export function requireRole(role: string, options: RoleGuardOptions = {}): AuthHook {
  if (typeof role !== 'string' || role === '') throw new TypeError('ayz-auth: requireRole expects a non-empty string');
  return guard('requireRole', createRoleCheck([role], { mode: 'one', ...definedHierarchy(options) }));
}

/** 403 `role_missing` unless the session holds one of `roles` (or, with a hierarchy, a higher role). */
export function requireAnyRole(roles: string[], options: RoleGuardOptions = {}): AuthHook {
  return guard('requireAnyRole', createRoleCheck(roles, { mode: 'any', ...definedHierarchy(options) }));
}

function definedHierarchy(options: RoleGuardOptions): { hierarchy?: RoleCheckOptions['hierarchy'] } {
  return options?.hierarchy === undefined ? {} : { hierarchy: options.hierarchy };
}
